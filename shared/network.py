"""The network of nodes: how site streams reach the hub and hub events reach sites (DESIGN §1, §3).

- Each node captures what it produces in ``TL_<SLUG>`` (see ``topology.origin_stream``).
- The hub's ``TL_NETWORK`` has no subjects of its own: it sources ``TL_HUB`` and every site's
  stream across JetStream domains, through a durable flow-control consumer ``to-hub`` that each
  site keeps on its own stream (durable sourcing, server ≥ 2.14). Its ``num_pending`` is the
  site's "not yet at the hub" figure.
- Each site's ``HUB_TO_<SLUG>`` sources ``TL_HUB`` through a durable consumer ``to-<slug>`` that
  the hub keeps: catalogue, requests made at the hub for the site's workshops, transfers...
- A site logs in to the hub as its own leaf user that may publish only its own subjects plus what
  sourcing needs (deliver subjects, flow control, API replies).

Adding a site is configuration (its slug and password in the hub's settings), not code.
"""

from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    ExternalStream,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamConsumerSource,
    StreamSource,
)

from shared.topology import DAY, origin_stream_name

HUB = "hub"
NETWORK_STREAM = "TL_NETWORK"
TO_HUB = "to-hub"
# What travels hub → site: never directory events (contact details stay on the node that needs them);
# erasures decided at the hub do (services/privacy), so an offline site applies them when it reconnects.
HUB_TO_SITE_SUBJECTS = ["tl.hub.booking.>", "tl.hub.attendance.>", "tl.hub.inventory.>", "tl.hub.privacy.>"]


def hub_copy_stream_name(site: str) -> str:
    return f"HUB_TO_{site.upper()}"


def to_site(site: str) -> str:
    return f"to-{site}"


def deliver_subject(from_node: str, consumer: str) -> str:
    return f"sync.{from_node}.{consumer}"


def sourcing_consumer(name: str, from_node: str, filter_subjects: list[str] | None = None) -> ConsumerConfig:
    """A durable push consumer driven by the sourcing server's flow control (ADR-58/60)."""
    return ConsumerConfig(
        durable_name=name,
        deliver_subject=deliver_subject(from_node, name),
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.FLOW_CONTROL,
        flow_control=True,
        idle_heartbeat=5.0,
        max_deliver=-1,
        ack_wait=None,
        filter_subjects=filter_subjects,
    )


def durable_source(stream: str, from_node: str, consumer: str) -> StreamSource:
    return StreamSource(
        name=stream,
        external=ExternalStream(api=f"$JS.{from_node}.API"),
        consumer=StreamConsumerSource(name=consumer, deliver_subject=deliver_subject(from_node, consumer)),
    )


def network_stream(sites: list[str], max_age_days: int, max_bytes: int) -> StreamConfig:
    # duplicate_window 0: two sites may produce the same id by accident; the inbox de-duplicates.
    return StreamConfig(
        name=NETWORK_STREAM,
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.NEW,
        max_age=max_age_days * DAY,
        max_bytes=max_bytes,
        duplicate_window=0,
        sources=[StreamSource(name=origin_stream_name(HUB))]
        + [durable_source(origin_stream_name(site), site, TO_HUB) for site in sites],
    )


def hub_copy_stream(site: str, max_age_days: int, max_bytes: int) -> StreamConfig:
    return StreamConfig(
        name=hub_copy_stream_name(site),
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.NEW,
        max_age=max_age_days * DAY,
        max_bytes=max_bytes,
        duplicate_window=0,
        sources=[durable_source(origin_stream_name(HUB), HUB, to_site(site))],
    )


def site_permissions(site: str) -> dict[str, dict[str, list[str]]]:
    """The hub's view of what a site's leaf connection may send in (publish) and receive (subscribe).

    Measured on 2.15: durable sourcing in both directions needs exactly these; without ``$JSC.>``
    or ``$JS.FC.>`` it stalls with no error on the publisher's side.
    """
    copy = f"{origin_stream_name(HUB)}.{to_site(site)}"
    return {
        "publish": {"allow": [
            f"tl.{site}.>",  # its own events only: another site's or the hub's subjects are refused
            deliver_subject(site, TO_HUB),  # its stream flowing into the hub's TL_NETWORK
            f"$JS.{HUB}.API.CONSUMER.INFO.{copy}",
            f"$JS.{HUB}.API.CONSUMER.RESET.{copy}",
            "$JS.FC.>",
            "$JSC.>",
            "_INBOX.>",
        ]},
        "subscribe": {"allow": [
            deliver_subject(HUB, to_site(site)),
            f"$JS.{site}.API.>",
            "$JS.FC.>",
            "$JSC.>",
            "_INBOX.>",
        ]},
    }
