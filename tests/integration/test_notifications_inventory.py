"""Inventory events: loan reminders to the borrower, transfer and conflict alerts to staff."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest_asyncio

from services.notifications import app, cli, metrics
from shared.contract import inventory as inv
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import FakeClock
from tests.support.bus import eventually, of_type, stream_events
from tests.support.notifications import SmsGateway, SmtpSink, contact, notifications_service


@pytest_asyncio.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[SmsGateway]:
    gw = SmsGateway()
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


def loan(cls: type[inv.LoanDueSoon] | type[inv.LoanOverdue], loan_id: str, citizen_id: str, **extra: Any) -> Any:
    return cls(
        request_id=f"check-{loan_id}", loan_id=loan_id, asset_tag="TAB-007", kind="tablet", site="hub",
        mode="take_home", citizen={"citizen_id": citizen_id}, due_date=date(2026, 12, 4),
        due_at=datetime(2026, 12, 4, 23, 0, tzinfo=UTC), days_overdue=extra.pop("days_overdue", -2), **extra,
    )


def staff_alerts(now: datetime) -> list[Any]:
    return [
        inv.TransferNotReceived(request_id="t", transfer_id="T-12", from_site="hub", to_site="trebes",
                                asset_tags=["TAB-007", "PC-002"], dispatched_at=now - timedelta(days=6),
                                days_in_transit=6),
        inv.ConflictDetected(request_id="c", conflict_id="C-3", asset_tag="PC-002", action="loan_checkout",
                             node_site="trebes", holding_site="hub", recorded_status="in_transit",
                             attempted={}, detail="Le matériel est en transit vers Trèbes."),
    ]


async def test_loans_to_the_borrower_and_alerts_to_staff(
    nats_server: EmbeddedNatsServer, database_url: str, smtp: SmtpSink, gateway: SmsGateway
) -> None:
    clock = FakeClock(datetime(2026, 12, 2, 22, 0, tzinfo=UTC))  # 23 h in Paris: SMS wait for the morning
    async with notifications_service(
        nats_server.url, database_url, clock, smtp_host="127.0.0.1", smtp_port=smtp.port,
        sms_gateway_url=gateway.url, staff_emails={"hub": "equipe@example.org"},
    ) as h:
        await h.publish(
            contact("cit-000001", "email", email="a@example.org"), contact("cit-000002", "sms", phone="0600000002"),
            loan(inv.LoanDueSoon, "L-1", "cit-000001"), loan(inv.LoanOverdue, "L-2", "cit-000002", days_overdue=1),
            *staff_alerts(clock()),
        )
        await h.run()
        [due] = smtp.to("a@example.org")
        assert "avant le vendredi 4 décembre 2026" in str(due["Subject"])
        staff_mail = sorted(str(m["Subject"]) for m in smtp.to("equipe@example.org"))
        assert staff_mail == ["Transfert non reçu : 2 matériels (T-12)", "À vérifier : matériel PC-002"]

        async def staff_bot() -> list[dict[str, Any]]:
            return of_type(await stream_events(h.js, "TL_HUB"), "notification.bot_message")

        bot = await eventually(staff_bot, lambda found: len(found) >= 2, 10, "the staff bot messages")
        assert sorted((b["kind"], b["audience"], b["site"], b["citizen_id"]) for b in bot) == [
            ("conflict_detected", "staff", "trebes", None), ("transfer_not_received", "staff", "trebes", None),
        ]
        # The overdue SMS waits for the morning; the tablet comes back before: nothing is sent.
        await h.publish(inv.LoanReturned(
            request_id="r", loan_id="L-2", asset_tag="TAB-007", site="hub", mode="take_home",
            citizen={"citizen_id": "cit-000002"}, returned_at=clock(), due_date=date(2026, 12, 4), days_late=0,
            condition="good", deposit_to_refund=None, notes="",
        ))
        clock.advance(timedelta(hours=10))
        await h.run()
        assert gateway.requests == []
        [returned] = await h.messages(kind="loan_overdue")
        assert (returned.state, returned.reason) == ("cancelled", "loan_returned")

        await h.service.run_job_once(app.refresh_gauges)
        sent = metrics.MESSAGES.labels(service="notifications", site="hub", channel="email", kind="loan_due_soon",
                                       outcome="sent")._value.get()
        assert sent >= 1
        assert await cli.call_list("hub", settings=h.settings, now=clock()) == []
        assert "personne à appeler" in await cli.call_list_text("hub", settings=h.settings)
