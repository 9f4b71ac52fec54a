"""The bot channel: a ``notification.bot_message`` event for bot front-ends, sent through our outbox
in the same transaction that marks the delivery sent — exactly once, with no provider to ask."""

from services.notifications.channels import Outgoing
from shared.contract.notification import BotMessage


def bot_message(message: Outgoing, subject_id: str, site: str) -> BotMessage:
    staff = message.recipient.startswith("staff:")
    return BotMessage(
        delivery_key=message.delivery_key, kind=message.kind, subject_id=subject_id, site=site,
        audience="staff" if staff else "citizen", citizen_id=None if staff else message.recipient,
        text=message.text,
    )
