"""The repository handlers use: what a batch of events touches is read in a few queries, decided on
in memory, and written back in a few multi-row statements (as services/booking/repository.py does).

At the hub every booking and check-in of the network comes through here. Row by row, a
``booking.confirmed`` cost eight statements and a check-in five (~1.3 ms per event). ``preload``
reads, one query per table, the activities, bookings, messages and erasures a batch names; what it
did not foresee is read on demand (``compose`` uses the repository that way, one booking at a time).
``save`` writes what changed, and the rows end as they would have, event after event.

Directory changes (a consent withdrawn, an erasure) are rare and act on a person's messages through
their deliveries: they still run their statements at once, after ``flush`` wrote what the batch had
changed so far, and the cached messages are read again afterwards.
"""

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications import erasure
from services.notifications.model import BookingView, Channel, Plan, cancellation_kind, message_key
from services.notifications.purposes import PURPOSE_OF_KIND
from services.notifications.tables import (
    activities,
    bookings,
    calls,
    consents,
    contacts,
    deliveries,
    dt,
    erased,
    messages,
    purpose_consents,
    ts,
)
from shared.bulk import execute_many
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract import inventory as inv
from shared.contract.envelope import Event

OPEN_MESSAGE = ("scheduled", "routed")
ACTIVITY_COLUMNS = ("kind", "site", "title", "room", "starts_at", "ends_at", "status")
ACTIVITY_REQUIRED = ("kind", "site", "title", "status")  # NOT NULL: an insert without them fails
_BOOKED = (bk.BookingConfirmed, bk.BookingWaitlisted, bk.BookingPromoted)
_LOANS = (inv.LoanDueSoon, inv.LoanOverdue, inv.LoanLongOverdue, inv.LoanReturned)


@dataclass(slots=True)
class _Message:
    """A message as this transaction knows it: read from the table (``id``) or decided now (``row``)."""

    key: str
    id: int | None  # None: decided in this transaction, inserted by ``save``
    kind: str
    booking_id: str | None
    state: str
    sending: bool = False  # one of its deliveries is with a provider: a cancellation leaves it open
    row: dict[str, Any] | None = None  # a new message: the row to insert, as it stands now
    # A stored message: what was done to it, in order ("cancel", reason) or ("rewrite", values). save
    # runs the statements the handlers used to run, each with its condition, so a concurrent sender
    # (PostgreSQL) is seen as it was: a send claimed meanwhile keeps its message open.
    ops: list[tuple[str, Any]] = field(default_factory=list)


