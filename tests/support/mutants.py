"""Maillage with one protection removed, to prove that the fault suite notices when it is gone.

Run as ``python -m tests.support.mutants <mutation> <maillage arguments…>`` (the fault tests do,
with ``PYTHONPATH`` at the project root); in-process tests call ``apply(mutation)`` under a
monkeypatch instead.

- ``marks-before-publishing``: the relay marks rows sent *before* publishing them (outbox broken);
- ``publishes-without-msg-id``: the relay publishes without ``Nats-Msg-Id`` (no JetStream dedupe);
- ``skips-the-inbox``: the unit of work processes every delivery as new (no inbox).
"""

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import update

from shared.contract.envelope import Event
from shared.messaging import UnitOfWork
from shared.relay import OutboxRelay, Row

Patch = Callable[[Any, str, Any], None]


def marks_before_publishing(patch: Patch) -> None:
    publish = OutboxRelay._publish

    async def marked_then_published(self: OutboxRelay, rows: list[Row]) -> None:
        if rows:
            outbox = self._outbox
            async with self._engine.begin() as conn:
                ids = [row[0] for row in rows]
                await conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=time.time()))
        await publish(self, rows)

    patch(OutboxRelay, "_publish", marked_then_published)


class _NoMsgId:
    def __init__(self, js: Any) -> None:
        self._js = js

    def __getattr__(self, name: str) -> Any:
        return getattr(self._js, name)

    async def publish_async(self, subject: str, payload: bytes, **kwargs: Any) -> Any:
        kwargs.pop("headers", None)
        return await self._js.publish_async(subject, payload, **kwargs)


def publishes_without_msg_id(patch: Patch) -> None:
    init = OutboxRelay.__init__

    def without_ids(self: OutboxRelay, engine: Any, tables: Any, js: Any, *args: Any, **kwargs: Any) -> None:
        init(self, engine, tables, _NoMsgId(js), *args, **kwargs)  # type: ignore[arg-type]

    patch(OutboxRelay, "__init__", without_ids)


def skips_the_inbox(patch: Patch) -> None:
    async def every_event_is_new(self: UnitOfWork, consumer: str, events: Iterable[Event]) -> list[Event]:
        return list(events)

    patch(UnitOfWork, "claim", every_event_is_new)


MUTATIONS: dict[str, Callable[[Patch], None]] = {
    "marks-before-publishing": marks_before_publishing,
    "publishes-without-msg-id": publishes_without_msg_id,
    "skips-the-inbox": skips_the_inbox,
}


def apply(mutation: str, patch: Patch = setattr) -> None:
    MUTATIONS[mutation](patch)


if __name__ == "__main__":
    from maillage.cli import main

    apply(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
