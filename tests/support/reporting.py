"""Reporting test support: a scripted month of events on three sites, an in-memory projector,
and an in-process reporting service on a real nats-server and database.

The month (November 2026, sites hub / trebes / conques) is small enough to be counted by hand: the
expected figures in tests/unit/test_reporting_indicators.py were worked out on paper from it.
"""

import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from maillage.node import connect, ensure_topology
from services.reporting import app
from services.reporting.indicators import Facts
from services.reporting.model import ATTENDED
from services.reporting.projections import facts_of
from services.reporting.settings import ReportingSettings
from services.reporting.tables import FACT_TABLES, READ_MODELS
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract import inventory as inv
from shared.contract import notification as notif
from shared.contract.envelope import Event
from shared.hlc import encode
from shared.service import RunningService

PARIS = ZoneInfo("Europe/Paris")
URBAN = ["11069", "11397"]  # the classification the hand-computed figures use

CITIZENS: dict[str, tuple[str, str | None, str, str]] = {  # age bracket, commune, status, gender
    "c01": ("soixante_dix_plus", "11069", "retraite", "feminin"),
    "c02": ("soixante_soixante_neuf", "11069", "retraite", "masculin"),
    "c03": ("quarante_cinquante_neuf", "11397", "en_emploi", "feminin"),
    "c04": ("soixante_dix_plus", "11099", "retraite", "feminin"),
    "c05": ("douze_dix_huit", "11069", "scolarise", "masculin"),
    "c06": ("dix_huit_vingt_quatre", "31555", "sans_emploi", "feminin"),
    "c07": ("non_communique", None, "non_communique", "non_communique"),
    "c08": ("vingt_cinq_trente_neuf", "11069", "en_emploi", "masculin"),
    "c09": ("vingt_cinq_trente_neuf", "11397", "sans_emploi", "feminin"),
    "c10": ("soixante_soixante_neuf", "11397", "retraite", "masculin"),
    "c11": ("moins_de_douze", "11429", "scolarise", "feminin"),
    "c12": ("quarante_cinquante_neuf", "11099", "en_emploi", "masculin"),
}


def cit(short: str) -> dict[str, Any]:
    age, commune, status, gender = CITIZENS[short]
    return {"citizen_id": f"cit-{short}", "age_bracket": age, "commune_insee": commune, "status": status,
            "gender": gender}


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


@dataclass
class Script:
    """Stamps events like the outbox would: origin, per-origin sequence, a growing HLC, stable ids."""

    events: list[Event] = field(default_factory=list)
    _seq: dict[str, int] = field(default_factory=dict)

    def add(self, origin: str, event: Event) -> None:
        seq = self._seq[origin] = self._seq.get(origin, 0) + 1
        hlc = encode(1_790_000_000_000 + 1000 * len(self.events), 0)
        self.events.append(event.model_copy(update={
            "origin": origin, "origin_seq": seq, "hlc": hlc, "event_id": f"evt-{origin}-{seq:04d}",
            "request_id": getattr(event, "request_id", None) or f"req-{origin}-{seq:04d}",
        }))

    def by_origin(self) -> dict[str, list[Event]]:
        out: dict[str, list[Event]] = {}
        for e in self.events:
            out.setdefault(e.origin, []).append(e)
        return out


def workshop(site: str, wid: str, title: str, theme: str, start: datetime, capacity: int,
             level: str = "debutant") -> bk.WorkshopScheduled:
    return bk.WorkshopScheduled(request_id="r", workshop_id=wid, site=site, room="Salle", title=title,
                                themes=[theme], level=level, starts_at=start, ends_at=start + timedelta(hours=2),
                                capacity=capacity)


def confirmed(site: str, bid: str, who: str, start: datetime, wid: str | None = None,
              rid: str | None = None, minutes: int = 120) -> bk.BookingConfirmed:
    return bk.BookingConfirmed(request_id="r", booking_id=bid, site=site, workshop_id=wid, resource_id=rid,
                               starts_at=start, ends_at=start + timedelta(minutes=minutes), citizen=cit(who))


def checked(site: str, bid: str, wid: str, who: str, start: datetime, walk_in: bool = False) -> att.CheckedIn:
    return att.CheckedIn(request_id="r", booking_id=bid, workshop_id=wid, site=site, citizen=cit(who),
                         walk_in=walk_in, starts_at=start)


