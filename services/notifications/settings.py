"""Notifications settings (env ``MAILLAGE_*``) and the table of places named in messages."""

from dataclasses import dataclass
from datetime import time

from pydantic import Field, SecretStr, model_validator

from shared.settings import NodeSettings

CHANNELS = ("email", "sms", "bot", "phone_call")


@dataclass(frozen=True)
class Place:
    name: str
    address: str
    phone: str
    short: str  # in SMS, where every character counts


# EXAMPLE DATA — demo places, not real addresses or phone numbers. Replace with the network's own.
PLACES: dict[str, Place] = {
    "hub": Place(
        "Pôle numérique de Carcassonne", "12 rue de l'Exemple, 11000 Carcassonne", "04 68 00 00 00",
        "Pôle numérique Carcassonne",
    ),
    "trebes": Place(
        "Tiers-lieu de Trèbes", "1 place de l'Exemple, 11800 Trèbes", "04 68 00 00 01", "Tiers-lieu Trèbes"
    ),
    "conques": Place(
        "Tiers-lieu de Conques-sur-Orbiel", "2 avenue de l'Exemple, 11600 Conques-sur-Orbiel", "04 68 00 00 02",
        "Tiers-lieu Conques",
    ),
    "alzonne": Place(
        "Tiers-lieu d'Alzonne", "3 rue de l'Exemple, 11170 Alzonne", "04 68 00 00 03", "Tiers-lieu Alzonne"
    ),
    "capendu": Place(
        "Tiers-lieu de Capendu", "4 boulevard de l'Exemple, 11700 Capendu", "04 68 00 00 04", "Tiers-lieu Capendu"
    ),
    "montolieu": Place(
        "Tiers-lieu de Montolieu", "5 chemin de l'Exemple, 11170 Montolieu", "04 68 00 00 05", "Tiers-lieu Montolieu"
    ),
}


def place_of(site: str) -> Place:
    return PLACES.get(site) or Place(f"lieu « {site} »", "", PLACES["hub"].phone, site)


DEFAULT_SMS_BODY = '{"to": "$to", "from": "$sender", "text": "$text", "reference": "$key"}'


class NotificationSettings(NodeSettings):
    # What to send and when
    reminder_offsets_hours: list[float] = Field(default=[24.0, 2.0], description="reminders N hours before")
    channel_order: list[str] = Field(
        default=["sms", "email", "bot", "phone_call"], description="after the preferred channel, in this order"
    )
    quiet_start: time = Field(default=time(21, 0), description="no message on quiet channels from (local time)")
    quiet_end: time = Field(default=time(8, 0), description="… until (local time)")
    quiet_channels: list[str] = Field(default=["sms"], description="channels that respect quiet hours")
    timezone: str = "Europe/Paris"
    staff_emails: dict[str, str] = Field(default_factory=dict, description="site slug → staff e-mail")
    contact_grace_minutes: float = Field(default=10.0, ge=0, description="wait for a contact card behind a booking")

    # Sender loop
    send_period_seconds: float = Field(default=2.0, gt=0)
    send_batch: int = Field(default=50, ge=1, le=1000)
    send_concurrency: int = Field(default=4, ge=1, le=64)
    send_lease_seconds: float = Field(default=120.0, gt=0, description="an unfinished send is retried after")
    max_attempts_per_channel: int = Field(default=4, ge=1, le=20)
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    retention_days: int = Field(default=90, ge=1, description="delivered messages and their log kept this long")
    notifications_jobs: bool = Field(default=True, description="false: tests drive the jobs by hand")

    # E-mail (SMTP)
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_timeout: float = Field(default=30.0, gt=0)
    mail_from: str = "Maillage <ne-pas-repondre@maillage.example>"
    mail_domain: str = Field(default="maillage.example", description="right-hand side of Message-IDs and UIDs")

    # SMS (a provider-agnostic HTTP gateway)
    sms_gateway_url: str | None = None
    sms_auth_header: str = "Authorization"
    sms_auth_value: SecretStr | None = None
    sms_body_template: str = Field(default=DEFAULT_SMS_BODY, description="JSON with $to $text $sender $key")
    sms_idempotency_header: str = "Idempotency-Key"
    sms_sender: str = "MAILLAGE"
    sms_timeout: float = Field(default=15.0, gt=0)

    @model_validator(mode="after")
    def _coherent(self) -> "NotificationSettings":
        unknown = {*self.channel_order, *self.quiet_channels} - set(CHANNELS)
        if unknown:
            raise ValueError(f"canaux inconnus : {', '.join(sorted(unknown))}")
        if max(self.smtp_timeout, self.sms_timeout) >= self.send_lease_seconds:
            # Otherwise a send still in progress could be taken for a crashed one and sent again.
            raise ValueError("send_lease_seconds doit dépasser smtp_timeout et sms_timeout")
        if any(h <= 0 for h in self.reminder_offsets_hours):
            raise ValueError("reminder_offsets_hours doit être positif")
        return self
