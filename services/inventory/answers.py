"""How handlers answer: rejections, conflicts, one fact per request, passing on, and the ownership guard
(who decides is ``ownership.py``)."""

from collections.abc import Awaitable, Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

from services.inventory.findings import Conflict, clash_detail
from services.inventory.model import Asset, Refusal, derived_id, from_cents
from services.inventory.ownership import Route, Verdict
from services.inventory.store import InventoryUnitOfWork
from shared.contract import inventory as inv
from shared.contract.envelope import Event, Rejection, Request

R = TypeVar("R", bound=Request)
RequestHandler = Callable[[R, InventoryUnitOfWork], Awaitable[None]]


def reject(uow: InventoryUnitOfWork, cmd: Request, reason: str, detail: str) -> None:
    uow.emit(inv.InventoryCommandRejected(
        request_id=cmd.request_id, request_type=cmd.TYPE, reason=reason, detail=detail,
        asset_tag=getattr(cmd, "asset_tag", None),
    ))


def refused(uow: InventoryUnitOfWork, cmd: Request, no: Refusal) -> None:
    reject(uow, cmd, no.reason, no.detail)


def answered_once(handler: RequestHandler[R]) -> RequestHandler[R]:
    """A request that already produced a fact (or a conflict) is answered ``duplicate``: a front-end
    retrying with the same ``request_id`` never gets a second loan, transfer or conflict."""

    @wraps(handler)
    async def once(cmd: R, uow: InventoryUnitOfWork) -> None:
        if cmd.origin != uow.origin and cmd.request_id not in uow.passed_on:
            return None  # made at the hub: decided there, or passed on to us with its request_pending
        if await uow.repo.answered(cmd.request_id):
            return reject(uow, cmd, "duplicate", f"Demande {cmd.request_id} déjà traitée.")
        before = len(uow.outcomes)
        await handler(cmd, uow)
        # Passed on is not answered: a retry is passed on again, and the owner de-duplicates it.
        if any(not isinstance(e, Rejection | inv.InventoryRequestPending) for e in uow.outcomes[before:]):
            uow.repo.remember(cmd.request_id, cmd.TYPE, uow.now())

    return once


def made_at(uow: InventoryUnitOfWork, cmd: Request) -> str:
    """Where a request counts as made: a request the hub passed on to this node is this node's to answer."""
    return uow.origin if uow.passed_on.get(cmd.request_id) == uow.origin else cmd.origin


def settled(uow: InventoryUnitOfWork, cmd: Request, route: Route, tags: Sequence[str] = ()) -> bool:
    """True when another node answers: ignored here (made at the hub, decided elsewhere), or passed on."""
    if route.verdict == Verdict.pass_on:
        pass_on(uow, cmd, route.owner, tags)
    return route.verdict in (Verdict.ignore, Verdict.pass_on)


def pass_on(uow: InventoryUnitOfWork, cmd: Request, owner: str | None, tags: Sequence[str]) -> None:
    if owner is None:
        detail = "Inconnu ici : demande transmise aux lieux ; si aucun ne le connaît, vérifiez l'étiquette."
    else:
        detail = f"Demande transmise : le lieu « {owner} » la traitera dès qu'il sera joignable."
    uow.emit(inv.InventoryRequestPending(
        request_id=cmd.request_id, request_type=cmd.TYPE, owner_site=owner, asset_tags=list(tags), detail=detail,
        request=payload(cmd),
    ))


