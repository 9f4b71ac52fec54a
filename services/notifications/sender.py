"""The sender: claims due deliveries, records each attempt, calls the provider, records the answer.

Exactly-once, step by step (each step its own transaction):

1. *claim* — ``pending → sending`` with a lease, ``attempts + 1`` and an ``attempts`` log row
   ("started"), committed **before** any provider is called;
2. *send* — the provider gets the delivery's idempotency key (SMS: a header; e-mail: the
   Message-ID). Bot messages and call-list entries are not sent here but written in step 3;
3. *finish* — ``sending → sent | pending (retry later) | failed`` guarded by the attempt number,
   with the log row, the message's new state, and any bot event / call-list row / dead-letter copy.

A crash between 1 and 3 leaves the row ``sending``: once its lease expires it is claimed again and
sent again *with the same key*; the interrupted attempt is logged as ``unknown``. The only window in
which a person can receive a message twice is "provider accepted, finish not committed" (about a
millisecond per message), and then only on a provider that ignores the key; see README.
"""

import asyncio
import logging
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications import compose
from services.notifications.channels import DeliveryError, Outgoing, ProviderChannel
from services.notifications.compose import Delivery
from services.notifications.finish import Result, failed, finish
from services.notifications.model import TRANSACTIONAL, Channel, Policy, stale_reason
from services.notifications.render import Renderer
from services.notifications.settings import NotificationSettings
from services.notifications.tables import attempts, deliveries, ts
from shared.service import RunningService

log = logging.getLogger(__name__)


class Sender:
    def __init__(
        self, settings: NotificationSettings, policy: Policy, renderer: Renderer,
        providers: dict[Channel, ProviderChannel],
    ) -> None:
        self.settings = settings
        self.policy = policy
        self.renderer = renderer
        self.providers = providers
        self._finishing = asyncio.Lock()

    async def send_due(self, service: RunningService) -> int:
        """Up to ``batch`` deliveries, claimed ``concurrency`` at a time: a row is never left waiting
        in ``sending`` behind others (its lease only has to outlast one provider call), and a crash
        leaves at most ``concurrency`` sends in doubt."""
        done = 0
        while done < self.policy.batch:
            claimed = await claim(service, self.policy, min(self.policy.concurrency, self.policy.batch - done))
            if not claimed:
                break
            await asyncio.gather(*(self._deliver_logged(service, d) for d in claimed))
            done += len(claimed)
        return done

    async def _deliver_logged(self, service: RunningService, d: Delivery) -> None:
        try:
            result, message = await self.attempt(service, d)
            # One finishing transaction at a time: they write outbox rows (bot events, dead letters)
            # and the relay reads the outbox in id order, so ids must commit in order (PostgreSQL).
            async with self._finishing:
                await finish(service, d, result, message)
        except Exception:  # the lease brings it back; one bad row must not stop the others
            log.exception("notifications: delivery %s failed unexpectedly", d.id)

    async def attempt(self, service: RunningService, d: Delivery) -> tuple[Result, Outgoing | None]:
        """Check, render and (for e-mail and SMS) call the provider; what happened, to be recorded."""
        now = service.now()
        async with service.engine.connect() as conn:
            await compose.load(conn, d, self.policy.staff_emails, now)
        assert d.message is not None
        stale = stale_reason(d.message, d.booking, now)
        if stale is not None:
            state = "expired" if stale == "event_started" else "cancelled"
            return Result("skipped", "cancelled", state, stale, metric=state), None
        if not self._allowed(d):
            return Result("skipped", "cancelled", "scheduled", "consent_withdrawn", metric="cancelled"), None
        try:
            message = compose.outgoing(d, self.renderer, self.settings, now)
        except Exception as exc:  # a template bug: no use retrying this channel
            log.exception("notifications: cannot render %s for %s", d.kind, d.channel)
            return failed(DeliveryError(f"rendu impossible : {exc!r}", permanent=True), d, self.policy, now), None
        if d.channel in TRANSACTIONAL:
            return Result("sent", "sent", "sent", None, metric="sent"), message
        provider = self.providers.get(d.channel)
        if provider is None:
            error = DeliveryError(f"canal {d.channel} non configuré sur ce nœud", permanent=True)
            return failed(error, d, self.policy, now), None
        try:
            reference = await provider.send(message)
        except DeliveryError as error:
            # Logs, the delivery log and the dead-letter copy outlive an erasure: no address in them.
            error = DeliveryError(error.detail.replace(message.address, "[destinataire]"), error.permanent)
            log.warning("notifications: %s %s attempt %d failed: %s", d.channel, d.key, d.attempt, error.detail)
            return failed(error, d, self.policy, service.now()), None
        return Result("sent", "sent", "sent", None, reference=reference, metric="sent"), None

    def _allowed(self, d: Delivery) -> bool:
        """Consent is checked again at the last moment: a withdrawal (of a channel or of the message's
        purpose) wins over a pending send; an erased person has no card any more."""
        c = d.contact
        if c is None or not c.allows(d.kind, d.channel):
            return False
        return c.reachable_on(d.channel) or (d.channel == Channel.phone_call and c.call_if_unreachable)


async def claim(service: RunningService, policy: Policy, limit: int) -> list[Delivery]:
    now = service.now()
    due = or_(
        and_(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= ts(now)),
        and_(deliveries.c.state == "sending", deliveries.c.lease_until <= ts(now)),  # a crashed send
    )
    claimed: list[Delivery] = []
    async with service.engine.begin() as conn:
        rows = (await conn.execute(
            select(deliveries).where(due).order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(limit)
        )).all()
        for r in rows:
            taken = await conn.execute(
                update(deliveries).where(
                    deliveries.c.id == r.id, deliveries.c.state == r.state, deliveries.c.attempts == r.attempts
                ).values(state="sending", attempts=r.attempts + 1, lease_until=ts(now + policy.lease), deferred=False)
            )
            if taken.rowcount != 1:
                continue  # another sender got it first
            if r.state == "sending":
                await _interrupted(conn, r.id, now)
            await conn.execute(insert(attempts).values(
                delivery_id=r.id, attempt=r.attempts + 1, channel=r.channel, started_at=ts(now), outcome="started",
            ))
            claimed.append(Delivery(r.id, r.attempts + 1, Channel(r.channel), r.delivery_key, r.message_id))
    return claimed


async def _interrupted(conn: AsyncConnection, delivery_id: int, now: datetime) -> None:
    await conn.execute(
        update(attempts).where(attempts.c.delivery_id == delivery_id, attempts.c.outcome == "started").values(
            outcome="unknown", finished_at=ts(now),
            detail="interrompu (arrêt du processus pendant l'envoi) : renvoyé avec la même clé",
        )
    )
