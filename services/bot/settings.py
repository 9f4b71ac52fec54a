"""Settings of the Telegram bot (env prefix ``MAILLAGE_``). No token: no bot on this node."""

from pydantic import Field, SecretStr

from services.public.settings import FrontendSettings


class BotSettings(FrontendSettings):
    bot_token: SecretStr | None = Field(default=None, description="Telegram bot token; unset: no bot")
    bot_api_url: str | None = Field(default=None, description="Bot API server (a local one); unset: Telegram's")
    bot_delivery_seconds: float = Field(default=2.0, gt=0, description="how often pending messages are sent")
    bot_staff_chats: dict[str, int] = Field(default_factory=dict, description="site → staff group chat id (JSON)")
    bot_weeks: int = Field(default=4, ge=1, le=52, description="weeks of workshops listed")
