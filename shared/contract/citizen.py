"""How a citizen appears in events: a pseudonymous id and the few facts reports need (DESIGN §7)."""

from pydantic import BaseModel, ConfigDict, Field

from shared.contract.national import AgeBracket, Gender, SocialStatus

INSEE_PATTERN = r"^(\d{5}|2[AB]\d{3})$"


class CitizenRef(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, use_enum_values=True)

    citizen_id: str = Field(min_length=6, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    age_bracket: AgeBracket = AgeBracket.non_communique
    commune_insee: str | None = Field(default=None, pattern=INSEE_PATTERN)
    status: SocialStatus = SocialStatus.non_communique
    gender: Gender = Gender.non_communique