def missed(site: str, bid: str, wid: str, who: str, start: datetime) -> att.NoShow:
    return att.NoShow(request_id="r", booking_id=bid, workshop_id=wid, site=site, citizen=cit(who), starts_at=start)


def closed(site: str, wid: str, title: str, theme: str, start: datetime, capacity: int, booked: int,
           attended: int, walk_ins: int, no_shows: int, level: str = "debutant") -> att.SessionClosed:
    return att.SessionClosed(request_id="r", workshop_id=wid, site=site, title=title, themes=[theme], level=level,
                             starts_at=start, duration_minutes=120, capacity=capacity, booked=booked,
                             attended=attended, walk_ins=walk_ins, no_shows=no_shows)


def accompaniment(site: str, rid: str, who: str, day: date, minutes: int, themes: list[str],
                  **extra: Any) -> att.AccompanimentRecorded:
    values: dict[str, Any] = {"admin_themes": [], "place_type": "lieu_activite", "equipment": ["aucun"],
                              "first_time": False, **extra}
    return att.AccompanimentRecorded(request_id="r", record_id=rid, site=site, citizen=cit(who), day=day,
                                     duration_minutes=minutes, themes=themes, **values)


def asset(site: str, tag: str, kind: str, funding: str) -> inv.AssetRegistered:
    return inv.AssetRegistered(request_id="r", asset_tag=tag, kind=kind, model="Exemple", serial="",
                               purchase_date=None, purchase_price="300.00", funding_source=funding,
                               condition="new", site=site, status="available")


def loan_out(site: str, lid: str, tag: str, kind: str, who: str | None, start: datetime, due: date,
             mode: str = "take_home") -> inv.LoanCheckedOut:
    return inv.LoanCheckedOut(request_id="r", loan_id=lid, asset_tag=tag, kind=kind, site=site, mode=mode,
                              citizen=cit(who) if who else None, started_at=start, due_date=due,
                              due_at=start + timedelta(days=30), agreement_signed=True, deposit=None)


def loan_back(site: str, lid: str, tag: str, who: str | None, when: datetime, due: date,
              mode: str = "take_home") -> inv.LoanReturned:
    return inv.LoanReturned(request_id="r", loan_id=lid, asset_tag=tag, site=site, mode=mode,
                            citizen=cit(who) if who else None, returned_at=when, due_date=due, days_late=0,
                            condition="good", deposit_to_refund=None, notes="")


def scripted_month() -> Script:
    """November 2026 on three sites (plus one October and one December event), in each origin's order."""
    s = Script()
    for origin, events in (("hub", _hub()), ("trebes", _trebes()), ("conques", _conques())):
        for event in events:
            s.add(origin, event)
    return s


def _hub() -> list[Event]:
    w1, w2, w3 = at(3, 10), at(17, 14), at(24, 10)
    return [
        accompaniment("hub", "A0", "c01", date(2026, 10, 15), 45, ["navigation_sur_internet"], first_time=True),
        workshop("hub", "W1", "Premiers pas sur Internet", "navigation_sur_internet", w1, 3),
        workshop("hub", "W2", "Ma boîte e-mail", "email", w2, 4),
        workshop("hub", "W3", "Se protéger des arnaques", "securite_numerique", w3, 6),
        confirmed("hub", "b01", "c01", w1, "W1"), confirmed("hub", "b02", "c02", w1, "W1"),
        confirmed("hub", "b03", "c03", w1, "W1"),
        bk.BookingWaitlisted(request_id="r", booking_id="b04", site="hub", workshop_id="W1", starts_at=w1,
                             position=1, citizen=cit("c04")),
        bk.BookingCancelled(request_id="r", booking_id="b02", site="hub", workshop_id="W1", citizen_id="cit-c02",
                            by="citizen", reason="cancelled_by_citizen", was="confirmed"),
        bk.BookingPromoted(request_id="r", booking_id="b04", site="hub", workshop_id="W1", starts_at=w1,
                           ends_at=w1 + timedelta(hours=2), citizen=cit("c04")),
        confirmed("hub", "b06", "c01", w2, "W2"), confirmed("hub", "b07", "c06", w2, "W2"),
        confirmed("hub", "b08", "c08", w3, "W3"),
        accompaniment("hub", "A1", "c07", date(2026, 11, 5), 60, ["email"], equipment=["ordinateur"],
                      autonomy="partiellement_autonome", first_time=True),
        checked("hub", "b01", "W1", "c01", w1), checked("hub", "b04", "W1", "c04", w1),
        checked("hub", "b05", "W1", "c05", w1, walk_in=True), missed("hub", "b03", "W1", "c03", w1),
        closed("hub", "W1", "Premiers pas sur Internet", "navigation_sur_internet", w1, 3, 3, 3, 1, 1),
        bk.WorkshopRescheduled(request_id="r", workshop_id="W2", site="hub", room="Salle", starts_at=at(18, 14),
                               ends_at=at(18, 16)),
        checked("hub", "b07", "W2", "c06", at(18, 14)), missed("hub", "b06", "W2", "c01", at(18, 14)),
        closed("hub", "W2", "Ma boîte e-mail", "email", at(18, 14), 4, 2, 1, 0, 1),
        accompaniment("hub", "A2", "c01", date(2026, 11, 20), 30, ["aide_aux_demarches_administratives"],
                      admin_themes=["social_sante"], autonomy="entierement_accompagne", redirected_to="aide_sociale"),
        bk.BookingCancelled(request_id="r", booking_id="b08", site="hub", workshop_id="W3", citizen_id="cit-c08",
                            by="staff", reason="workshop_cancelled", was="confirmed"),
        bk.WorkshopCancelled(request_id="r", workshop_id="W3", site="hub", reason="", bookings_released=1),
        notif.BotMessage(delivery_key="n1", kind="reminder", subject_id="b01", site="hub", text="Rappel",
                         occurred_at=at(2, 10)),
        notif.BotMessage(delivery_key="n2", kind="reminder", subject_id="b06", site="hub", text="Rappel",
                         occurred_at=at(16, 14)),
    ]


