"""A workload that uses Maillage as its users do, and writes down what each of them was told.

Front-ends at each node publish requests to JetStream (``Nats-Msg-Id = request_id``, like
``shared.requests.publish_request``) and hear answers on plain NATS. A user retries a publish that
got no answer in time (the same event: JetStream drops the copy) and gives up after a few tries.
What JetStream said is the user's promise: ``acked`` means "your request is recorded", the
checker then expects exactly one answer. Citizens book seats (some ask twice for one workshop),
cancel bookings they heard of (once: a second cancellation is test_reordering's business); staff
move assets between sites, some of which are elsewhere by then (conflicts).
"""

import asyncio
import json
import os
import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.errors import APIError

from shared.contract import booking as bk
from shared.contract import inventory as inv
from shared.contract.envelope import Request
from tests.support.bus import eventually
from tests.support.checker import Sent

SOAK = os.environ.get("MAILLAGE_SOAK") == "1"
STARTS = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
# A definite "no": the message was not stored. Anything else (a timeout) leaves the user unsure.
REFUSALS = (APIError, nats.errors.NoRespondersError, nats.errors.ConnectionClosedError)
FIELDS = ("workshop_id", "booking_id", "asset_tag", "asset_tags", "to_site", "transfer_id", "site")


def length(default: float, soak: float) -> float:
    """How long a fault or a load lasts: short by default, soak-length under ``make soak``."""
    return soak if SOAK else default


def citizen(n: int) -> dict[str, Any]:
    return {"citizen_id": f"cit-{n:06d}", "age_bracket": "soixante_dix_plus", "commune_insee": "11069"}


