"""The right of access: ``maillage privacy export`` gathers every booking, loan and consent of the
person from the services of the node — and nothing about anyone else."""

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from maillage.node import Node
from services.privacy import cli, commands
from services.privacy.settings import PrivacySettings
from shared.contract import booking as bk
from shared.contract import inventory as inv
from shared.contract.envelope import Event, Request
from shared.requests import publish_request
from tests.support.bus import eventually, of_type, stream_events
from tests.support.inventory import register
from tests.support.multinode import node_settings, start_node
from tests.support.privacy import card, register_privacy

SERVICES = ("booking", "inventory", "notifications", "reporting", "privacy")
ASKER = ("cit-asker1", "Odile Demandeuse", "06 31 31 31 31")
OTHER = ("cit-other1", "Paul Autrui", "06 42 42 42 42")


def citizen(citizen_id: str) -> dict[str, Any]:
    return {"citizen_id": citizen_id, "age_bracket": "soixante_dix_plus", "commune_insee": "11069"}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="maillage")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


async def tell(node: Node, *events: Event) -> None:
    assert node.js is not None
    for event in events:
        event = event.model_copy(update={"origin": "hub"})
        if isinstance(event, Request):
            await publish_request(node.js, event)
        else:
            await node.js.publish(event.subject(), event.model_dump_json().encode(),
                                  headers={"Nats-Msg-Id": event.event_id})


async def caught_up(node: Node) -> bool:
    assert node.js is not None
    assert node.group is not None
    for consumer in node.group.consumers:
        info = await node.js.consumer_info(consumer.delivery.stream, consumer.durable)
        if info.num_pending or info.num_ack_pending:
            return False
    return True


async def test_export_holds_everything_about_the_person_and_nothing_else(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    register_privacy(monkeypatch)
    starts = datetime.now(UTC) + timedelta(days=3)
    node = await start_node(tmp_path, "hub", SERVICES, database_url=database_url)
    try:
        settings = PrivacySettings(**node_settings(tmp_path, "hub", database_url=database_url))
        await tell(node, bk.WorkshopScheduleRequested(
            workshop_id="w-1", site="hub", room="Salle 1", title="Premiers pas", themes=["email"],
            starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=10), register("TAB-1"), register("TAB-2"))
        for (citizen_id, name, phone), tag in ((ASKER, "TAB-1"), (OTHER, "TAB-2")):
            contact = card(citizen_id, name, phone, consents=("sms", "email"), email=f"{citizen_id}@example.org")
            await tell(node, contact,
                       bk.BookingRequested(workshop_id="w-1", citizen=citizen(citizen_id)),
                       inv.LoanCheckoutRequested(asset_tag=tag, citizen=citizen(citizen_id), agreement_signed=True))
            await commands.change_consent(settings, citizen_id, "newsletters", "email", True, "staff-1")
        assert node.js is not None
        js = node.js
        found = await eventually(lambda: stream_events(js, "TL_HUB"), lambda e: len(of_type(
            e, "booking.confirmed", "inventory.loan_checked_out", "privacy.purpose_consent_changed")) == 6, 30)
        await eventually(lambda: caught_up(node), bool, 30, "every service caught up")

        bundle, json_path, html_path = await commands.export_person(settings, ASKER[0], "staff-9", tmp_path / "out")
        data = json.loads(json_path.read_text())["services"]
        mine = {e.get("booking_id") or e.get("loan_id") for e in of_type(found, "booking.confirmed",
                "inventory.loan_checked_out") if (e.get("citizen") or {}).get("citizen_id") == ASKER[0]}
        assert {b["booking_id"] for b in data["booking"]["booking_bookings"]} | {
            loan["loan_id"] for loan in data["inventory"]["inventory_loans"]} == mine and len(mine) == 2
        assert {(c["channel"], c["granted"]) for c in data["notifications"]["notifications_consents"]} >= {
            ("sms", True), ("email", True)}
        assert [(c["purpose"], c["channel"], c["granted"], c["staff_id"])
                for c in data["notifications"]["notifications_purpose_consents"]] == [
            ("newsletters", "email", True, "staff-1")]
        [contact] = data["notifications"]["notifications_contacts"]
        assert (contact["display_name"], contact["phone"]) == (ASKER[1], ASKER[2])
        assert [w["title"] for w in data["booking"]["booking_workshops"]] == ["Premiers pas"]
        assert [(r["staff_id"], r["action"]) for r in data["privacy"]["privacy_access_log"]] == [
            ("staff-1", "consent"), ("staff-9", "exported")]

        theirs = {e.get("booking_id") or e.get("loan_id") for e in of_type(found, "booking.confirmed",
                  "inventory.loan_checked_out") if (e.get("citizen") or {}).get("citizen_id") == OTHER[0]}
        for text in (json_path.read_text(), html_path.read_text()):
            assert ASKER[1] in text
            leaks = [s for s in (*OTHER, *theirs, "TAB-2") if s in text]
            assert leaks == [], "nothing about anyone else"
        assert bundle.count >= 8

        # The same, as staff run it: a summary on screen, and every access in the log.
        monkeypatch.setenv("MAILLAGE_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("MAILLAGE_DATABASE_URL", database_url)
        assert await cli.run(parse("privacy", "show", ASKER[0], "--staff", "staff-4")) == 0
        shown = capsys.readouterr().out
        assert f"annuaire : {ASKER[1]}, {ASKER[0]}@example.org, {ASKER[2]}" in shown and OTHER[1] not in shown
        assert await cli.run(parse("privacy", "access-log", "--citizen", ASKER[0])) == 0
        log = capsys.readouterr().out.splitlines()
        assert [line.split()[4:6] for line in log] == [["staff-4", "viewed"], ["staff-9", "exported"],
                                                       ["staff-1", "consent"]]
    finally:
        await node.stop()
