"""The console's handlers: outcome events of every service on this node, kept as the screens need them.

Handlers note row changes in ``uow.rows`` (a ``ReadModelUnitOfWork``), written for the whole batch at commit.
Every handler also notes the event's origin, so the sync screen can say when this node last heard from
the hub (or, at the hub, from each site).
"""

from collections.abc import Mapping
from typing import Any

from services.console import tables as t
from services.console.inventory_projections import INVENTORY_HANDLERS
from services.public.catalogue import Handler, catalogue_handlers
from shared.contract import directory as dr
from shared.contract.envelope import Event


async def contact_registered(e: dr.ContactRegistered, uow: Any) -> None:
    if e.display_name:
        uow.rows.upsert(t.people, {"citizen_id": e.citizen_id}, {"display_name": e.display_name})


async def contact_erased(e: dr.ContactErased, uow: Any) -> None:
    await uow.rows.delete_where(t.people, t.people.c.citizen_id == e.citizen_id)


def note_origin(e: Event, uow: Any) -> None:
    uow.rows.upsert(t.origins, {"origin": e.origin}, {"last_hlc": e.hlc, "last_seen_at": uow.now().timestamp()})


def tracked(handler: Handler) -> Handler:
    async def run(event: Any, uow: Any) -> None:
        await handler(event, uow)
        note_origin(event, uow)

    return run


def console_handlers() -> Mapping[type[Event], Handler]:
    plain: dict[type[Event], Handler] = {
        **catalogue_handlers(t.catalogue),
        dr.ContactRegistered: contact_registered,
        dr.ContactErased: contact_erased,
        **INVENTORY_HANDLERS,
    }
    return {cls: tracked(handler) for cls, handler in plain.items()}


HANDLERS = console_handlers()
