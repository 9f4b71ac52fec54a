"""iCalendar (RFC 5545) invitations and cancellations, written by hand: it is a few lines of text.

The UID is the booking's, so every later message about it (a new time, a cancellation) updates the
same calendar entry; SEQUENCE grows with each change, and METHOD:CANCEL with a higher SEQUENCE
removes the entry from the person's calendar (RFC 5546 iTIP).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Method = Literal["REQUEST", "CANCEL"]


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    method: Method
    starts_at: datetime
    ends_at: datetime
    stamp: datetime
    summary: str
    location: str
    description: str
    organizer_name: str
    organizer_email: str
    attendee_email: str | None = None


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\n").replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Lines longer than 75 octets are folded (CRLF + space) without cutting a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _param(value: str) -> str:
    return '"' + value.replace('"', "'") + '"'


def to_ics(event: CalendarEvent) -> str:
    utc = _utc
    status = "CANCELLED" if event.method == "CANCEL" else "CONFIRMED"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Maillage//Notifications//FR",
        "CALSCALE:GREGORIAN",
        f"METHOD:{event.method}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{utc(event.stamp)}",
        f"DTSTART:{utc(event.starts_at)}",
        f"DTEND:{utc(event.ends_at)}",
        f"SUMMARY:{escape(event.summary)}",
        f"LOCATION:{escape(event.location)}",
        f"DESCRIPTION:{escape(event.description)}",
        f"ORGANIZER;CN={_param(event.organizer_name)}:mailto:{event.organizer_email}",
    ]
    if event.attendee_email:
        lines.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:{event.attendee_email}")
    lines += [f"STATUS:{status}", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
