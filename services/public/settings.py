"""Settings of the public booking page (env prefix ``MAILLAGE_``)."""

from pydantic import Field

from shared.settings import NodeSettings

# Names people read; override with MAILLAGE_SITE_NAMES (JSON object slug → name).
SITE_NAMES = {
    "hub": "Pôle numérique de Carcassonne",
    "trebes": "Tiers-lieu de Trèbes",
    "conques": "Tiers-lieu de Conques-sur-Orbiel",
    "alzonne": "Tiers-lieu d'Alzonne",
    "capendu": "Tiers-lieu de Capendu",
    "montolieu": "Tiers-lieu de Montolieu",
}


class FrontendSettings(NodeSettings):
    site_names: dict[str, str] = Field(default=dict(SITE_NAMES), description="slug → name shown to people")
    timezone: str = Field(default="Europe/Paris", description="local time of the pages")
    request_timeout: float = Field(default=5.0, gt=0, description="seconds to wait for an outcome")

    def site_name(self, slug: str) -> str:
        return self.site_names.get(slug, slug)


class PublicSettings(FrontendSettings):
    public_host: str = "127.0.0.1"
    public_port: int = Field(default=8081, ge=0, le=65535, description="0: a free port")
    public_base_url: str | None = Field(default=None, description="address in links sent to people")
    public_weeks: int = Field(default=8, ge=1, le=52, description="weeks of workshops shown")
