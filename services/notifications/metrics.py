"""Notifications' own Prometheus families (names ``maillage_*``, labels ``service`` and ``site``)."""

from prometheus_client import Counter, Gauge

MESSAGES = Counter(
    "maillage_notifications_messages_total",
    "Messages by channel, kind and outcome: sent, failed (channel given up), retried, deferred (quiet hours), "
    "cancelled, expired (event started), withheld (no consent), undeliverable",
    ["service", "site", "channel", "kind", "outcome"],
)
REMINDER_QUEUE = Gauge(
    "maillage_notifications_reminder_queue", "Reminders scheduled and not sent yet", ["service", "site"]
)
OLDEST_REMINDER = Gauge(
    "maillage_notifications_oldest_pending_reminder_seconds",
    "How late the oldest reminder that is due but not sent yet is (0: none waiting)",
    ["service", "site"],
)
DELIVERIES_PENDING = Gauge(
    "maillage_notifications_deliveries_pending", "Deliveries waiting for the sender, by channel",
    ["service", "site", "channel"],
)
CALLS_OPEN = Gauge(
    "maillage_notifications_calls_open", "Call-list entries not done yet", ["service", "site"]
)


def count(site: str, channel: str, kind: str, outcome: str, n: int = 1) -> None:
    MESSAGES.labels(service="notifications", site=site, channel=channel, kind=kind, outcome=outcome).inc(n)
