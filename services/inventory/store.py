"""Inventory's repository and unit of work.

A batch is decided in memory: ``preload`` fetches what the batch's requests name in a few queries,
handlers change plain model objects, ``save_state`` writes back what changed (tracking.py). Every
emitted fact about an asset also appends a row to the asset's history (the ``where`` query).
"""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.inventory import tables as t
from services.inventory.deadlines import active_reservation, loans_to_remind, reservations_to_move, transfers_to_alert
from services.inventory.findings import Conflict
from services.inventory.lending import Loan
from services.inventory.model import Asset, Repair, Rules
from services.inventory.ownership import Ownership
from services.inventory.planning import Reservation
from services.inventory.tracking import Tracked
from services.inventory.transfers import Transfer
from shared.contract.envelope import Event, Rejection
from shared.contract.inventory import ConflictFact, InventoryRequestPending
from shared.hlc import HybridClock
from shared.messaging import MessagingTables, UnitOfWork

CONFLICT_REPORTS = ("inventory.conflict_detected", "inventory.conflict_resolved")

metadata, messaging = t.metadata, t.messaging


def tags_named(event: Event) -> set[str]:
    tags = set(getattr(event, "asset_tags", None) or []) | set(getattr(event, "scanned_tags", None) or [])
    tag = getattr(event, "asset_tag", None)
    return tags | {tag} if tag else tags