async def held_assets(
    uow: InventoryUnitOfWork, cmd: Request, tags: Sequence[str], *, floor_fact: bool
) -> list[Asset] | None:
    """The named assets if this node decides for them all. Otherwise the request is answered here, passed
    on or left to its owner, and None returned: unknown tags are rejected; for an action that happened on
    the floor (a loan, a parcel, a repair) each asset held elsewhere is a conflict for staff; for a wish
    it is a ``not_held`` rejection."""
    await uow.repo.load_assets(tags)
    found = {tag: uow.repo.assets.get(tag) for tag in tags}
    route = uow.owners.route_assets(made_at(uow, cmd), {tag: a.site if a else None for tag, a in found.items()})
    assets = [a for a in found.values() if a is not None]
    if route.verdict == Verdict.decide:
        return assets
    if settled(uow, cmd, route, tags):
        return None
    unknown = [tag for tag, asset in found.items() if asset is None]
    if unknown:
        reject(uow, cmd, "unknown_tag", f"Étiquette(s) inconnue(s) : {', '.join(unknown)}.")
        return None
    foreign = [a for a in assets if not a.held_by(uow.origin)]
    if floor_fact:
        for asset in foreign:
            await detect_conflict(uow, cmd, asset)
    else:
        held_by = ", ".join(f"{a.asset_tag} ({a.site})" for a in foreign)
        reject(uow, cmd, "not_held", f"Ce nœud ({uow.origin}) ne détient pas : {held_by}.")
    return None


def payload(event: Event) -> dict[str, Any]:
    return event.model_dump(mode="json", exclude=set(Event.model_fields))


def side(event: Event, origin: str) -> inv.ConflictFact:
    return inv.ConflictFact(type=event.TYPE, origin=origin, event_id=event.event_id, body=payload(event))


async def detect_conflict(uow: InventoryUnitOfWork, cmd: Request, asset: Asset) -> None:
    """An action at this node on an asset another site holds: recorded and announced once per (request,
    asset), by the node that received it (no other node reads it); nothing else is changed."""
    conflict_id = derived_id("conflict", cmd.request_id, asset.asset_tag)
    if await uow.repo.conflict(conflict_id) is not None:
        return
    conflict = Conflict(
        conflict_id, cmd.request_id, asset.asset_tag, cmd.TYPE, uow.origin, asset.site, str(asset.status), uow.now()
    )
    await _announce(uow, conflict, cmd, conflict.detail)


async def detect_clash(uow: InventoryUnitOfWork, fact: Event, asset: Asset, *, applied: bool) -> None:
    """Another node's fact contradicts this node's record of ``asset``. Reported by the hub only: it is the
    one node that sees every node's facts (a site sees only the hub's), so each disagreement is reported
    once, whichever nodes it involves; a site just keeps its record (copies.py) and the hub's report reaches
    it. One open conflict per asset: the facts that follow from one disagreement add nothing for staff."""
    tag = asset.asset_tag
    if not uow.owners.is_hub or await uow.repo.open_conflict_on(tag):
        return
    conflict_id = derived_id("clash", fact.event_id, tag)
    if await uow.repo.conflict(conflict_id) is not None:
        return
    request_id = str(getattr(fact, "request_id", fact.event_id))
    conflict = Conflict(conflict_id, request_id, tag, fact.TYPE, uow.origin, asset.site, str(asset.status), uow.now())
    detail = clash_detail(tag, fact.TYPE, fact.origin, uow.origin, asset.site, str(asset.status), applied)
    await _announce(uow, conflict, fact, detail)


async def _announce(uow: InventoryUnitOfWork, conflict: Conflict, attempted: Event, detail: str) -> None:
    uow.repo.conflicts.add(conflict)
    on_record = await uow.repo.last_fact(conflict.asset_tag)
    uow.emit(inv.ConflictDetected(
        request_id=conflict.request_id, conflict_id=conflict.conflict_id, asset_tag=conflict.asset_tag,
        action=conflict.action, node_site=conflict.node_site, holding_site=conflict.holding_site,
        recorded_status=conflict.recorded_status, attempted=payload(attempted), detail=detail,
        facts=[f for f in (on_record, side(attempted, attempted.origin or uow.origin)) if f is not None],
    ))


def asset_facts(cls: type[Any], request_id: str, asset: Asset, **extra: Any) -> Any:
    return cls(
        request_id=request_id, asset_tag=asset.asset_tag, kind=asset.kind, model=asset.model, serial=asset.serial,
        purchase_date=asset.purchase_date, purchase_price=from_cents(asset.price_cents),
        funding_source=asset.funding_source, condition=asset.condition, site=asset.site, status=asset.status, **extra,
    )


def unique(tags: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(tags))
