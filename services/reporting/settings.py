"""Reporting settings (``MAILLAGE_`` prefix like every service, see ``shared/settings.py``)."""

import re
from datetime import datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from services.reporting.catalogue import Network, Territory, load_network, territory
from services.reporting.indicators import Options
from shared.contract.citizen import INSEE_PATTERN
from shared.settings import NodeSettings


class ReportingSettings(NodeSettings):
    dashboard_host: str = Field(default="127.0.0.1", description="address of the dashboard's HTTP server")
    dashboard_port: int = Field(default=9470, ge=0, le=65535, description="0 = any free port")
    timezone: str = Field(default="Europe/Paris", description="days and months are counted in this zone")
    suppression_threshold: int = Field(
        default=5, ge=1, description="published counts below this are suppressed (nobody singled out)"
    )
    urban_communes: list[str] = Field(
        default_factory=list,
        description="INSEE codes counted as urban; empty = communes of at least urban_min_population",
    )
    urban_min_population: int = Field(default=2000, ge=0, description="used when urban_communes is empty")
    sites_catalogue: Path | None = Field(
        default=None, description="JSON catalogue of the network's places; unset = the shipped example"
    )
    grant_funding_sources: list[str] = Field(
        default_factory=lambda: ["fabriques-de-territoires"],
        description="inventory funding sources counted as the Fabriques de territoires grant",
    )
    gauges_period_seconds: float = Field(default=60.0, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError):
            raise ValueError(f"fuseau horaire inconnu : {value!r}") from None
        return value

    @field_validator("urban_communes")
    @classmethod
    def _insee_codes(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not re.match(INSEE_PATTERN, c)]
        if bad:
            raise ValueError(f"codes INSEE invalides : {', '.join(bad)}")
        return codes

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def territory(self) -> Territory:
        return territory(self.urban_communes, self.urban_min_population)

    @cached_property
    def network(self) -> Network:
        return load_network(self.sites_catalogue)

    def options(self, now: datetime) -> Options:
        """How indicators are computed here: the grant's funding sources, and today for loans still out."""
        return Options(tuple(self.grant_funding_sources), now.astimezone(self.zone).date())
