"""Routes a batch of events to a service's handlers inside one unit of work (Cosmic Python's bus)."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from shared.contract.envelope import Event
from shared.logs import bind_event
from shared.messaging import UnitOfWork

Handler = Callable[[Any, Any], Awaitable[None]]


class MessageBus:
    def __init__(
        self,
        consumer: str,
        uow_factory: Callable[[], UnitOfWork],
        handlers: Mapping[type[Event], Handler],
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.consumer = consumer
        self._uow_factory = uow_factory
        self._handlers = handlers
        self._on_commit = on_commit

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(cls.TYPE for cls in self._handlers)

    async def process(self, events: list[Event]) -> set[str]:
        """Apply every not-yet-processed event in one transaction; returns the ids applied now."""
        async with self._uow_factory() as uow:
            fresh = await uow.claim(self.consumer, events)
            await uow.preload(fresh)
            for event in fresh:
                uow.cause = event
                with bind_event(event):
                    await self._handlers[type(event)](event, uow)
            await uow.commit()
        if uow.emitted:
            self._on_commit()
        return {e.event_id for e in fresh}
