"""The acceptance test of the right to erasure across the network (issue 9).

A unique name and phone number registered at a site while it is cut off; once the site is back
and the person is erased at the hub, those bytes are in no file of the hub's or the site's data
dirs — SQLite databases with their -wal/-shm, JetStream store directories, nats-server logs — nor
in the captured logs, while reports still count the visit. A second person, erased at the hub
while the site is offline, is erased at the site when it reconnects.
"""

import logging
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from maillage.node import Node
from services.notifications import tables as nt
from services.privacy import commands
from services.privacy.settings import PrivacySettings
from services.reporting import queries
from services.reporting.model import Period
from shared import network as net
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.envelope import Event
from shared.requests import publish_request
from tests.support.bus import eventually, of_type, stream_events
from tests.support.multinode import network, node_settings
from tests.support.privacy import card, files_containing, register_privacy

HUB_SERVICES = ("booking", "notifications", "reporting", "privacy")
SITE_SERVICES = ("booking", "notifications", "privacy")
STARTS = datetime.now(UTC) + timedelta(days=2)


def person(tag: str) -> tuple[str, str, str]:
    """A pseudonymous id, a name and a phone number found nowhere else (ASCII, so no escaping hides it)."""
    token = secrets.token_hex(4)
    digits = f"{int(token, 16) % 10**8:08d}"
    phone = f"+33 6 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"
    return f"cit-{tag}-{token}", f"Zephyrine{tag.title()} Quintavalle{token}", phone


async def tell(node: Node, event: Event) -> None:
    assert node.js is not None
    event = event.model_copy(update={"origin": node.settings.site})
    if isinstance(event, bk.WorkshopScheduleRequested | att.WalkInRequested):
        await publish_request(node.js, event)
        return
    await node.js.publish(event.subject(), event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.event_id})


def visit(citizen_id: str) -> att.WalkInRequested:
    citizen = {"citizen_id": citizen_id, "age_bracket": "soixante_dix_plus", "commune_insee": "11397"}
    return att.WalkInRequested(workshop_id="w-site", citizen=citizen)


async def contacts(node: Node) -> set[str]:
    service = next(s for s in node.running if s.definition.name == "notifications")
    async with service.engine.connect() as conn:
        return set((await conn.execute(select(nt.contacts.c.citizen_id))).scalars())


async def compacted(node: Node) -> bool:
    service = next(s for s in node.running if s.definition.name == "notifications")
    async with service.engine.connect() as conn:
        return all((await conn.execute(select(nt.erased.c.compacted))).scalars())


async def settled_directory(node: Node, expected: set[str]) -> None:
    await eventually(lambda: contacts(node), lambda found: found == expected, 15, f"{node.settings.site}'s directory")
    await eventually(lambda: compacted(node), bool, 15, f"{node.settings.site}'s directory compacted")


async def stream_cards(node: Node, stream: str) -> set[str]:
    assert node.js is not None
    return {e["citizen_id"] for e in of_type(await stream_events(node.js, stream), "directory.contact_registered")}


async def visits(hub: Node, *citizens: str) -> dict[str, int]:
    reporting = next(s for s in hub.running if s.definition.name == "reporting")
    today = datetime.now(UTC).date()
    async with reporting.engine.connect() as conn:
        facts = await queries.load_facts(conn, Period(today - timedelta(days=1), today + timedelta(days=7)))
    return {c: sum(1 for a in facts.attendance if a.person.citizen_id == c) for c in citizens}


async def test_an_offline_registration_erased_at_the_hub_is_gone_from_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    register_privacy(monkeypatch)
    offline, early, kept = person("offline"), person("early"), person("kept")
    async with network(tmp_path, sites=("trebes",), hub_services=HUB_SERVICES, site_services=SITE_SERVICES) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        hub_privacy = PrivacySettings(**node_settings(tmp_path, "hub", sites=n.passwords))
        await tell(trebes, bk.WorkshopScheduleRequested(
            workshop_id="w-site", site="trebes", room="Salle", title="Atelier", themes=["email"],
            starts_at=STARTS, ends_at=STARTS + timedelta(hours=2), capacity=20))
        for citizen_id, name, phone in (early, kept):
            await tell(trebes, card(citizen_id, name, phone, site="trebes"))
            await tell(trebes, visit(citizen_id))
        await eventually(lambda: contacts(hub), lambda found: {early[0], kept[0]} <= found, 30, "cards at the hub")

        n.proxies["trebes"].cut()
        await tell(trebes, card(offline[0], offline[1], offline[2], site="trebes"))
        await tell(trebes, visit(offline[0]))
        await eventually(lambda: contacts(trebes), lambda found: offline[0] in found, 30, "the offline registration")
        assert files_containing([trebes.settings.data_dir], offline[2]), "the search sees what is there"
        # Decided while the site is cut off: applied at the hub now, at the site when it is back.
        await commands.erase(hub_privacy, early[0], "staff-hub")
        await eventually(lambda: commands.erasure_status(hub_privacy, early[0]), lambda s: s.waiting == ["trebes"],
                         30, "the early erasure applied at the hub")

        n.proxies["trebes"].restore()
        await eventually(lambda: contacts(hub), lambda found: offline[0] in found, 60, "the offline card at the hub")
        await eventually(lambda: commands.erasure_status(hub_privacy, early[0]), lambda s: not s.waiting,
                         60, "the early erasure applied by the site once reconnected")
        await commands.erase(hub_privacy, offline[0], "staff-hub")
        await eventually(lambda: commands.erasure_status(hub_privacy, offline[0]), lambda s: not s.waiting,
                         60, "the offline person's erasure applied everywhere")

        for node in (hub, trebes):
            await settled_directory(node, {kept[0]})
        assert await stream_cards(hub, net.NETWORK_STREAM) == {kept[0]}
        assert await stream_cards(trebes, "TL_TREBES") == {kept[0]}
        # Reports still count every visit, under ids nothing links to a person any more.
        counts = await eventually(lambda: visits(hub, offline[0], early[0], kept[0]),
                                  lambda c: all(v == 1 for v in c.values()), 30, "the visits in the reports")
        assert counts == {offline[0]: 1, early[0]: 1, kept[0]: 1}

        roots = [hub.settings.data_dir, trebes.settings.data_dir]
        running = files_containing(roots, *offline[1:], *early[1:])
        assert files_containing(roots, kept[1]), "the search works: the person kept is still found"
    stopped = files_containing(roots, *offline[1:], *early[1:])
    logged = [r.getMessage() for r in caplog.records if any(s in r.getMessage() for s in (*offline[1:], *early[1:]))]
    assert (running, stopped, logged) == ([], [], [])