class Workload:
    def __init__(self, fronts: dict[str, tuple[NATS, JetStreamContext]], seed: int = 8,
                 publish_timeout: float = 2.0, tries: int = 3, echo: float = 0.0) -> None:
        """``echo``: the share of acknowledged requests published once more under another
        ``Nats-Msg-Id`` — what JetStream stores when a copy comes back after its dedupe window."""
        self.fronts = fronts
        self.echo = echo
        self.echoed = 0
        self.sent: dict[str, Sent] = {}
        self.random = random.Random(seed)
        self.timeout = publish_timeout
        self.tries = tries
        self.workshops: dict[str, str] = {}  # workshop id → owner node
        self.bookings: dict[str, tuple[str, str]] = {}  # heard of: booking id → (citizen id, where to cancel)
        self.transfers: dict[str, tuple[str, list[str]]] = {}  # heard of: transfer id → (to site, tags)
        self.assets: list[str] = []
        self._by_request: dict[str, Sent] = {}
        self._cancelled: set[str] = set()
        self._citizens = 0
        self._reused: dict[int, int] = {}
        self._subs: list[Subscription] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()
        self._rate = 100.0
        self._load: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for nc, _ in self.fronts.values():
            self._subs.append(await nc.subscribe("tl.*.booking.*", cb=self._heard))
            self._subs.append(await nc.subscribe("tl.*.inventory.transfer_dispatched", cb=self._heard))

    async def stop(self) -> None:
        await self.stop_load()
        if self._tasks:
            await asyncio.wait(self._tasks)
        for sub in self._subs:
            await sub.unsubscribe()
        self._subs.clear()

    @property
    def acked(self) -> list[Sent]:
        return [s for s in self.sent.values() if s.status == "acked"]

    # --- what users do --------------------------------------------------------------------------
    async def send(self, node: str, request: Request) -> Sent:
        request = request.model_copy(update={"origin": node})
        body = request.model_dump(mode="json")
        fields = {k: body[k] for k in FIELDS if body.get(k) is not None}
        if isinstance(request, bk.BookingRequested):
            fields["citizen_id"] = request.citizen.citizen_id
        elif isinstance(request, bk.CancelRequested):
            fields["citizen_id"] = request.citizen_id
        record = Sent(request.event_id, request.request_id, request.TYPE, node, fields, status="refused")
        self.sent[record.event_id] = self._by_request[record.request_id] = record
        js = self.fronts[node][1]
        data = request.model_dump_json().encode()
        while record.attempts < self.tries and record.status != "acked":
            record.attempts += 1
            try:
                await js.publish(request.subject(), data, timeout=self.timeout,
                                 headers={"Nats-Msg-Id": request.request_id})
            except REFUSALS:
                continue
            except Exception:  # no answer in time: it may have been stored, or may be later
                record.status = "unknown"
                continue
            record.status = "acked"
        if record.status == "acked" and self.random.random() < self.echo:
            await self._publish_again(js, request, data)
        return record

    async def _publish_again(self, js: JetStreamContext, request: Request, data: bytes) -> None:
        await asyncio.sleep(self.random.uniform(0.0, 0.5))  # the copy lands a few batches later
        try:
            await js.publish(request.subject(), data, timeout=self.timeout,
                             headers={"Nats-Msg-Id": f"{request.request_id}:again"})
        except Exception:
            return
        self.echoed += 1

    async def schedule(self, node: str, workshop_id: str, site: str, capacity: int) -> Sent:
        self.workshops[workshop_id] = site
        return await self.send(node, bk.WorkshopScheduleRequested(
            workshop_id=workshop_id, site=site, room="Salle", title="Atelier", themes=["email"],
            starts_at=STARTS, ends_at=STARTS + timedelta(hours=2), capacity=capacity,
        ))

    async def open_workshops(self, count: int, capacity: int, node: str = "hub", prefix: str = "w") -> list[str]:
        """Staff at ``node`` schedule ``count`` workshops there; returns their ids."""
        ids = [f"{prefix}{i}" for i in range(count)]
        for workshop_id in ids:
            scheduled = await self.schedule(node, workshop_id, node, capacity)
            assert scheduled.status == "acked", f"could not schedule {workshop_id}"
        return ids

    async def book(self, node: str, workshop_id: str, n: int | None = None) -> Sent:
        if n is None:
            self._citizens += 1
            n = self._citizens
        return await self.send(node, bk.BookingRequested(workshop_id=workshop_id, citizen=citizen(n)))

    async def cancel(self, booking_id: str) -> Sent:
        """The citizen cancels a booking they heard of, once (see test_reordering for a second time)."""
        citizen_id, node = self.bookings.pop(booking_id)
        self._cancelled.add(booking_id)
        return await self.send(node, bk.CancelRequested(booking_id=booking_id, citizen_id=citizen_id))

    async def register(self, node: str, tag: str, site: str) -> Sent:
        self.assets.append(tag)
        return await self.send(node, inv.AssetRegisterRequested(
            asset_tag=tag, kind="tablet", model="Tablette", purchase_date=date(2026, 3, 2),
            purchase_price=Decimal("199.00"), funding_source="fabriques-de-territoires", site=site,
        ))

    async def dispatch(self, node: str, tags: list[str], to_site: str) -> Sent:
        return await self.send(node, inv.TransferDispatchRequested(to_site=to_site, asset_tags=tags))

    async def receive(self, node: str, transfer_id: str) -> Sent:
        to_site, tags = self.transfers[transfer_id]
        return await self.send(node, inv.TransferReceiveRequested(transfer_id=transfer_id, site=to_site,
                                                                   asset_tags=tags))

    # --- load -----------------------------------------------------------------------------------
    def start_load(self, rate: float = 120.0, assets_to: Iterable[str] = ()) -> None:
        """Users keep acting in the background (``rate`` actions a second) until ``stop_load``; with
        ``assets_to``, one action in five moves an asset (a dispatch, or the reception of one heard of)."""
        self._stop = asyncio.Event()
        self._rate = rate
        self._load = asyncio.create_task(self.run(float("inf"), rate, assets_to, until=self._stop))

    async def more_acked(self, count: int, timeout: float | None = None) -> None:
        """Until ``count`` more requests were acknowledged: the load goes on for a while."""
        timeout = timeout or 60.0 + 3 * count / self._rate
        target = len(self.acked) + count
        await eventually(self._acked, lambda n: n >= target, timeout, f"{count} more acknowledged requests")

    async def _acked(self) -> int:
        if self._load is not None and self._load.done():
            self._load.result()  # the load failed: say why
        return len(self.acked)

    async def unsure(self, count: int, timeout: float = 30.0) -> None:
        """Until ``count`` more users got no answer from JetStream in time (it is down)."""
        target = self._unsure() + count
        await eventually(self._unsure_now, lambda n: n >= target, timeout, f"{count} users left unsure")

    async def refused(self, count: int, timeout: float = 30.0) -> None:
        """Until ``count`` more users were told their request could not be recorded."""
        target = self._unsure("refused") + count
        await eventually(self._refused_now, lambda n: n >= target, timeout, f"{count} users refused")

    def _unsure(self, status: str = "unknown") -> int:
        return sum(1 for s in self.sent.values() if s.status == status)

    async def _unsure_now(self) -> int:
        return self._unsure()

    async def _refused_now(self) -> int:
        return self._unsure("refused")

    async def stop_load(self) -> None:
        self._stop.set()
        if self._load is not None:
            await self._load

    async def run(self, seconds: float, rate: float = 100.0, assets_to: Iterable[str] = (),
                  until: asyncio.Event | None = None) -> None:
        """``rate`` actions a second for ``seconds`` (or until ``until`` is set), 32 at most in flight."""
        sites, loop, slots = list(assets_to), asyncio.get_running_loop(), asyncio.Semaphore(32)
        end = loop.time() + seconds
        while loop.time() < end and not (until is not None and until.is_set()):
            await slots.acquire()
            task = asyncio.create_task(self._one_action(sites))
            self._tasks.add(task)
            task.add_done_callback(lambda t: self._done(t, slots))
            await asyncio.sleep(1.0 / rate)  # pacing the load, not waiting for anything
        if self._tasks:
            await asyncio.wait(self._tasks)

    def _done(self, task: asyncio.Task[Any], slots: asyncio.Semaphore) -> None:
        self._tasks.discard(task)
        slots.release()

    async def _one_action(self, sites: list[str]) -> None:
        roll = self.random.random()
        if sites and roll < 0.2:
            await self._move_asset(sites)
        elif self.bookings and roll < 0.4:
            await self.cancel(self.random.choice(list(self.bookings)))
        elif self.workshops:
            node = self.random.choice(list(self.fronts))
            choices = [w for w, owner in self.workshops.items() if node in ("hub", owner) or owner == "hub"]
            await self.book(node, self.random.choice(choices), self._someone())

    def _someone(self) -> int:
        """A new citizen mostly; now and then one who already asked (at most three requests each)."""
        reusable = [n for n, uses in self._reused.items() if uses < 3]
        if reusable and self.random.random() < 0.3:
            n = self.random.choice(reusable)
        else:
            self._citizens += 1
            n = self._citizens
        self._reused[n] = self._reused.get(n, 0) + 1
        return n

    async def _move_asset(self, sites: list[str]) -> None:
        node = "hub"
        if self.transfers and self.random.random() < 0.5:
            await self.receive(node, self.random.choice(list(self.transfers)))
        elif self.assets:
            tag = self.random.choice(self.assets)
            await self.dispatch(node, [tag], self.random.choice(sites))

    async def _heard(self, msg: Msg) -> None:
        try:
            body = json.loads(msg.data)
        except ValueError:
            return
        request = self._by_request.get(body.get("request_id", "")) if isinstance(body, dict) else None
        if request is None:
            return
        if body["type"] in ("booking.confirmed", "booking.waitlisted") and body["booking_id"] not in self._cancelled:
            # Cancelled where it was made, or at the hub (which passes it on) if made at a site for a
            # workshop elsewhere: a site does not pass on a booking id it does not know (test_link_flapping).
            mine = request.node in ("hub", self.workshops.get(body["workshop_id"]))
            self.bookings[body["booking_id"]] = (body["citizen"]["citizen_id"], request.node if mine else "hub")
        elif body["type"] == "inventory.transfer_dispatched":
            self.transfers[body["transfer_id"]] = (body["to_site"], body["asset_tags"])
