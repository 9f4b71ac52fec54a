"""Settings of the staff console (env prefix ``MAILLAGE_``)."""

from pydantic import Field

from services.public.settings import FrontendSettings


class ConsoleSettings(FrontendSettings):
    console_host: str = "127.0.0.1"
    console_port: int = Field(default=8080, ge=0, le=65535, description="0: a free port")
    console_session_hours: float = Field(default=12.0, gt=0, description="a login lasts this long")
    console_secure_cookie: bool = Field(default=False, description="set when served over HTTPS")
