"""Privacy settings (env ``MAILLAGE_*``): how long people are kept, who answers for the processing."""

from pydantic import Field, model_validator

from shared.settings import NodeSettings


def shortest_days(months: int) -> int:
    """The fewest days ``months`` calendar months can span (February counted at 28)."""
    return months * 28


class PrivacySettings(NodeSettings):
    privacy_inactivity_months: int = Field(
        default=12, ge=1, le=120, description="a person inactive this long is anonymised (months after last activity)"
    )
    privacy_access_log_months: int = Field(default=12, ge=1, le=120, description="access log entries kept this long")
    privacy_retention_check_hours: float = Field(default=24.0, gt=0, description="period of the retention job (hub)")
    privacy_scrub_period_seconds: float = Field(
        default=1.0, gt=0, description="how soon an erasure reaches this node's streams"
    )
    privacy_jobs: bool = Field(default=True, description="false: tests drive the jobs by hand")
    # EXAMPLE DATA for the processing register — replace with the network's own.
    privacy_controller: str = Field(
        default="Pôle numérique de Carcassonne (exemple), 12 rue de l'Exemple, 11000 Carcassonne",
        description="data controller named in the processing register",
    )
    privacy_contact: str = Field(
        default="dpo@maillage.example (exemple)", description="whom people write to about their data"
    )

    @model_validator(mode="after")
    def _streams_forget_in_time(self) -> "PrivacySettings":
        # Contact cards travel in JetStream streams (see services/privacy/__init__.py): a stream must
        # not keep one longer than the person may be kept, or retention would leave copies behind.
        if self.stream_max_age_days > shortest_days(self.privacy_inactivity_months):
            raise ValueError(
                f"stream_max_age_days ({self.stream_max_age_days} j) dépasse la durée de conservation des "
                f"personnes ({self.privacy_inactivity_months} mois) : les flux garderaient des coordonnées"
            )
        return self
