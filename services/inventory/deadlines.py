"""What the deadline check looks at, as SQL conditions shared by the schedule (which only asks when
there is something to do) and the handler (which decides): reminders owed, transfers late, reservation
windows starting or over. Only for what this node decides: copies of other nodes' loans and transfers
are theirs to remind about (``node``: this node's site)."""

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.inventory import tables as t
from services.inventory.lending import DUE_SOON, LONG_OVERDUE, OVERDUE
from services.inventory.model import Rules
from services.inventory.planning import ACTIVE


def active_reservation() -> Any:
    return t.reservations.c.state.in_(ACTIVE)


def loans_to_remind(now: datetime, rules: Rules, node: str) -> Any:
    """Active loans owed a higher reminder than the one already sent (mirrors ``Loan.next_reminder``)."""
    c = t.loans.c
    levels = [
        and_(c.reminder_level < OVERDUE, c.due_at <= now.timestamp()),
        and_(c.reminder_level < LONG_OVERDUE, c.due_at <= (now - rules.long_overdue).timestamp()),
    ]
    if rules.due_soon:
        soon = (now + rules.due_soon).timestamp()
        levels.append(and_(c.reminder_level < DUE_SOON, c.mode == "take_home", c.due_at <= soon))
    return and_(c.status == "active", c.site == node, or_(*levels))


def transfers_to_alert(now: datetime, rules: Rules, node: str) -> Any:
    cutoff = (now - rules.transfer_alert).timestamp()
    i, tr = t.transfer_items.c, t.transfers.c
    late = select(tr.transfer_id).where(tr.dispatched_at <= cutoff, tr.from_site == node)
    return and_(i.state == "in_transit", i.alerted.is_(False), i.transfer_id.in_(late))


def reservations_to_move(now: datetime, rules: Rules) -> Any:
    """Reservations to set aside (window near, still booked) or to close (window over)."""
    r = t.reservations.c
    starting = and_(r.state == "booked", r.starts_at <= (now + rules.hold_lead).timestamp())
    return and_(active_reservation(), or_(starting, r.ends_at <= now.timestamp()))


async def deadline_keys(conn: AsyncConnection, now: datetime, rules: Rules, node: str) -> list[str]:
    """What the deadline check would act on now (read-only): the schedule asks only when non-empty, and
    names its request after this list so repeated asks before it is handled are de-duplicated."""
    lo, i = t.loans.c, t.transfer_items.c
    loans = await conn.execute(select(lo.loan_id, lo.reminder_level).where(loans_to_remind(now, rules, node)))
    items = await conn.execute(select(i.transfer_id, i.asset_tag).where(transfers_to_alert(now, rules, node)))
    moving = await conn.execute(
        select(t.reservations.c.reservation_id, t.reservations.c.state).where(reservations_to_move(now, rules))
    )
    return sorted(
        [f"loan:{r.loan_id}:{r.reminder_level}" for r in loans]
        + [f"transfer:{r.transfer_id}:{r.asset_tag}" for r in items]
        + [f"reservation:{r.reservation_id}:{r.state}" for r in moving]
    )
