"""The verdict of the fault suite: what users were told, against what the system recorded.

Plain Python, no I/O. Input: every request a user sent (``Sent``, with what JetStream told them),
the events read back from the streams, the dead letters, and optionally the services' final rows.
The verdict lists violations of what Maillage promises (docs/GUARANTEES.md):

- ``lost``: a request acknowledged to its user got no answer; a request in the dead-letter stream is
  lost too, unless the test sends bad messages on purpose (``poison``);
- ``applied_twice``: one request event answered more than once (the inbox's job);
- ``republished``: one answer stored twice in a stream (the outbox + ``Nats-Msg-Id``'s job);
- ``false_failure`` / ``phantom``: an answer to a request its user was told had failed / never sent;
- ``capacity``: more seats confirmed than the workshop has, at any point of the replay;
- ``wrong``: an answer that the reference model (``reference.py``), replayed in the owner's decision
  order, would not have given — a promotion skipping the queue, a seat sold to a duplicate…;
- ``misplaced``: an asset in no place or in two (dispatched from where it is not, received twice);
- ``conflicts``: a conflict reported more than once, or a conflict about an asset that was not elsewhere;
- ``state``: the service's final rows disagree with the replayed events;
- ``causality``: an answer whose hybrid logical clock is not after its cause's (clock skew's guard).

``Verdict.seats`` is the final count of bookings per workshop and status, by the replay.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.contract.envelope import REGISTRY, Request
from tests.support.reference import AssetLedger, SeatModel, outcome

# One per request event: the decision its user waits for.
PRIMARY = frozenset({
    "booking.workshop_scheduled", "booking.confirmed", "booking.waitlisted", "booking.rejected",
    "booking.cancelled", "booking.command_rejected",
    "inventory.asset_registered", "inventory.transfer_dispatched", "inventory.transfer_received",
    "inventory.command_rejected",
})
AT_MOST_ONCE = frozenset({"booking.request_pending", "booking.promoted"})
CONFLICT = "inventory.conflict_detected"
# Requests the services make themselves (periodic jobs): their answers have no user behind them.
INTERNAL = frozenset({"attendance.session_close_requested", "inventory.deadline_check_requested"})


@dataclass
class Sent:
    """One request event a user sent, and what they were told: ``acked`` (JetStream stored it),
    ``refused`` (a definite error: not stored) or ``unknown`` (no answer in time: maybe stored)."""

    event_id: str
    request_id: str
    type: str
    node: str
    fields: dict[str, Any]
    status: str = "unknown"
    attempts: int = 0


@dataclass
class DeadLetter:
    event_id: str | None
    reason: str
    subject: str
    detail: str = ""


@dataclass
class Verdict:
    lost: list[str] = field(default_factory=list)
    applied_twice: list[str] = field(default_factory=list)
    republished: list[str] = field(default_factory=list)
    false_failure: list[str] = field(default_factory=list)
    phantom: list[str] = field(default_factory=list)
    capacity: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    misplaced: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    causality: list[str] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    seats: dict[str, Counter[str]] = field(default_factory=dict)

    CATEGORIES = ("lost", "applied_twice", "republished", "false_failure", "phantom", "capacity", "wrong",
                  "misplaced", "conflicts", "state", "causality")

    @property
    def ok(self) -> bool:
        return not any(getattr(self, name) for name in self.CATEGORIES)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.CATEGORIES if getattr(self, name)}

    def report(self) -> str:
        lines = [f"verdict: {'OK' if self.ok else 'VIOLATED'} {self.counts()} stats={dict(self.stats)}"]
        for name in self.CATEGORIES:
            for item in getattr(self, name)[:8]:
                lines.append(f"  {name}: {item}")
        return "\n".join(lines)


def is_request(event_type: str) -> bool:
    cls = REGISTRY.get(event_type)
    return cls is not None and issubclass(cls, Request)


def check(
    sent: Mapping[str, Sent],
    streams: Mapping[str, list[dict[str, Any]]],
    dead_letters: Iterable[DeadLetter] = (),
    bookings: Mapping[str, str] | None = None,
    assets: Mapping[str, tuple[str, str]] | None = None,
    poison: bool = False,
    forged: Iterable[str] = (),
) -> Verdict:
    """``streams``: name → decoded bodies (each with ``type``); ``bookings``: booking_id → status and
    ``assets``: tag → (site, status), as the services' databases hold them at the end. Unless the
    test sent ``poison`` on purpose, a request in the dead-letter stream is a request lost. ``forged``:
    ids of events a test injected pretending to be a service (inputs, not answers)."""
    verdict = Verdict()
    events = _merge(streams, verdict)
    injected = set(forged)
    letters = list(dead_letters)
    dead: set[str | None] = {d.event_id for d in letters if d.event_id}
    verdict.stats.update(f"dead_letter:{d.reason}" for d in letters)
    if not poison:
        verdict.lost += [f"dead-lettered {d.subject} ({d.reason}: {d.detail})" for d in letters]
    answers = [e for e in events.values() if not is_request(e.get("type", "")) and e["event_id"] not in injected]
    by_root: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for answer in answers:
        by_root[_root(answer, events, sent)].append(answer)
    _account(sent, by_root, dead, verdict)
    _phantoms(sent, events, by_root, verdict)
    seats, ledger = _replay(answers, events, sent, verdict)
    verdict.seats = seats.summary()
    verdict.causality += [f"{_short(a)} hlc {a['hlc']} not after its cause's {events[a['causation_id']]['hlc']}"
                          for a in answers if a.get("hlc") and a.get("causation_id") in events
                          and events[a["causation_id"]].get("hlc", "") >= a["hlc"]]
    if bookings is not None:
        verdict.state += seats.differences(bookings)
    if assets is not None:
        verdict.state += ledger.differences(assets)
    verdict.stats.update(sent=len(sent), answers=len(answers),
                         acked=sum(1 for s in sent.values() if s.status == "acked"))
    return verdict


def _merge(streams: Mapping[str, list[dict[str, Any]]], verdict: Verdict) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for name, bodies in streams.items():
        copies = Counter(b.get("event_id") for b in bodies if not is_request(b.get("type", "")))
        verdict.republished += [f"{name}: {eid} stored {n}×" for eid, n in copies.items() if eid and n > 1]
        for body in bodies:
            if body.get("event_id"):
                merged.setdefault(body["event_id"], body)
    return merged


def _root(answer: dict[str, Any], events: Mapping[str, dict[str, Any]], sent: Mapping[str, Sent]) -> str | None:
    """The request event at the start of the causation chain (a request passed on by the hub is
    answered by its owner with the hub's ``request_pending`` as cause)."""
    cause = answer.get("causation_id")
    for _ in range(10):
        if cause is None or cause in sent or cause not in events:
            return cause
        parent = events[cause]
        if is_request(parent.get("type", "")):
            return cause
        cause = parent.get("causation_id")
    return cause


def _account(sent: Mapping[str, Sent], by_root: Mapping[str | None, list[dict[str, Any]]], dead: set[str | None],
             verdict: Verdict) -> None:
    for event_id, request in sent.items():
        got = by_root.get(event_id, [])
        primary = [a for a in got if a["type"] in PRIMARY and a.get("request_id") == request.request_id]
        conflicts = Counter(a.get("asset_tag") for a in got if a["type"] == CONFLICT)
        side = Counter(a["type"] for a in got if a["type"] in AT_MOST_ONCE)
        label = f"{request.type} {request.request_id} at {request.node} ({request.status})"
        answered = bool(primary) or bool(conflicts)
        if request.status == "refused" and (answered or event_id in dead):
            verdict.false_failure.append(f"{label}: told it failed, yet answered {[a['type'] for a in got]}")
        elif request.status == "acked" and not answered and event_id not in dead:
            verdict.lost.append(label)
        if len(primary) > 1 or (primary and conflicts):
            verdict.applied_twice.append(f"{label}: {[_short(a) for a in primary]}")
        verdict.applied_twice += [f"{label}: {t} ×{n}" for t, n in side.items() if n > 1]
        verdict.conflicts += [f"{label}: conflict on {tag} reported {n}×" for tag, n in conflicts.items() if n > 1]
        verdict.stats["dead_lettered" if event_id in dead else "answered" if answered else "unanswered"] += 1


def _phantoms(sent: Mapping[str, Sent], events: Mapping[str, dict[str, Any]],
              by_root: Mapping[str | None, list[dict[str, Any]]], verdict: Verdict) -> None:
    for root, got in by_root.items():
        if root in sent:
            continue
        request = events.get(root or "")
        if request is not None and request.get("type") in INTERNAL:
            verdict.stats["internal_answers"] += len(got)
            continue
        verdict.phantom += [f"{_short(a)} caused by unknown {root}" for a in got if a["type"] in PRIMARY]


def _replay(answers: list[dict[str, Any]], events: Mapping[str, dict[str, Any]], sent: Mapping[str, Sent],
            verdict: Verdict) -> tuple[SeatModel, AssetLedger]:
    """Each owner decided in its ``origin_seq`` order; owners decide disjoint things, so the model
    replays one origin after the other."""
    seats, ledger = SeatModel(), AssetLedger()
    ordered = sorted(answers, key=lambda a: (a.get("origin", ""), a.get("origin_seq", 0)))
    for answer in ordered:
        root = sent.get(_root(answer, events, sent) or "")
        domain = answer["type"].split(".", 1)[0]
        if domain == "booking":
            seats.apply(answer, root)
        elif domain == "inventory":
            ledger.apply(answer, root)
    seats.finish()
    verdict.wrong += seats.wrong + ledger.wrong
    verdict.capacity += seats.over_capacity
    verdict.misplaced += ledger.misplaced
    verdict.conflicts += ledger.bad_conflicts
    return seats, ledger


def _short(answer: dict[str, Any]) -> str:
    return f"{outcome(answer)}#{answer.get('origin')}:{answer.get('origin_seq')}"
