"""Settings: environment variables prefixed ``MAILLAGE_`` (and a ``.env`` file), validated at start-up.

Defaults give a working single-machine hub: an embedded nats-server and SQLite files under ``./var``.
"""

import re
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.contract.envelope import SLUG_PATTERN


class NodeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAILLAGE_", env_file=".env", extra="ignore")

    site: str = Field(default="hub", pattern=SLUG_PATTERN, description="slug of this node: hub or a site")
    role: Literal["hub", "site"] = "hub"
    data_dir: Path = Path("var")
    nats_url: str | None = Field(default=None, description="unset: start the embedded nats-server")
    nats_port: int = Field(default=0, ge=0, le=65535, description="embedded server port; 0 = 4222 if free")
    nats_monitor_port: int | None = Field(default=None, ge=0, le=65535, description="embedded server's HTTP monitor")
    nats_listen_host: str = Field(default="127.0.0.1", description="embedded server address (0.0.0.0 in containers)")
    database_url: str | None = Field(default=None, description="unset: one SQLite file per service")
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=0, le=65535)
    stream_max_age_days: int = Field(default=180, ge=1, description="keep events longer than an outage")
    stream_max_bytes: int | None = Field(
        default=None, ge=1024**2,
        description="per stream, reserved on disk by JetStream; unset: 2 GiB at the hub, 512 MiB at a site",
    )
    consumer_batch: int = Field(default=500, ge=1, le=2000)
    max_attempts: int = Field(default=5, ge=1, le=100)
    log_level: str = "INFO"
    # --- the network of nodes (DESIGN §1) ---
    hub_url: str | None = Field(default=None, description="site: the hub's leaf URL, nats-leaf://host:7422")
    site_password: SecretStr | None = Field(default=None, description="site: its password at the hub")
    sites: dict[str, SecretStr] = Field(
        default_factory=dict, description='hub: the site nodes and their passwords, JSON {"trebes": "…"}'
    )
    leaf_port: int = Field(default=7422, ge=0, le=65535, description="hub: port for site leaf links; 0 = free")
    leaf_tls_cert: str | None = Field(default=None, description="hub: TLS certificate for site links")
    leaf_tls_key: str | None = Field(default=None, description="hub: TLS key for site links")
    hub_ca_file: str | None = Field(default=None, description="site: CA that signed the hub's certificate")
    services_password: SecretStr | None = Field(
        default=None, description="hub with sites: password of local services at the hub's NATS (generated)"
    )

    @field_validator("sites")
    @classmethod
    def _site_slugs(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        bad = [slug for slug in value if not re.match(SLUG_PATTERN, slug) or slug == "hub"]
        if bad:
            raise ValueError(f"slugs de sites invalides : {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _role_matches(self) -> Self:
        if self.site == "hub" and self.role != "hub":
            raise ValueError("le nœud « hub » a le rôle hub")
        if self.site != "hub":
            self.role = "site"
        if self.role == "site" and self.hub_url and self.site_password is None:
            raise ValueError("un site relié au hub (MAILLAGE_HUB_URL) a besoin de MAILLAGE_SITE_PASSWORD")
        return self

    @field_validator("nats_url", "database_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def stream_bytes(self) -> int:
        # A site box may be a small PC: its two streams reserve 1 GiB, not 4 (a stream cannot be
        # created without its reservation). 512 MiB holds over 500,000 events, far above what a
        # tiers-lieu produces in the 180 days a stream keeps.
        if self.stream_max_bytes is not None:
            return self.stream_max_bytes
        return 2 * 1024**3 if self.role == "hub" else 512 * 1024**2

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / f'{self.site}-{service}.sqlite3'}"


class BookingSettings(NodeSettings):
    booking_opens_days: int = Field(default=60, ge=0, description="booking opens N days before")
    booking_closes_hours: int = Field(default=1, ge=0, description="booking closes N hours before")
    max_active_bookings: int = Field(default=5, ge=1, description="per citizen, confirmed + waitlisted")
    session_close_grace_minutes: int = Field(default=120, ge=0, description="auto no-show marking delay")
