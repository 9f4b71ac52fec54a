"""Prometheus metric families (DESIGN §6): names ``maillage_*``, labels ``service`` and ``site``."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "maillage_events_consumed_total",
    "Events taken from JetStream by a service, by type and outcome (processed, duplicate, dead_letter, retried)",
    ["service", "site", "type", "outcome"],
)
BATCH_SECONDS = Histogram(
    "maillage_handler_batch_seconds",
    "Time to process one pulled batch in one transaction (decode, handlers, commit, ack)",
    ["service", "site"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
BATCH_SIZE = Histogram(
    "maillage_handler_batch_size",
    "Messages per pulled batch",
    ["service", "site"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
DEAD_LETTERS = Counter(
    "maillage_dead_letters_total",
    "Messages copied to the dead-letter stream TL_DLQ, by reason",
    ["service", "site", "reason"],
)
CONSUMER_PENDING = Gauge(
    "maillage_consumer_pending",
    "Messages in the stream not yet delivered to this service's durable consumer (consumer lag)",
    ["service", "site"],
)
CONSUMER_ACK_PENDING = Gauge(
    "maillage_consumer_ack_pending",
    "Messages delivered to this service and not yet acknowledged",
    ["service", "site"],
)
OUTBOX_BACKLOG = Gauge(
    "maillage_outbox_backlog",
    "Committed events not yet acknowledged by JetStream",
    ["service", "site"],
)
OUTBOX_PUBLISHED = Counter(
    "maillage_outbox_published_total", "Outbox events acknowledged by JetStream", ["service", "site"]
)
OUTBOX_FAILURES = Counter(
    "maillage_outbox_failures_total", "Outbox publish attempts without a JetStream ack", ["service", "site"]
)
SERVICE_UP = Gauge("maillage_service_up", "1 while the service's consumer loop runs", ["service", "site"])
SITE_UP = Gauge("maillage_site_up", "1 when the hub currently hears from the site", ["site"])
SITE_LAST_SEEN_AGE = Gauge(
    "maillage_site_last_seen_age_seconds", "Seconds since the hub last heard from the site", ["site"]
)
SYNC_BACKLOG = Gauge("maillage_sync_backlog", "Site events not yet sent to the hub", ["site"])

# Business gauges, refreshed by each service from its own store.
BOOKINGS = Gauge(
    "maillage_bookings", "Bookings of upcoming sessions by status", ["service", "site", "status"]
)
WORKSHOPS_UPCOMING = Gauge(
    "maillage_workshops_upcoming", "Workshop sessions scheduled and not yet held", ["service", "site"]
)
WAITLIST = Gauge(
    "maillage_waitlist_length", "People on the waitlists of upcoming sessions", ["service", "site"]
)

# JetStream store of this node, fed from the account info (alert before discard-new refuses events).
JETSTREAM_STORE_BYTES = Gauge(
    "maillage_jetstream_store_bytes", "Bytes the node's JetStream account stores on disk", ["site"]
)
JETSTREAM_STORE_LIMIT_BYTES = Gauge(
    "maillage_jetstream_store_limit_bytes",
    "Disk the node's JetStream account may use (account limit, else the server's max_file_store)",
    ["site"],
)
