"""Run the notifications service alone: ``python -m services.notifications``.

Settings come from the environment (``MAILLAGE_NATS_URL``, ``MAILLAGE_DATABASE_URL``,
``MAILLAGE_SITE``, ``MAILLAGE_SMTP_*``, ``MAILLAGE_SMS_*`` …). SIGTERM/SIGINT drain and stop;
SIGKILL is survivable by design (see sender.py).
"""

import asyncio
import logging
import signal
import sys

from pydantic import ValidationError

from maillage.node import connect, ensure_topology
from services.notifications import app
from services.notifications.settings import NotificationSettings
from shared.service import RunningService


async def run(settings: NotificationSettings, stop: asyncio.Event) -> None:
    assert settings.nats_url
    nc, js = await connect(settings.nats_url, f"maillage-{settings.site}-{app.NAME}")
    service: RunningService | None = None
    try:
        definition = app.definition(settings)
        await ensure_topology(js, settings, [definition])
        service = RunningService(definition, settings, nc, js)
        await service.start()
        print(f"{app.NAME} : prêt (nœud {settings.site})", flush=True)
        await stop.wait()
    finally:
        if service is not None:
            await service.stop()
        await nc.drain()


async def main_async() -> int:
    settings = NotificationSettings()
    if not settings.nats_url:
        print("notifications : MAILLAGE_NATS_URL est requis", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run(settings, stop)
    return 0


def main() -> int:
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(main_async())
    except ValidationError as exc:
        err = exc.errors()[0]
        print(f"notifications : configuration invalide : {err['loc']}: {err['msg']}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