def _trebes() -> list[Event]:
    w4 = at(10, 14)
    return [
        workshop("trebes", "W4", "Prendre en main sa tablette", "prendre_en_main_du_materiel", w4, 2),
        confirmed("trebes", "b09", "c09", w4, "W4"), confirmed("trebes", "b10", "c10", w4, "W4"),
        bk.BookingWaitlisted(request_id="r", booking_id="b11", site="trebes", workshop_id="W4", starts_at=w4,
                             position=1, citizen=cit("c11")),
        confirmed("trebes", "b14", "c05", at(18, 10), rid="trebes-mediateur", minutes=30),
        asset("trebes", "tab-01", "tablet", "fabriques-de-territoires"),
        asset("trebes", "lap-01", "laptop", "conseiller-numerique"),
        asset("trebes", "tab-02", "tablet", "fabriques-de-territoires"),
        checked("trebes", "b09", "W4", "c09", w4), checked("trebes", "b10", "W4", "c10", w4),
        checked("trebes", "b11", "W4", "c11", w4, walk_in=True),
        closed("trebes", "W4", "Prendre en main sa tablette", "prendre_en_main_du_materiel", w4, 2, 2, 3, 1, 0),
        loan_out("trebes", "L1", "tab-01", "tablet", "c10", at(10, 16), date(2026, 11, 24)),
        loan_out("trebes", "L2", "lap-01", "laptop", None, at(10, 14), date(2026, 11, 10), mode="on_site"),
        loan_back("trebes", "L2", "lap-01", None, at(10, 16), date(2026, 11, 10), mode="on_site"),
        accompaniment("trebes", "A3", "c09", date(2026, 11, 12), 45, ["securite_numerique"], place_type="domicile",
                      equipment=["telephone"]),
        loan_back("trebes", "L1", "tab-01", "c10", at(20, 11), date(2026, 11, 24)),
        inv.AssetRetired(request_id="r", asset_tag="tab-02", site="trebes", status="lost",
                         previous_status="available", reason="perdue"),
    ]


def _conques() -> list[Event]:
    w5 = at(14, 10)
    return [
        workshop("conques", "W5", "Mes démarches en ligne", "aide_aux_demarches_administratives", w5, 5,
                 level="intermediaire"),
        confirmed("conques", "b12", "c12", w5, "W5"), confirmed("conques", "b13", "c02", w5, "W5"),
        asset("conques", "lap-02", "laptop", "fabriques-de-territoires"),
        checked("conques", "b13", "W5", "c02", w5), checked("conques", "b15", "W5", "c04", w5, walk_in=True),
        missed("conques", "b12", "W5", "c12", w5),
        closed("conques", "W5", "Mes démarches en ligne", "aide_aux_demarches_administratives", w5, 5, 2, 2, 1, 1,
               level="intermediaire"),
        loan_out("conques", "L3", "lap-02", "laptop", "c12", at(20, 15), date(2026, 12, 4)),
        accompaniment("conques", "A4", "c03", date(2026, 11, 26), 90, ["sante"]),
        accompaniment("conques", "A5", "c05", date(2026, 12, 2), 30, ["email"]),
    ]


