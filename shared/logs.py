"""Logging set-up: readable text by default, one JSON object per line with ``MAILLAGE_LOG_FORMAT=json``.

JSON lines carry the ids that let an operator follow a request through the network — ``event_id``,
``event_type``, ``correlation_id``, ``causation_id``, ``request_id``, ``service``, ``site`` — taken
from ``bind(...)``/``bind_event(event)`` (a context variable, so concurrent tasks do not mix them
up) or from ``extra={...}``. Only those keys are written: a stray ``extra`` cannot leak a name.
E-mail addresses and phone numbers that reach a message anyway are masked, in both formats.
"""

import contextlib
import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

FIELDS = ("service", "site", "event_type", "event_id", "correlation_id", "causation_id", "request_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("maillage_log_context", default=None)
# The event being handled: its ids are read only when a line is written (most events log nothing,
# and binding five ids per event per service cost 5% of a hub's consumers).
_event: contextvars.ContextVar[Any] = contextvars.ContextVar("maillage_log_event", default=None)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# French numbers (0X XX XX XX XX, +33 X …) and any long run of digits with separators.
_PHONE = re.compile(r"(?<![\w-])(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
MASK = "[masqué]"


def redact(text: str) -> str:
    return _PHONE.sub(MASK, _EMAIL.sub(MASK, text))


@contextlib.contextmanager
def bind(**ids: Any) -> Iterator[None]:
    """Attach ids to every log line written inside the block (None values are ignored)."""
    fresh = {k: str(v) for k, v in ids.items() if k in FIELDS and v is not None}
    token = _context.set({**(_context.get() or {}), **fresh})
    try:
        yield
    finally:
        _context.reset(token)


class bind_event:  # lower case: used like ``bind``, as ``with bind_event(event):``
    """The ids of an event envelope (``shared.contract.envelope.Event``), never its payload."""

    __slots__ = ("_event", "_token")

    def __init__(self, event: Any) -> None:
        self._event = event

    def __enter__(self) -> None:
        self._token = _event.set(self._event)

    def __exit__(self, *_exc: object) -> None:
        _event.reset(self._token)


def _event_ids(event: Any) -> dict[str, str]:
    ids = {
        "event_type": getattr(event, "TYPE", None), "event_id": getattr(event, "event_id", None),
        "correlation_id": getattr(event, "correlation_id", None) or getattr(event, "event_id", None),
        "causation_id": getattr(event, "causation_id", None), "request_id": getattr(event, "request_id", None),
    }
    return {k: str(v) for k, v in ids.items() if v is not None}


def current_ids() -> dict[str, str]:
    """What ``bind`` and ``bind_event`` attached to the lines written here."""
    event = _event.get()
    return {**(_context.get() or {}), **(_event_ids(event) if event is not None else {})}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        line.update(current_ids())
        line.update({k: str(getattr(record, k)) for k in FIELDS if getattr(record, k, None) is not None})
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = {**current_ids(), **{k: str(getattr(record, k)) for k in FIELDS if getattr(record, k, None)}}
        text = redact(super().format(record))
        if "event_id" in ids:
            text += f" [event {ids['event_id']}" + (f" corr {ids['correlation_id']}" if "correlation_id" in ids else "")
            text += "]"
        return text


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Replace the root handlers: ``fmt`` is ``text`` or ``json`` (``MAILLAGE_LOG_FORMAT``)."""
    if fmt not in ("text", "json"):
        raise ValueError(f"format de journal inconnu : {fmt!r} (text ou json)")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else RedactingFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
