"""The one envelope every event carries (DESIGN §2), and the registry of event types.

Events are flat pydantic models: envelope fields first, then the payload. A service builds an event
with only its payload; the outbox stamps the envelope (origin, hlc, causation) when it is emitted and
the relay adds ``origin_seq`` when it is published.
"""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.ids import uuid7

SLUG_PATTERN = r"^[a-z][a-z0-9-]{0,30}$"
_SLUG = re.compile(SLUG_PATTERN)

Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
Identifier = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]


def is_slug(value: str) -> bool:
    return bool(_SLUG.match(value))


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("les dates doivent porter un fuseau horaire (UTC recommandé)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_aware_utc)]


def utcnow() -> datetime:
    return datetime.now(UTC)


REGISTRY: dict[str, type["Event"]] = {}


class Event(BaseModel):
    # "ignore" so that a newer minor version with extra optional fields still parses (DESIGN §2).
    model_config = ConfigDict(extra="ignore", frozen=True, use_enum_values=True)

    TYPE: ClassVar[str] = ""
    SCHEMA_MAJOR: ClassVar[int] = 1

    event_id: str = Field(default_factory=uuid7)
    type: str = ""
    schema_version: str = "1.0"
    origin: str = ""
    origin_seq: int = 0
    hlc: str = ""
    occurred_at: UtcDatetime = Field(default_factory=utcnow)
    correlation_id: str | None = None
    causation_id: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.TYPE:
            if cls.TYPE in REGISTRY:
                raise TypeError(f"event type {cls.TYPE} declared twice")
            REGISTRY[cls.TYPE] = cls

    def model_post_init(self, context: Any) -> None:
        if not self.type:
            object.__setattr__(self, "type", self.TYPE)

    @property
    def domain(self) -> str:
        return self.TYPE.split(".", 1)[0]

    def subject(self) -> str:
        return subject_for(self.origin, self.TYPE)


def subject_for(origin: str, event_type: str) -> str:
    """``tl.<origin>.<domain>.<event>`` (DESIGN §2)."""
    return f"tl.{origin}.{event_type}"


class Request(Event):
    """A wish from a front-end or staff; answered by outcome events carrying the same ``request_id``.

    ``request_id`` defaults to the event id; front-ends that retry reuse it, and it is the
    ``Nats-Msg-Id`` of the publish so JetStream drops retries inside its window.
    """

    request_id: Identifier = ""

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        if not self.request_id:
            object.__setattr__(self, "request_id", self.event_id)


class Rejection(Event):
    """The answer to a request that could not be honoured: a reason code and a French message."""

    request_id: str
    request_type: str
    reason: str
    detail: str = ""
