"""The one place that defines JetStream streams and consumers (DESIGN §3).

Services never declare streams by side effect; ``maillage streams`` (and ``maillage up``) call
``ensure`` here, which creates what is missing, updates what drifted and reports it.
"""

import time
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

DLQ_STREAM = "TL_DLQ"
DAY = 86_400.0


def origin_stream_name(origin: str) -> str:
    return f"TL_{origin.upper()}"


def origin_stream(origin: str, max_age_days: int, max_bytes: int) -> StreamConfig:
    """What one node produced. Discard *new* when full: a refused publish keeps the event in the
    outbox, whereas discard-old would silently drop events the hub may not have seen yet.

    A new stream's numbering starts at the creation time in milliseconds, not at 1: when a node's
    store is lost and the node starts empty under the same name, the durable sources reading it at
    the other end already hold sequences up to N, and may ask its consumer to resume after N. From
    1 the replaced box's first N events would be skipped; from the clock they all come after.
    """
    return StreamConfig(
        name=origin_stream_name(origin),
        first_seq=int(time.time() * 1000),
        subjects=[f"tl.{origin}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.NEW,
        max_age=max_age_days * DAY,
        max_bytes=max_bytes,
        duplicate_window=120.0,
        num_replicas=1,
    )


def dead_letter_stream() -> StreamConfig:
    return StreamConfig(
        name=DLQ_STREAM,
        subjects=["dlq.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=90 * DAY,
        duplicate_window=120.0,
    )


@dataclass(frozen=True)
class ConsumerSpec:
    """What one service reads from a stream: which event types, of which origins. The durable consumer
    that delivers them is its process's ``Delivery``."""

    service: str
    stream: str
    event_types: tuple[str, ...]
    # Requests are decided where they were made, or routed from the hub: on a node's input stream a
    # service reads requests of one origin only, and facts (outcomes) of every origin.
    request_types: tuple[str, ...] = ()
    request_origin: str = "*"
    # Facts a service needs only from other nodes (who owns what): read from those origins alone, so a
    # service does not re-read its own outcomes.
    foreign_types: tuple[str, ...] = ()
    foreign_origins: tuple[str, ...] = ()
    # Short enough that a crashed instance's batch comes back quickly, long enough for a slow commit.
    ack_wait: float = 10.0

    @property
    def durable(self) -> str:
        return self.service

    def filter_subjects(self) -> list[str]:
        return _subjects(self)


def _subjects(spec: ConsumerSpec) -> list[str]:
    subjects = []
    for t in spec.event_types:
        if t in spec.foreign_types:
            subjects += [f"tl.{origin}.{t}" for origin in spec.foreign_origins]
        else:
            subjects.append(f"tl.{spec.request_origin if t in spec.request_types else '*'}.{t}")
    return subjects


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, a final ``>`` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for n, token in enumerate(want):
        if token == ">":
            return len(have) > n
        if n >= len(have) or (token != "*" and token != have[n]):
            return False
    return len(want) == len(have)


@dataclass(frozen=True)
class Delivery:
    """One durable consumer on a stream, feeding every service of a process that reads it.

    A process that runs several services takes each message once: one delivery, one decode, one
    acknowledgement, and each service applies it in its own transaction with its own inbox
    (shared/consumer.py). A durable per service multiplied all of that by the number of services: at
    the hub, eight times every site event. A process running one service keeps its name as durable.
    """

    stream: str
    members: tuple[ConsumerSpec, ...]

    @property
    def durable(self) -> str:
        return "-".join(sorted(m.durable for m in self.members))

    def filter_subjects(self) -> list[str]:
        """Every member's subjects, minus those another one covers: the server refuses overlapping filters."""
        wanted = sorted({s for m in self.members for s in m.filter_subjects()})
        return [s for s in wanted if not any(o != s and subject_matches(o, s) for o in wanted)]

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=max(m.ack_wait for m in self.members),
            # Unlimited at the server: the service counts attempts itself and dead-letters with the
            # reason; a server-side limit would stop redelivering silently.
            max_deliver=-1,
            max_ack_pending=5000,
            filter_subjects=self.filter_subjects(),
        )


def fed_by(durable: str) -> set[str]:
    """The services a process durable feeds, read from its name (``Delivery.durable``)."""
    return set(durable.split("-"))


def deliveries(specs: list[ConsumerSpec]) -> list[Delivery]:
    """The durables of one process: one per stream its services read."""
    by_stream: dict[str, list[ConsumerSpec]] = {}
    for spec in specs:
        by_stream.setdefault(spec.stream, []).append(spec)
    return [Delivery(stream, tuple(members)) for stream, members in by_stream.items()]


def dead_letter_subject(site: str, service: str) -> str:
    return f"dlq.{site}.{service}"


async def ensure(
    js: JetStreamContext, streams: list[StreamConfig], consumers: list[Delivery], services: frozenset[str] = frozenset()
) -> list[str]:
    """Create or update every stream and consumer; returns one French line per object.

    ``services``: the names of every service there is. A durable named after some of them that feeds one
    of ``consumers``' services under another grouping (each alone before they shared a process, or the
    other way round) is superseded: it is removed, or it would stay behind, unread, for ever.
    """
    report = []
    for config in streams:
        report.append(await _ensure_stream(js, config))
    for spec in consumers:
        report.append(await _ensure_consumer(js, spec))
        if services:
            report += await _remove_superseded(js, spec, services)
    return report


async def _remove_superseded(js: JetStreamContext, delivery: Delivery, services: frozenset[str]) -> list[str]:
    mine = {m.durable for m in delivery.members}
    removed = []
    for info in await js.consumers_info(delivery.stream):
        names = fed_by(info.name)
        if info.name != delivery.durable and names <= services and names & mine:
            await js.delete_consumer(delivery.stream, info.name)
            removed.append(f"consommateur {delivery.stream}/{info.name}: remplacé par {delivery.durable}, supprimé")
    return removed


def _unset_is_unlimited(value: object) -> object:
    # The server answers -1 for a limit the config left unset: the same thing, not a drift to "fix".
    return -1 if value is None else value


async def _ensure_stream(js: JetStreamContext, config: StreamConfig) -> str:
    assert config.name
    try:
        info = await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
        return f"flux {config.name}: créé"
    current = info.config
    kept = ""
    wanted, now = config.max_bytes or -1, current.max_bytes or -1  # -1: unlimited
    if wanted > 0 and (now < 0 or wanted < now):
        # Never shrunk by a start: a stream over its new limit would lose its oldest events, ones
        # the other end may not have copied yet. An operator shrinks it by hand, knowingly.
        config.max_bytes = now
        kept = " (taille maximale actuelle gardée)"
    drift = [
        name
        for name in ("subjects", "max_age", "max_bytes", "discard", "duplicate_window")
        if _unset_is_unlimited(getattr(current, name)) != _unset_is_unlimited(getattr(config, name))
    ]
    if sorted(s.name for s in current.sources or []) != sorted(s.name for s in config.sources or []):
        drift.append("sources")
    if not drift:
        return f"flux {config.name}: conforme{kept}"
    config.first_seq = current.first_seq  # a numbering is chosen once, at creation
    await js.update_stream(config)
    return f"flux {config.name}: mis à jour ({', '.join(drift)}){kept}"


async def _ensure_consumer(js: JetStreamContext, spec: Delivery) -> str:
    wanted = spec.config()
    label = f"consommateur {spec.stream}/{spec.durable}"
    try:
        info = await js.consumer_info(spec.stream, spec.durable)
    except NotFoundError:
        await js.add_consumer(spec.stream, wanted)
        return f"{label}: créé"
    current = info.config
    drift = [
        name for name, now, want in (
            ("sujets", sorted(current.filter_subjects or []), sorted(wanted.filter_subjects or [])),
            ("ack_wait", current.ack_wait, wanted.ack_wait),
            ("max_ack_pending", current.max_ack_pending, wanted.max_ack_pending),
        ) if now != want
    ]
    if not drift:
        return f"{label}: conforme"
    await js.add_consumer(spec.stream, wanted)  # add_consumer updates an existing durable in place
    return f"{label}: mis à jour ({', '.join(drift)})"


async def ensure_sync_consumer(js: JetStreamContext, stream: str, config: ConsumerConfig) -> str:
    """A durable consumer another node's stream sources from (shared/network.py)."""
    assert config.durable_name
    label = f"consommateur {stream}/{config.durable_name} (synchronisation)"
    try:
        info = await js.consumer_info(stream, config.durable_name)
    except NotFoundError:
        await js.add_consumer(stream, config)
        return f"{label}: créé"
    if sorted(info.config.filter_subjects or []) == sorted(config.filter_subjects or []):
        return f"{label}: conforme"
    await js.add_consumer(stream, config)  # e.g. a subject added to what the hub sends its sites
    return f"{label}: mis à jour (sujets)"


async def verify(js: JetStreamContext, streams: list[StreamConfig], consumers: list[Delivery]) -> list[str]:
    """Problems only (empty list: the topology is as defined)."""
    problems = []
    for config in streams:
        assert config.name
        try:
            info = await js.stream_info(config.name)
        except NotFoundError:
            problems.append(f"flux {config.name} absent")
            continue
        if info.config.subjects != config.subjects:
            problems.append(f"flux {config.name}: sujets {info.config.subjects} au lieu de {config.subjects}")
    for spec in consumers:
        try:
            await js.consumer_info(spec.stream, spec.durable)
        except NotFoundError:
            problems.append(f"consommateur {spec.stream}/{spec.durable} absent")
    return problems
