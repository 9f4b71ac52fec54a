"""SIGKILL the notifications process in the middle of a batch of sends, restart it: each person gets
the message once — SMS de-duplicated by the gateway on our idempotency key, e-mail by Message-ID —
and nobody is missed."""

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nats.js import JetStreamContext
from sqlalchemy import func, select

from maillage.node import connect, ensure_topology
from services.notifications import app, tables
from shared.contract.envelope import Event
from shared.db import make_engine
from shared.natsserver import EmbeddedNatsServer
from tests.support.bus import eventually
from tests.support.notifications import (
    SmsGateway,
    SmtpSink,
    confirmed,
    contact,
    notification_settings,
    workshop,
)

PEOPLE = 48
CONCURRENCY = 4


def phone(n: int) -> str:
    return f"06 00 00 {n // 100:02d} {n % 100:02d}"


async def spawn(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as handle:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.notifications", env=env, stdout=handle, stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
        )


def environment(nats_url: str, database_url: str, smtp: SmtpSink, gateway: SmsGateway, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    env.update({
        "MAILLAGE_NATS_URL": nats_url, "MAILLAGE_DATABASE_URL": database_url, "MAILLAGE_SITE": "hub",
        "MAILLAGE_DATA_DIR": str(tmp), "MAILLAGE_SMTP_HOST": "127.0.0.1", "MAILLAGE_SMTP_PORT": str(smtp.port),
        "MAILLAGE_SMS_GATEWAY_URL": gateway.url, "MAILLAGE_SEND_PERIOD_SECONDS": "0.1",
        "MAILLAGE_SEND_CONCURRENCY": str(CONCURRENCY), "MAILLAGE_SEND_LEASE_SECONDS": "3",
        "MAILLAGE_SMTP_TIMEOUT": "2", "MAILLAGE_SMS_TIMEOUT": "2", "MAILLAGE_MAIL_DOMAIN": "maillage.test",
        "MAILLAGE_QUIET_CHANNELS": "[]",  # real clock: the test may run at night
    })
    return env


def served(smtp: SmtpSink, gateway: SmsGateway) -> int:
    return len(gateway.delivered) + len({m["Message-ID"] for m in smtp.received})


async def test_sigkill_while_sending_then_restart_sends_each_message_once(
    nats_server: EmbeddedNatsServer, database_url: str, tmp_path: Path
) -> None:
    smtp, gateway = SmtpSink(), SmsGateway(delay=0.04)
    smtp.delay = 0.04
    await smtp.start()
    await gateway.start()
    nc, js = await connect(nats_server.url, "test")
    first = second = None
    try:
        settings = notification_settings(nats_server.url, database_url)
        await ensure_topology(js, settings, [app.definition(settings)])
        await publish_bookings(js)

        env = environment(nats_server.url, database_url, smtp, gateway, tmp_path)
        first = await spawn(env, tmp_path / "first.log")
        await eventually(lambda: _value(served(smtp, gateway)), lambda s: s >= 8, 60, "the first sends")
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = served(smtp, gateway)
        assert at_kill < PEOPLE, "the batch finished before the kill: make the providers slower"

        second = await spawn(env, tmp_path / "second.log")
        await eventually(lambda: _value(served(smtp, gateway)), lambda s: s >= PEOPLE, 60, "every message")
        await eventually(lambda: _open_deliveries(database_url), lambda n: n == 0, 30, "the sender to settle")

        await assert_each_got_one(smtp, gateway, database_url, at_kill)
    finally:
        for proc in (first, second):
            if proc is not None and proc.returncode is None:
                proc.terminate()
                await asyncio.wait_for(proc.wait(), 30)
        await nc.close()
        await gateway.stop()
        await smtp.stop()


async def publish_bookings(js: JetStreamContext) -> None:
    """Half the people read SMS, half e-mail; each has one booking confirmed."""
    w = workshop("w-1", datetime.now(UTC) + timedelta(days=3))
    events: list[Event] = [w]
    for n in range(PEOPLE):
        citizen = f"cit-{n:06d}"
        events.append(contact(citizen, "sms" if n % 2 == 0 else "email", phone=phone(n), email=f"p{n}@example.org"))
        events.append(confirmed(f"b-{n}", citizen, w))
    for event in events:
        event = event.model_copy(update={"origin": "hub"})
        await js.publish(event.subject(), event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.event_id})


async def assert_each_got_one(smtp: SmtpSink, gateway: SmsGateway, database_url: str, at_kill: int) -> None:
    sms_per_number = Counter(body["to"] for body in gateway.delivered.values())
    mail_per_address = smtp.distinct_per_recipient()
    assert sms_per_number == Counter({phone(n): 1 for n in range(0, PEOPLE, 2)})
    assert mail_per_address == Counter({f"p{n}@example.org": 1 for n in range(1, PEOPLE, 2)})
    log = await _attempt_outcomes(database_url)
    assert log["sent"] == PEOPLE and log["unknown"] <= CONCURRENCY  # the sends in doubt, logged as such
    # Requests repeated with the same key (the sends in doubt at the kill) stay within one wave,
    # and so do raw SMTP copies carrying an already-seen Message-ID.
    repeated_sms = len(gateway.requests) - len(gateway.delivered)
    repeated_mail = len(smtp.received) - sum(mail_per_address.values())
    assert repeated_sms + repeated_mail <= CONCURRENCY
    print(f"\nkilled after {at_kill}/{PEOPLE}; repeated SMS requests {repeated_sms}, SMTP copies {repeated_mail}")


async def _value(v: int) -> int:
    return v


async def _open_deliveries(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            d = tables.deliveries
            return await conn.scalar(
                select(func.count()).select_from(d).where(d.c.state.in_(("pending", "sending")))
            ) or 0
    finally:
        await engine.dispose()


async def _attempt_outcomes(database_url: str) -> Counter[str]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            a = tables.attempts
            rows = await conn.execute(select(a.c.outcome, func.count()).group_by(a.c.outcome))
            return Counter({outcome: count for outcome, count in rows})
    finally:
        await engine.dispose()
