"""Channels: how a rendered message reaches someone.

E-mail and SMS call a provider, so the sender records the attempt before the call and passes a
stable idempotency key; the bot channel (an event in our outbox) and the call list (a row in our
database) are written in the transaction that marks the delivery, so they are exactly once.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class DeliveryError(Exception):
    """A provider said no. ``permanent``: trying again on this channel is pointless."""

    def __init__(self, detail: str, permanent: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str
    method: str  # iTIP method: REQUEST or CANCEL


@dataclass(frozen=True)
class Outgoing:
    delivery_key: str  # the idempotency key: the same for every attempt, across restarts
    kind: str
    recipient: str
    address: str
    subject: str
    text: str
    written_at: datetime
    attachment: Attachment | None = None


class ProviderChannel(Protocol):
    async def send(self, message: Outgoing) -> str | None:
        """Hand the message to the provider; returns its reference. Raises ``DeliveryError``."""
        ...
