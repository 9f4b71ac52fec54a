"""How handlers answer: rejections, conflicts, one fact per request, and the ownership guard."""

from collections.abc import Awaitable, Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

from services.inventory.findings import Conflict
from services.inventory.model import Asset, Refusal, derived_id, from_cents
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
        if await uow.repo.answered(cmd.request_id):
            return reject(uow, cmd, "duplicate", f"Demande {cmd.request_id} déjà traitée.")
        before = len(uow.outcomes)
        await handler(cmd, uow)
        if any(not isinstance(e, Rejection) for e in uow.outcomes[before:]):
            uow.repo.remember(cmd.request_id, cmd.TYPE, uow.now())

    return once


async def held_assets(
    uow: InventoryUnitOfWork, cmd: Request, tags: Sequence[str], *, floor_fact: bool
) -> list[Asset] | None:
    """The named assets if this node holds them all. Otherwise the request is answered here and None
    returned: unknown tags are rejected; for an action that happened on the floor (a loan, a parcel,
    a repair) each asset held elsewhere is a conflict for staff; for a wish it is a ``not_held`` rejection."""
    await uow.repo.load_assets(tags)
    found = {tag: uow.repo.assets.get(tag) for tag in tags}
    unknown = [tag for tag, asset in found.items() if asset is None]
    if unknown:
        reject(uow, cmd, "unknown_tag", f"Étiquette(s) inconnue(s) : {', '.join(unknown)}.")
        return None
    assets = [a for a in found.values() if a is not None]
    foreign = [a for a in assets if not a.held_by(uow.origin)]
    if not foreign:
        return assets
    if floor_fact:
        for asset in foreign:
            await detect_conflict(uow, cmd, asset)
    else:
        held_by = ", ".join(f"{a.asset_tag} ({a.site})" for a in foreign)
        reject(uow, cmd, "not_held", f"Ce nœud ({uow.origin}) ne détient pas : {held_by}.")
    return None


async def detect_conflict(uow: InventoryUnitOfWork, cmd: Request, asset: Asset) -> None:
    """Record and announce the conflict once per (request, asset); nothing else is changed."""
    conflict_id = derived_id("conflict", cmd.request_id, asset.asset_tag)
    if await uow.repo.conflict(conflict_id) is not None:
        return
    conflict = Conflict(
        conflict_id, cmd.request_id, asset.asset_tag, cmd.TYPE, uow.origin, asset.site, str(asset.status), uow.now()
    )
    uow.repo.conflicts.add(conflict)
    uow.emit(inv.ConflictDetected(
        request_id=cmd.request_id, conflict_id=conflict_id, asset_tag=asset.asset_tag, action=cmd.TYPE,
        node_site=uow.origin, holding_site=asset.site, recorded_status=asset.status,
        attempted=cmd.model_dump(mode="json", exclude=set(Event.model_fields)), detail=conflict.detail,
    ))


def asset_facts(cls: type[Any], request_id: str, asset: Asset, **extra: Any) -> Any:
    return cls(
        request_id=request_id, asset_tag=asset.asset_tag, kind=asset.kind, model=asset.model, serial=asset.serial,
        purchase_date=asset.purchase_date, purchase_price=from_cents(asset.price_cents),
        funding_source=asset.funding_source, condition=asset.condition, site=asset.site, status=asset.status, **extra,
    )


def unique(tags: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(tags))