# --- in-memory projection (pure path) ---------------------------------------------------------------

def project(events: Sequence[Event], zone: ZoneInfo = PARIS) -> dict[type, dict[str, Any]]:
    state: dict[type, dict[str, Any]] = {cls: {} for cls in FACT_TABLES}
    for event in events:
        for fact in facts_of(event, zone):
            kind = FACT_TABLES[type(fact)]
            key = kind.key_of(fact)
            state[type(fact)][key] = kind.merge(state[type(fact)].get(key), fact)
    return state


def facts_from(state: dict[type, dict[str, Any]]) -> Facts:
    from services.reporting import equipment, model

    facts = Facts(
        attendance=list(state[model.Attendance].values()), sessions=list(state[model.Session].values()),
        accompaniments=list(state[model.Accompaniment].values()), bookings=list(state[model.BookingFact].values()),
        workshops=dict(state[model.Workshop]), loans=list(state[equipment.Loan].values()),
        assets=list(state[equipment.Asset].values()), notices=list(state[model.Notice].values()),
        citizens={k: c.person for k, c in state[model.Citizen].items()},
    )
    visits = [(a.person.citizen_id, a.day) for a in facts.attendance if a.status == ATTENDED]
    visits += [(a.person.citizen_id, a.day) for a in facts.accompaniments]
    for citizen_id, day in visits:
        facts.first_visit[citizen_id] = min(day, facts.first_visit.get(citizen_id, day))
    return facts


def interleave(streams: dict[str, list[Event]], rng: random.Random) -> list[Event]:
    """A random merge that keeps each origin's own order (what a hub sees from several sites)."""
    queues = {k: list(v) for k, v in streams.items()}
    out: list[Event] = []
    while queues:
        origin = rng.choice(sorted(queues))
        out.append(queues[origin].pop(0))
        if not queues[origin]:
            del queues[origin]
    return out


# --- database snapshots and a running service ----------------------------------------------------

async def snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, sorted: two snapshots are equal iff the read models are identical."""
    out = {}
    async with engine.connect() as conn:
        for table in READ_MODELS:
            rows = (await conn.execute(select(table))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def reporting_settings(nats_url: str, database_url: str, **overrides: Any) -> ReportingSettings:
    values: dict[str, Any] = {"nats_url": nats_url, "database_url": database_url, "metrics_port": 0,
                              "dashboard_port": 0, "urban_communes": URBAN}
    values.update(overrides)
    return ReportingSettings(**values)


@dataclass
class ReportingHarness:
    nc: NATS
    js: JetStreamContext
    settings: ReportingSettings
    service: RunningService


@asynccontextmanager
async def reporting_service(nats_url: str, database_url: str, **overrides: Any) -> AsyncIterator[ReportingHarness]:
    settings = reporting_settings(nats_url, database_url, **overrides)
    nc, js = await connect(nats_url, "test-reporting")
    definition = app.definition(settings)
    await ensure_topology(js, settings, [definition])
    service = RunningService(definition, settings, nc, js)
    await service.start()
    try:
        yield ReportingHarness(nc, js, settings, service)
    finally:
        await service.stop()
        await nc.close()


async def publish(js: JetStreamContext, events: list[Event]) -> None:
    for event in events:
        await js.publish(event.subject(), event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.event_id})


async def feed(engine: AsyncEngine, settings: ReportingSettings, events: list[Event], batch: int = 50) -> None:
    """Apply events through the service's own bus and unit of work, without NATS (inbox included)."""
    from services.reporting.rebuild import _bus

    definition = app.definition(settings)
    async with engine.begin() as conn:
        await conn.run_sync(definition.metadata.create_all)
    bus = _bus(definition, engine, settings.site)
    for i in range(0, len(events), batch):
        await bus.process(events[i : i + batch])


def on_hub(events: list[Event]) -> list[Event]:
    """The same events as if the hub had recorded them all (its stream captures only ``tl.hub.>``)."""
    return [e.model_copy(update={"origin": "hub"}) for e in events]
