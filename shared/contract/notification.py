"""Notification events (subjects ``tl.<origin>.notification.*``).

The notifications service speaks to bot front-ends with ``notification.bot_message``: the front-end
knows how to reach a ``citizen_id`` (or a site's staff group), so no contact detail is carried.
"""

from typing import Literal

from shared.contract.envelope import Event

Audience = Literal["citizen", "staff"]


class BotMessage(Event):
    """One message for a bot front-end to pass on, exactly once per ``delivery_key``.

    ``delivery_key`` is stable for (message kind, subject, recipient, channel): a front-end that
    sees it twice (e.g. after replaying the stream) must show it once.
    """

    TYPE = "notification.bot_message"
    delivery_key: str
    kind: str
    subject_id: str
    site: str
    audience: Audience = "citizen"
    citizen_id: str | None = None
    text: str
