"""Wire format: JSON bodies on ``tl.<origin>.<type>`` subjects. Decoding never guesses."""

from pydantic import ValidationError

from shared.contract.envelope import REGISTRY, Event, is_slug


class InvalidEvent(Exception):
    """A message that can never be processed; ``reason`` is a short code, ``detail`` says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def type_from_subject(subject: str) -> tuple[str, str]:
    parts = subject.split(".")
    if len(parts) != 4 or parts[0] != "tl":
        raise InvalidEvent("bad_subject", f"subject {subject!r} is not tl.<origin>.<domain>.<event>")
    return parts[1], f"{parts[2]}.{parts[3]}"


def decode(subject: str, data: bytes) -> Event:
    origin, event_type = type_from_subject(subject)
    cls = REGISTRY.get(event_type)
    if cls is None:
        raise InvalidEvent("unknown_type", f"no event type {event_type!r} in the contract")
    try:
        event = cls.model_validate_json(data)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise InvalidEvent("malformed_json", str(exc.errors()[0]["msg"])) from None
        raise InvalidEvent("invalid_event", _summary(exc)) from None
    major = event.schema_version.split(".", 1)[0]
    if major != str(cls.SCHEMA_MAJOR):
        raise InvalidEvent(
            "unsupported_schema_version",
            f"{event_type} schema_version {event.schema_version!r}; this consumer reads {cls.SCHEMA_MAJOR}.x",
        )
    if event.type != event_type:
        raise InvalidEvent("type_mismatch", f"body type {event.type!r} on a {event_type!r} subject")
    # A site may only speak for itself: the origin in the body must be the one in the subject.
    if not is_slug(event.origin) or event.origin != origin:
        raise InvalidEvent("origin_mismatch", f"body origin {event.origin!r} on subject origin {origin!r}")
    return event


def encode(event: Event) -> bytes:
    return event.model_dump_json().encode()


def validate_request(event_type: str, payload: dict[str, object]) -> Event:
    """Build an event from user input (CLI, front-ends) with clear errors."""
    cls = REGISTRY.get(event_type)
    if cls is None:
        known = ", ".join(sorted(REGISTRY))
        raise InvalidEvent("unknown_type", f"unknown event type {event_type!r}; known: {known}")
    try:
        return cls.model_validate(payload)
    except ValidationError as exc:
        raise InvalidEvent("invalid_event", _summary(exc)) from None


def _summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
