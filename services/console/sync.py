"""The site's sync status as staff read it: is the local server up, how much has not reached the hub yet,
when this node last heard from the others. Read from JetStream and the console's own store only."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.console import queries
from shared.topology import origin_stream_name

# The durable consumer the hub sources a site's stream through (shared/network.py, DESIGN §3): its
# num_pending is "produced here, not yet at the hub".
TO_HUB = "to-hub"


@dataclass
class SyncStatus:
    connected: bool
    role: str
    produced: int | None = None  # events in this node's stream
    not_at_hub: int | None = None  # None: no link to a hub configured or never established
    heard: list[dict[str, Any]] = field(default_factory=list)  # origin, last_seen_at (datetime)


async def sync_status(nc: NATS, js: JetStreamContext, engine: AsyncEngine, site: str, role: str) -> SyncStatus:
    status = SyncStatus(connected=nc.is_connected, role=role)
    if status.connected:
        try:
            info = await js.stream_info(origin_stream_name(site))
            status.produced = info.state.messages
            if role == "site":
                consumer = await js.consumer_info(origin_stream_name(site), TO_HUB, timeout=2.0)
                status.not_at_hub = consumer.num_pending or 0
        except (NotFoundError, TimeoutError):
            pass
    async with engine.connect() as conn:
        for row in await queries.origins(conn):
            if row["origin"] != site:
                status.heard.append({"origin": row["origin"],
                                     "last_seen_at": datetime.fromtimestamp(row["last_seen_at"], UTC)})
    return status
