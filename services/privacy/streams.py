"""Erasing a person's copies from this node's JetStream streams (secure delete).

``STREAM.MSG.DELETE`` without ``no_erase`` overwrites the message in the store's block file with
random bytes before removing it (measured: the string is gone from every file of the store dir),
so a deleted contact card cannot be read back from disk. Only the events that may carry a name or
a contact detail are looked at (``model.PERSONAL_TYPES``), through the server's per-subject index
(``next_by_subj``): an erasure costs one request per such event in the stream, not a full read.
"""

import json
from collections.abc import Callable

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from services.privacy.model import PERSONAL_TYPES, names_person
from shared import network
from shared.settings import NodeSettings
from shared.topology import DLQ_STREAM, origin_stream_name


def streams_of(settings: NodeSettings) -> list[str]:
    """Every stream of this node a contact card or a bot message can be in."""
    own = [origin_stream_name(settings.site)]
    if settings.role == "site":
        own.append(network.hub_copy_stream_name(settings.site))
    elif settings.sites:
        own.append(network.NETWORK_STREAM)
    return own


async def erase_person(js: JetStreamContext, settings: NodeSettings, citizen_id: str, before: float) -> int:
    """Erase every copy about ``citizen_id`` made up to ``before``; returns how many were erased."""

    def about_person(data: bytes) -> bool:
        try:
            body = json.loads(data)
        except ValueError:
            return False
        return isinstance(body, dict) and names_person(body, citizen_id, before)

    erased = 0
    for stream in streams_of(settings):
        for event_type in PERSONAL_TYPES:
            erased += await _erase_matching(js, stream, f"tl.*.{event_type}", about_person)
    # A dead letter keeps the body it could not process: anything naming the person goes too.
    needle = citizen_id.encode()
    erased += await _erase_matching(js, DLQ_STREAM, "dlq.>", lambda data: needle in data)
    return erased


async def _erase_matching(js: JetStreamContext, stream: str, subject: str, wanted: Callable[[bytes], bool]) -> int:
    erased, seq = 0, 1
    while True:
        try:
            msg = await js.get_msg(stream, seq, subject=subject, next=True)
        except NotFoundError:  # no further message on that subject (or no such stream on this node)
            return erased
        assert msg.seq is not None
        if wanted(msg.data or b""):
            await js.delete_msg(stream, msg.seq)  # secure erase: no_erase is false
            erased += 1
        seq = msg.seq + 1
