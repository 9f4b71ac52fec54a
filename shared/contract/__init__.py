"""The public event contract. Importing this package registers every event type."""

from shared.contract import attendance, booking, directory, inventory, notification, privacy, reporting
from shared.contract.codec import InvalidEvent, decode, encode, validate_request
from shared.contract.envelope import REGISTRY, Event, Rejection, Request, subject_for

__all__ = [
    "REGISTRY",
    "Event",
    "InvalidEvent",
    "Rejection",
    "Request",
    "attendance",
    "booking",
    "decode",
    "directory",
    "encode",
    "inventory",
    "notification",
    "privacy",
    "reporting",
    "subject_for",
    "validate_request",
]