class NotificationsRepository:
    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._conn = conn
        self._now = now
        self._at = ts(now)
        # activity_id / booking_id → the row (None: not in the table), what is already in the table,
        # and what to write (dicts as ordered sets: rows are written in the order they were decided).
        self._activities: dict[str, dict[str, Any] | None] = {}
        self._activities_stored: set[str] = set()
        self._activities_dirty: dict[str, None] = {}
        self._bookings: dict[str, BookingView | None] = {}
        self._bookings_stored: set[str] = set()
        self._bookings_dirty: dict[str, None] = {}
        # Messages by key; every message of a *covered* booking (or loan) id is among them.
        self._messages: dict[str, _Message] = {}
        self._by_booking: dict[str, dict[str, None]] = {}
        self._covered: set[str] = set()
        self._absent: set[str] = set()  # keys looked up and not found
        self._inserted: list[_Message] = []
        self._changed: dict[str, _Message] = {}
        self._deliveries_cancelled: list[dict[str, Any]] = []  # one per cancellation of a stored message
        # citizen_id → erased_at (None: never erased); → has a contact card.
        self._erased: dict[str, float | None] = {}
        self._has_contact: dict[str, bool] = {}

    # --- loading ------------------------------------------------------------------------------
    async def preload(self, events: Iterable[Event]) -> None:
        activity_ids: set[str] = set()
        booking_ids: set[str] = set()
        loan_ids: set[str] = set()
        citizens: set[str] = set()
        cancelled: list[bk.BookingCancelled] = []
        for e in events:
            if isinstance(e, _BOOKED):
                booking_ids.add(e.booking_id)
                citizens.add(e.citizen.citizen_id)
            elif isinstance(e, att.CheckedIn):
                booking_ids.add(e.booking_id)
            elif isinstance(e, bk.BookingCancelled):
                booking_ids.add(e.booking_id)
                cancelled.append(e)
            elif isinstance(e, bk.WorkshopScheduled | bk.WorkshopRescheduled | bk.WorkshopCancelled):
                activity_ids.add(e.workshop_id)
            elif isinstance(e, bk.ResourceAdded):
                activity_ids.add(e.resource_id)
            elif isinstance(e, _LOANS):
                loan_ids.add(e.loan_id)  # a loan's messages carry its id as booking_id
                if e.citizen is not None:
                    citizens.add(e.citizen.citizen_id)
        await self._load_activities(activity_ids)
        await self._load_bookings(booking_ids)
        await self._cover(booking_ids | loan_ids)
        # A cancellation's message is keyed by booking, not filed under it: look its key up now.
        keys = []
        for e in cancelled:
            booking = self._bookings.get(e.booking_id)
            kind = cancellation_kind(e.reason)
            if booking is not None and kind is not None:
                keys.append(message_key(kind, e.booking_id, booking.citizen_id))
                citizens.add(booking.citizen_id)
        await self._look_up(keys)
        await self._load_erased(citizens)

    async def _load_activities(self, ids: set[str]) -> None:
        ids = {i for i in ids if i not in self._activities}
        if not ids:
            return
        for r in await self._conn.execute(select(activities).where(activities.c.activity_id.in_(ids))):
            self._activities[r.activity_id] = dict(r._mapping)
            self._activities_stored.add(r.activity_id)
        for missing in ids - self._activities_stored:
            self._activities[missing] = None

    async def _load_bookings(self, ids: set[str]) -> None:
        # not ``ids - dict.keys()``: that walks the whole dict, per event
        ids = {i for i in ids if i not in self._bookings}
        if not ids:
            return
        for r in await self._conn.execute(select(bookings).where(bookings.c.booking_id.in_(ids))):
            self._bookings[r.booking_id] = booking_from(r)
            self._bookings_stored.add(r.booking_id)
        for missing in ids - self._bookings_stored:
            self._bookings[missing] = None

    async def _cover(self, booking_ids: set[str]) -> None:
        """Every message of these bookings (or loans) in memory."""
        ids = booking_ids - self._covered
        if ids:
            await self._adopt(messages.c.booking_id.in_(ids))
            self._covered |= ids

    async def _look_up(self, keys: Iterable[str]) -> None:
        wanted = {k for k in keys if k not in self._messages and k not in self._absent}
        if wanted:
            await self._adopt(messages.c.message_key.in_(wanted))
            self._absent |= {i for i in wanted if i not in self._messages}

    async def _adopt(self, where: ColumnElement[bool]) -> None:
        m = messages.c
        rows = await self._conn.execute(select(m.id, m.message_key, m.kind, m.booking_id, m.state).where(where))
        opened = {}
        for r in rows:
            if r.message_key in self._messages:
                continue  # already here, maybe changed by this batch: this copy is the current one
            message = _Message(r.message_key, r.id, r.kind, r.booking_id, r.state)
            self._messages[r.message_key] = message
            if r.booking_id is not None:
                self._by_booking.setdefault(r.booking_id, {})[r.message_key] = None
            if r.state in OPEN_MESSAGE:
                opened[r.id] = message
        if opened:
            in_flight = await self._conn.execute(select(deliveries.c.message_id).where(
                deliveries.c.message_id.in_(list(opened)), deliveries.c.state == "sending"
            ))
            for (message_id,) in in_flight:
                opened[message_id].sending = True

    async def _load_erased(self, citizens: set[str]) -> None:
        ids = {i for i in citizens if i not in self._erased}
        if not ids:
            return
        self._erased.update(dict.fromkeys(ids))
        e = erased.c
        rows = await self._conn.execute(select(e.citizen_id, e.erased_at).where(e.citizen_id.in_(ids)))
        self._erased.update({citizen_id: float(at) for citizen_id, at in rows})

    async def _load_contacts(self, citizens: set[str]) -> None:
        ids = {i for i in citizens if i not in self._has_contact}
        if not ids:
            return
        self._has_contact.update(dict.fromkeys(ids, False))
        rows = await self._conn.execute(select(contacts.c.citizen_id).where(contacts.c.citizen_id.in_(ids)))
        self._has_contact.update(dict.fromkeys(rows.scalars(), True))

    # --- directory ------------------------------------------------------------------------------
    async def _upsert(self, table: Any, keys: dict[str, Any], values: dict[str, Any]) -> None:
        where = [table.c[name] == value for name, value in keys.items()]
        result = await self._conn.execute(update(table).where(*where).values(**values))
        if result.rowcount == 0:
            await self._conn.execute(insert(table).values(**keys, **values))

    async def erased_at(self, citizen_id: str) -> float | None:
        await self._load_erased({citizen_id})
        return self._erased[citizen_id]

    async def save_contact(self, citizen_id: str, values: dict[str, Any]) -> None:
        await self._upsert(contacts, {"citizen_id": citizen_id}, {**values, "updated_at": self._at})
        self._has_contact[citizen_id] = True

    async def set_consent(self, citizen_id: str, channel: str, granted: bool, at: datetime, staff: str | None) -> None:
        values = {"granted": granted, "changed_at": ts(at), "staff_id": staff}
        await self._upsert(consents, {"citizen_id": citizen_id, "channel": channel}, values)

    async def set_purpose_consent(
        self, citizen_id: str, purpose: str, channel: str, granted: bool, at: datetime, staff: str | None
    ) -> None:
        values = {"granted": granted, "changed_at": ts(at), "staff_id": staff}
        keys = {"citizen_id": citizen_id, "purpose": purpose, "channel": channel}
        await self._upsert(purpose_consents, keys, values)

    async def withdraw_purpose(self, citizen_id: str, purpose: str, channel: str | None) -> None:
        """Every channel: what waits for that purpose is cancelled; one channel: re-routed."""
        kinds = tuple(k for k, p in PURPOSE_OF_KIND.items() if p == purpose)
        if channel is None:
            await self.cancel_open("consent_withdrawn", recipient=citizen_id, kinds=kinds)
        else:
            await self.reroute_channel(citizen_id, Channel(channel), kinds)

    async def erase_contact(self, citizen_id: str) -> None:
        await self._conn.execute(delete(purpose_consents).where(purpose_consents.c.citizen_id == citizen_id))
        await self._conn.execute(delete(consents).where(consents.c.citizen_id == citizen_id))
        await self._conn.execute(delete(contacts).where(contacts.c.citizen_id == citizen_id))
        await self._conn.execute(delete(calls).where(calls.c.citizen_id == citizen_id))
        self._has_contact[citizen_id] = False

    async def forget(self, citizen_id: str) -> None:
        await erasure.forget(self._conn, citizen_id)
        self._has_contact[citizen_id] = False

    async def log_erasure(self, citizen_id: str, at: datetime) -> None:
        await erasure.log_erasure(self._conn, citizen_id, at)
        self._erased.pop(citizen_id, None)  # read again when next needed

    # --- activities and bookings ------------------------------------------------------------------
    async def save_activity(self, activity_id: str, values: dict[str, Any]) -> None:
        await self._load_activities({activity_id})
        row = self._activities[activity_id]
        if row is None:
            if not all(c in values for c in ACTIVITY_REQUIRED):
                # An update for an activity never scheduled here: the insert fails, as it always did
                # (the event is retried alone, then dead-lettered), and at once, before the rest.
                await self._conn.execute(insert(activities).values(activity_id=activity_id, **values))
                self._activities.pop(activity_id)
                return
            row = self._activities[activity_id] = {"activity_id": activity_id, **dict.fromkeys(ACTIVITY_COLUMNS)}
        row.update(values)
        self._activities_dirty[activity_id] = None

    async def booking(self, booking_id: str) -> BookingView | None:
        await self._load_bookings({booking_id})
        known = self._bookings[booking_id]
        return copy.copy(known) if known is not None else None  # changes count once saved, as before

    async def bookings_of(self, activity_id: str, statuses: tuple[str, ...]) -> list[BookingView]:
        await self._write_bookings()  # the query reads the table: it must hold this batch's bookings
        rows = await self._conn.execute(
            select(bookings).where(bookings.c.activity_id == activity_id, bookings.c.status.in_(statuses))
        )
        found = []
        for r in rows:
            b = self._bookings[r.booking_id] = booking_from(r)
            self._bookings_stored.add(r.booking_id)
            found.append(copy.copy(b))
        await self._cover({b.booking_id for b in found})
        await self._load_erased({b.citizen_id for b in found})
        return found

    async def save_booking(self, b: BookingView) -> None:
        self._bookings[b.booking_id] = copy.copy(b)
        self._bookings_dirty[b.booking_id] = None

    # --- messages ---------------------------------------------------------------------------------
    async def schedule(self, *plans: Plan) -> None:
        """Decide the messages not decided yet: the key makes a second decision a no-op. A message
        cancelled before it went out (a workshop moved away and back) is decided again."""
        plans = await self._not_erased(plans)
        if not plans:
            return
        await self._cover({p.booking_id for p in plans if p.booking_id is not None})
        await self._look_up(p.key for p in plans if p.key not in self._messages and p.booking_id is None)
        # States before this call, as one SELECT read them: the same key twice in a call is inserted
        # twice, and fails on the unique key as it always did.
        known = {p.key: m.state if (m := self._messages.get(p.key)) else None for p in plans}
        for p in plans:
            values = {
                "due_at": ts(p.due_at), "not_after": ts(p.not_after) if p.not_after else None, "state": "scheduled",
                "reason": None, "context": json.dumps(p.context), "updated_at": self._at,
            }
            state = known[p.key]
            if state is None:
                row = {
                    "message_key": p.key, "kind": str(p.kind), "subject_id": p.subject_id, "recipient": p.recipient,
                    "site": p.site, "booking_id": p.booking_id, "created_at": self._at, **values,
                }
                message = _Message(p.key, None, str(p.kind), p.booking_id, "scheduled", row=row)
                self._messages[p.key] = message
                self._inserted.append(message)
                if p.booking_id is not None:
                    self._by_booking.setdefault(p.booking_id, {})[p.key] = None
            elif state == "cancelled":
                message = self._messages[p.key]
                message.state = "scheduled"
                if message.row is not None:
                    message.row.update(values)
                else:
                    message.ops.append(("rewrite", values))
                    self._changed[p.key] = message

    async def _not_erased(self, plans: tuple[Plan, ...]) -> tuple[Plan, ...]:
        """An erased person without a new card gets nothing decided (a late booking event, a replay)."""
        recipients = {p.recipient for p in plans}
        await self._load_erased(recipients)
        erased_ones = {r for r in recipients if self._erased[r] is not None}
        if not erased_ones:
            return plans
        await self._load_contacts(erased_ones)
        gone = {r for r in erased_ones if not self._has_contact[r]}
        return tuple(p for p in plans if p.recipient not in gone)

    async def cancel_open(
        self, reason: str, *, booking_id: str | None = None, recipient: str | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> int:
        """Cancel what was not sent yet for a booking (or a recipient); a send already in flight ends."""
        if booking_id is None or recipient is not None:
            return await self._cancel_open_now(reason, booking_id, recipient, kinds)
        await self._cover({booking_id})
        count = 0
        for key in list(self._by_booking.get(booking_id, ())):
            message = self._messages[key]
            if message.state in OPEN_MESSAGE and (kinds is None or message.kind in kinds):
                count += self._cancel(message, reason)
        return count

    def _cancel(self, message: _Message, reason: str) -> bool:
        if message.row is not None:
            message.state = "cancelled"
            message.row.update(state="cancelled", reason=reason, updated_at=self._at)
            return True
        # Its pending deliveries are cancelled, and the message unless a send of it is in flight.
        self._deliveries_cancelled.append({"b_id": message.id, "b_reason": reason})
        message.ops.append(("cancel", reason))
        self._changed[message.key] = message
        if message.sending:
            return False
        message.state = "cancelled"
        return True

    async def _cancel_open_now(
        self, reason: str, booking_id: str | None, recipient: str | None, kinds: tuple[str, ...] | None
    ) -> int:
        await self.flush()
        where: list[ColumnElement[bool]] = [messages.c.state.in_(OPEN_MESSAGE)]
        if kinds is not None:
            where.append(messages.c.kind.in_(kinds))
        if booking_id is not None:
            where.append(messages.c.booking_id == booking_id)
        if recipient is not None:
            where.append(messages.c.recipient == recipient)
        ids = list((await self._conn.execute(select(messages.c.id).where(*where))).scalars())
        if not ids:
            return 0
        await self._conn.execute(
            update(deliveries).where(deliveries.c.message_id.in_(ids), deliveries.c.state == "pending")
            .values(state="cancelled", last_error=reason)
        )
        in_flight = select(deliveries.c.message_id).where(
            deliveries.c.message_id.in_(ids), deliveries.c.state == "sending"
        )
        result = await self._conn.execute(
            update(messages).where(messages.c.id.in_(ids), messages.c.id.not_in(in_flight))
            .values(state="cancelled", reason=reason, updated_at=self._at)
        )
        self._forget_messages()
        return result.rowcount

    async def reroute_channel(self, citizen_id: str, channel: Channel, kinds: tuple[str, ...] | None = None) -> None:
        """Consent withdrawn: what waits on that channel goes to the next one, at once."""
        await self.flush()
        where = [
            messages.c.recipient == citizen_id, deliveries.c.channel == str(channel), deliveries.c.state == "pending",
        ]
        if kinds is not None:
            where.append(messages.c.kind.in_(kinds))
        ids = list((await self._conn.execute(
            select(deliveries.c.message_id).join(messages, messages.c.id == deliveries.c.message_id).where(*where)
        )).scalars())
        if not ids:
            return
        await self._conn.execute(
            update(deliveries).where(
                deliveries.c.message_id.in_(ids), deliveries.c.channel == str(channel), deliveries.c.state == "pending"
            ).values(state="cancelled", last_error="consent_withdrawn")
        )
        await self._conn.execute(
            update(messages).where(messages.c.id.in_(ids), messages.c.state == "routed")
            .values(state="scheduled", updated_at=self._at)
        )
        self._forget_messages()

    # --- writing back -----------------------------------------------------------------------------
    async def save(self) -> None:
        await self.flush()

    async def flush(self) -> None:
        """Write what the batch changed so far; statements that follow may read the tables."""
        await self._write_activities()
        await self._write_bookings()
        if await self._write_messages():
            self._forget_messages()  # the new rows' ids are the table's: read them again if needed

    async def _write_activities(self) -> None:
        await self._write_rows(activities.c.activity_id, self._activities, self._activities_stored,
                               self._activities_dirty, dict)

    async def _write_bookings(self) -> None:
        await self._write_rows(bookings.c.booking_id, self._bookings, self._bookings_stored,
                               self._bookings_dirty, booking_row)

    async def _write_rows(self, key: Column[Any], rows: dict[str, Any], stored: set[str], dirty: dict[str, None],
                          to_row: Callable[[Any], dict[str, Any]]) -> None:
        """The batch's new rows in one INSERT, its changed rows in one UPDATE, keyed by ``key``."""
        if not dirty:
            return
        new, changed = [], []
        for row_id in dirty:
            row = rows[row_id]
            assert row is not None
            if row_id in stored:
                changed.append({**to_row(row), "b_id": row_id})
            else:
                new.append(to_row(row))
        table = key.table
        await execute_many(self._conn, insert(table), new)
        await execute_many(self._conn, update(table).where(key == bindparam("b_id")), changed)
        stored.update(dirty)
        dirty.clear()

    async def _write_messages(self) -> bool:
        """The statements the handlers' decisions stand for, grouped; True if any was written."""
        if not (self._inserted or self._changed or self._deliveries_cancelled):
            return False
        if self._inserted:
            await execute_many(self._conn, insert(messages), [m.row for m in self._inserted if m.row is not None])
        m, d = messages.c, deliveries.c
        if self._deliveries_cancelled:
            await self._conn.execute(
                update(deliveries).where(d.message_id == bindparam("b_id"), d.state == "pending")
                .values(state="cancelled", last_error=bindparam("b_reason")),
                self._deliveries_cancelled,
            )
        # The n-th change of every message in one round: a message's changes stay in order, those of
        # different messages touch different rows. Nearly always a single round.
        rounds = max((len(c.ops) for c in self._changed.values()), default=0)
        for n in range(rounds):
            ops = [(c.id, c.ops[n]) for c in self._changed.values() if len(c.ops) > n]
            rewritten = [{**values, "b_id": id_} for id_, (op, values) in ops if op == "rewrite"]
            if rewritten:
                await self._conn.execute(
                    update(messages).where(m.id == bindparam("b_id"), m.state == "cancelled"), rewritten
                )
            cancelled = [{"b_id": id_, "b_reason": reason} for id_, (op, reason) in ops if op == "cancel"]
            if cancelled:
                # As before, a message whose send is in flight stays open (only its pending deliveries end).
                in_flight = exists().where(d.message_id == m.id, d.state == "sending")
                await self._conn.execute(
                    update(messages).where(m.id == bindparam("b_id"), or_(*(m.state == s for s in OPEN_MESSAGE)),
                                           ~in_flight)
                    .values(state="cancelled", reason=bindparam("b_reason"), updated_at=self._at),
                    cancelled,
                )
        return True

    def _forget_messages(self) -> None:
        self._messages.clear()
        self._by_booking.clear()
        self._covered.clear()
        self._absent.clear()
        self._inserted.clear()
        self._changed.clear()
        self._deliveries_cancelled.clear()


def booking_from(r: Any) -> BookingView:
    return BookingView(
        r.booking_id, r.citizen_id, r.site, r.activity_id, dt(r.starts_at), dt(r.ends_at), r.status,
        r.ics_sequence, bool(r.in_calendar),
    )


def booking_row(b: BookingView) -> dict[str, Any]:
    return {
        "booking_id": b.booking_id, "citizen_id": b.citizen_id, "site": b.site, "activity_id": b.activity_id,
        "starts_at": ts(b.starts_at), "ends_at": ts(b.ends_at), "status": b.status,
        "ics_sequence": b.ics_sequence, "in_calendar": b.in_calendar,
    }
