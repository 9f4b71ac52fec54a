"""The services a node can run, by name. Adding a service is one line here."""

from collections.abc import Callable
from typing import Any

from services.booking import app as booking_app
from services.bot import app as bot_app
from services.bot.settings import BotSettings
from services.console import app as console_app
from services.console.settings import ConsoleSettings
from services.inventory import app as inventory_app
from services.inventory.settings import InventorySettings
from services.notifications import app as notifications_app
from services.notifications.settings import NotificationSettings
from services.privacy import app as privacy_app
from services.privacy.settings import PrivacySettings
from services.public import app as public_app
from services.public.settings import PublicSettings
from services.reporting import app as reporting_app
from services.reporting.settings import ReportingSettings
from shared.service import ServiceDefinition
from shared.settings import BookingSettings, NodeSettings

# name -> (settings class, definition factory)
SERVICES: dict[str, tuple[type[NodeSettings], Callable[[Any], ServiceDefinition]]] = {
    "booking": (BookingSettings, booking_app.definition),
    "inventory": (InventorySettings, inventory_app.definition),
    "notifications": (NotificationSettings, notifications_app.definition),
    "reporting": (ReportingSettings, reporting_app.definition),
    "privacy": (PrivacySettings, privacy_app.definition),
    "console": (ConsoleSettings, console_app.definition),
    "public": (PublicSettings, public_app.definition),
    "bot": (BotSettings, bot_app.definition),
}

HUB_SERVICES = ("booking", "inventory", "notifications", "reporting", "privacy", "console", "public", "bot")
SITE_SERVICES = ("booking", "inventory", "privacy", "console")


def for_role(role: str) -> tuple[str, ...]:
    return HUB_SERVICES if role == "hub" else SITE_SERVICES


def definitions(names: tuple[str, ...] | list[str], **overrides: Any) -> list[tuple[NodeSettings, ServiceDefinition]]:
    """Each service's settings (environment, then ``overrides``) and definition."""
    out = []
    for name in names:
        settings_cls, factory = SERVICES[name]
        settings = settings_cls(**overrides)
        out.append((settings, factory(settings)))
    return out