class InventoryRepository:
    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._conn = conn
        self._now = now
        self.assets = Tracked(t.assets, t.asset_row, t.asset_from)
        self.loans = Tracked(t.loans, t.loan_row, t.loan_from)
        self.transfers = Tracked(t.transfers, t.transfer_row, t.transfer_from)
        self.items = Tracked(t.transfer_items, t.item_row, t.item_from)
        self.reservations = Tracked(t.reservations, t.reservation_row, t.reservation_from)
        self.repairs = Tracked(t.repairs, t.repair_row, t.repair_from)
        self.conflicts = Tracked(t.conflicts, t.conflict_row, t.conflict_from)
        self._loans_of: set[str] = set()  # tags whose active loan (if any) is loaded
        self._reservations_of: set[str] = set()  # tags whose active reservations are loaded
        self._new_reservation_items: list[dict[str, str]] = []
        self._answered: set[str] = set()
        self._asked: set[str] = set()
        self._new_requests: list[dict[str, Any]] = []
        self._history: list[dict[str, Any]] = []

    async def _rows(self, query: Any) -> list[Any]:
        return list(await self._conn.execute(query))

    # --- loading ----------------------------------------------------------------------------------
    async def preload(self, events: Iterable[Event]) -> None:
        events = list(events)
        tags = set().union(*(tags_named(e) for e in events)) if events else set()
        await self.load_assets(tags)
        await self._load_loans(tags)
        await self._load_reservations_of(tags)
        await self._load_answered({r for e in events if (r := getattr(e, "request_id", None))})

    async def load_assets(self, tags: Iterable[str]) -> None:
        missing = {tag for tag in tags if not self.assets.known(tag)}
        if missing:
            self.assets.adopt(await self._rows(select(t.assets).where(t.assets.c.asset_tag.in_(missing))))
            self.assets.absent((tag,) for tag in missing)

    async def _load_loans(self, tags: set[str]) -> None:
        missing = tags - self._loans_of
        if missing:
            active = and_(t.loans.c.asset_tag.in_(missing), t.loans.c.status == "active")
            self.loans.adopt(await self._rows(select(t.loans).where(active)))
            self._loans_of |= missing

    async def _load_reservations_of(self, tags: set[str]) -> None:
        missing = tags - self._reservations_of
        if missing:
            ids = select(t.reservation_items.c.reservation_id).where(t.reservation_items.c.asset_tag.in_(missing))
            await self._adopt_reservations(and_(t.reservations.c.reservation_id.in_(ids), active_reservation()))
            self._reservations_of |= missing

    async def _adopt_reservations(self, where: Any) -> list[Reservation]:
        loaded = self.reservations.adopt(await self._rows(select(t.reservations).where(where)))
        bare = {r.reservation_id: r for r in loaded if not r.asset_tags}
        if bare:
            rows = await self._rows(
                select(t.reservation_items).where(t.reservation_items.c.reservation_id.in_(bare))
                .order_by(t.reservation_items.c.asset_tag)
            )
            for row in rows:
                bare[row.reservation_id].asset_tags.append(row.asset_tag)
        return loaded

    async def _load_answered(self, request_ids: set[str]) -> None:
        missing = request_ids - self._asked
        if missing:
            rows = await self._rows(select(t.requests.c.request_id).where(t.requests.c.request_id.in_(missing)))
            self._answered.update(r.request_id for r in rows)
            self._asked |= missing

    # --- queries used by handlers -----------------------------------------------------------------
    async def asset(self, tag: str) -> Asset | None:
        await self.load_assets({tag})
        return self.assets.get(tag)

    async def active_loan(self, tag: str) -> Loan | None:
        await self._load_loans({tag})
        return next((loan for loan in self.loans if loan.asset_tag == tag and loan.status == "active"), None)

    async def active_loans(self, tags: Iterable[str]) -> dict[str, Loan]:
        tags = set(tags)
        await self._load_loans(tags)
        return {loan.asset_tag: loan for loan in self.loans if loan.asset_tag in tags and loan.status == "active"}

    async def reservations_of(self, tags: Iterable[str]) -> dict[str, list[Reservation]]:
        tags = set(tags)
        await self._load_reservations_of(tags)
        out: dict[str, list[Reservation]] = {tag: [] for tag in tags}
        for r in self.reservations:
            for tag in tags.intersection(r.asset_tags):
                out[tag].append(r)
        return out

    async def reservation(self, reservation_id: str) -> Reservation | None:
        if not self.reservations.known(reservation_id):
            await self._adopt_reservations(t.reservations.c.reservation_id == reservation_id)
            self.reservations.absent([(reservation_id,)])
        return self.reservations.get(reservation_id)

    async def reservations_of_workshop(self, workshop_id: str) -> list[Reservation]:
        where = and_(t.reservations.c.workshop_id == workshop_id, active_reservation())
        return await self._adopt_reservations(where)

    async def candidates(self, kind: str, site: str) -> list[Asset]:
        """Assets of ``kind`` held at ``site`` that could ever be promised (not gone, not leaving)."""
        a = t.assets.c
        eligible = ("available", "reserved", "on_loan", "in_use_on_site")
        rows = await self._rows(select(t.assets).where(a.kind == kind, a.site == site, a.status.in_(eligible)))
        return self.assets.adopt(rows)

    async def site_assets(self, site: str) -> list[Asset]:
        return self.assets.adopt(await self._rows(select(t.assets).where(t.assets.c.site == site)))

    async def transfer(self, transfer_id: str) -> Transfer | None:
        if not self.transfers.known(transfer_id):
            for transfer in self.transfers.adopt(
                await self._rows(select(t.transfers).where(t.transfers.c.transfer_id == transfer_id))
            ):
                await self._attach_items([transfer])
            self.transfers.absent([(transfer_id,)])
        return self.transfers.get(transfer_id)

    async def _attach_items(self, loaded: list[Transfer]) -> None:
        bare = {tr.transfer_id: tr for tr in loaded if not tr.items}
        if bare:
            rows = await self._rows(select(t.transfer_items).where(t.transfer_items.c.transfer_id.in_(bare)))
            for item in self.items.adopt(rows):
                bare[item.transfer_id].items[item.asset_tag] = item

    async def transfer_in_transit(self, tag: str) -> Transfer | None:
        ids = await self._rows(select(t.transfer_items.c.transfer_id).where(
            t.transfer_items.c.asset_tag == tag, t.transfer_items.c.state == "in_transit"))
        return await self.transfer(ids[0].transfer_id) if ids else None

    async def open_repair(self, tag: str) -> Repair | None:
        r = t.repairs.c
        self.repairs.adopt(await self._rows(select(t.repairs).where(r.asset_tag == tag, r.returned_at.is_(None))))
        return next((rep for rep in self.repairs if rep.asset_tag == tag and rep.returned_at is None), None)

    async def conflict(self, conflict_id: str) -> Conflict | None:
        if not self.conflicts.known(conflict_id):
            self.conflicts.adopt(await self._rows(select(t.conflicts).where(t.conflicts.c.conflict_id == conflict_id)))
            self.conflicts.absent([(conflict_id,)])
        return self.conflicts.get(conflict_id)

    async def answered(self, request_id: str) -> bool:
        await self._load_answered({request_id})
        return request_id in self._answered

    async def open_conflict_on(self, tag: str) -> bool:
        if any(c.asset_tag == tag and c.status == "open" for c in self.conflicts):
            return True
        c = t.conflicts.c
        return bool(await self._conn.scalar(select(c.conflict_id).where(c.asset_tag == tag, c.status == "open")))

    async def last_fact(self, tag: str) -> ConflictFact | None:
        """The latest fact on record about ``tag`` (this batch's lines, then the table), one side of a conflict.

        Conflict reports are not facts about the asset: citing the previous one nested every conflict
        in the next, until one was too deep to be written at all."""
        row: Any = next((r for r in reversed(self._history)
                         if r["asset_tag"] == tag and r["event_type"] not in CONFLICT_REPORTS), None)
        if row is None:
            h = t.history.c
            found = (await self._conn.execute(
                select(t.history).where(h.asset_tag == tag, h.event_type.not_in(CONFLICT_REPORTS))
                .order_by(h.id.desc()).limit(1))).first()
            row = found._asdict() if found else None
        if row is None:
            return None
        return ConflictFact(type=row["event_type"], origin=row["origin"] or row["site"] or "?",
                            event_id=row["event_id"], body=json.loads(row["body"]))

    # --- what the deadline check looks at -----------------------------------------------------------
    async def deadlines(
        self, now: datetime, rules: Rules, node: str
    ) -> tuple[list[Loan], list[Transfer], list[Reservation]]:
        loans = self.loans.adopt(await self._rows(select(t.loans).where(loans_to_remind(now, rules, node))))
        ids = select(t.transfer_items.c.transfer_id).where(transfers_to_alert(now, rules, node))
        late = await self._rows(select(t.transfers).where(t.transfers.c.transfer_id.in_(ids)))
        transfers = self.transfers.adopt(late)
        await self._attach_items(transfers)
        reservations = await self._adopt_reservations(reservations_to_move(now, rules))
        held = await self._adopt_reservations(t.reservations.c.state == "held")  # to know what stays aside
        await self.load_assets({tag for r in reservations + held for tag in r.asset_tags})
        await self.load_assets({loan.asset_tag for loan in loans})
        return loans, transfers, reservations

    # --- changes ------------------------------------------------------------------------------------
    def add_reservation(self, reservation: Reservation) -> None:
        self.reservations.add(reservation)
        self._new_reservation_items.extend(
            {"reservation_id": reservation.reservation_id, "asset_tag": tag} for tag in reservation.asset_tags
        )

    def add_transfer(self, transfer: Transfer) -> None:
        self.transfers.add(transfer)
        for item in transfer.items.values():
            self.items.add(item)

    def remember(self, request_id: str, request_type: str, now: datetime) -> None:
        if request_id not in self._answered:
            self._answered.add(request_id)
            self._new_requests.append(
                {"request_id": request_id, "request_type": request_type, "processed_at": now.timestamp()}
            )

    def record(self, event: Event, now: datetime, origin: str, only_known: bool = False) -> None:
        """One history line per asset the fact names, with the asset's place and status after it
        (``only_known``: another node's fact, kept only for the assets this node knows)."""
        if isinstance(event, Rejection | InventoryRequestPending):
            return
        body = json.dumps(event.model_dump(mode="json", exclude=set(Event.model_fields)), ensure_ascii=False)
        for tag in sorted(set(getattr(event, "asset_tags", None) or []) | {getattr(event, "asset_tag", None) or ""}):
            asset = self.assets.get(tag) if tag else None
            if not tag or (only_known and asset is None):
                continue
            self._history.append({
                "asset_tag": tag, "at": now.timestamp(), "event_type": event.TYPE, "event_id": event.event_id,
                "site": asset and asset.site, "status": asset and str(asset.status), "body": body, "origin": origin,
            })

    async def save(self) -> None:
        for tracked in (self.assets, self.loans, self.transfers, self.items, self.reservations, self.repairs,
                        self.conflicts):
            await tracked.save(self._conn)
        for table, rows in ((t.reservation_items, self._new_reservation_items), (t.requests, self._new_requests),
                            (t.history, self._history)):
            if rows:
                await self._conn.execute(insert(table), rows)
                rows.clear()


class InventoryUnitOfWork(UnitOfWork):
    repo: InventoryRepository
    rules: Rules = Rules()
    owners: Ownership = Ownership()  # set by the wiring from the node's settings

    def __init__(self, engine: AsyncEngine, tables: MessagingTables, origin: str, clock: HybridClock, now: Any) -> None:
        super().__init__(engine, tables, origin, clock, now)
        self.outcomes: list[Event] = []
        # Requests made at the hub that it passed on in this batch: request_id → the node it named (None: unknown).
        self.passed_on: dict[str, str | None] = {}

    async def __aenter__(self) -> "InventoryUnitOfWork":
        await super().__aenter__()
        self.repo = InventoryRepository(self.conn, self.now())
        return self

    def emit(self, *events: Event) -> None:
        super().emit(*events)
        for event in events:
            self.outcomes.append(event)
            self.repo.record(event, self.now(), self.origin)

    async def preload(self, events: list[Event]) -> None:
        await self.repo.preload(events)

    async def save_state(self) -> None:
        await self.repo.save()

