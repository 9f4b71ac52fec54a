"""Settings: environment variables prefixed ``MAILLAGE_`` (and a ``.env`` file), validated at start-up.

Defaults give a working single-machine hub: an embedded nats-server and SQLite files under ``./var``.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.contract.envelope import SLUG_PATTERN


class NodeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAILLAGE_", env_file=".env", extra="ignore")

    site: str = Field(default="hub", pattern=SLUG_PATTERN, description="slug of this node: hub or a site")
    role: Literal["hub", "site"] = "hub"
    data_dir: Path = Path("var")
    nats_url: str | None = Field(default=None, description="unset: start the embedded nats-server")
    nats_port: int = Field(default=0, ge=0, le=65535, description="embedded server port; 0 = 4222 if free")
    database_url: str | None = Field(default=None, description="unset: one SQLite file per service")
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=9464, ge=0, le=65535)
    stream_max_age_days: int = Field(default=180, ge=1, description="keep events longer than an outage")
    stream_max_bytes: int = Field(default=2 * 1024**3, ge=1024**2)
    consumer_batch: int = Field(default=200, ge=1, le=1000)
    max_attempts: int = Field(default=5, ge=1, le=100)
    log_level: str = "INFO"

    @field_validator("nats_url", "database_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / f'{self.site}-{service}.sqlite3'}"


class BookingSettings(NodeSettings):
    booking_opens_days: int = Field(default=60, ge=0, description="booking opens N days before")
    booking_closes_hours: int = Field(default=1, ge=0, description="booking closes N hours before")
    max_active_bookings: int = Field(default=5, ge=1, description="per citizen, confirmed + waitlisted")
    session_close_grace_minutes: int = Field(default=120, ge=0, description="auto no-show marking delay")
