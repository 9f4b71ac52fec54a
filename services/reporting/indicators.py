"""The funder's indicators (Fabriques de territoires), computed from facts: plain Python, no I/O.

Definitions (they are what the report and the dashboard print):
- a *visit* is a seat where the person was checked in (booked or walk-in) or an individual
  accompaniment; a cancelled booking or a no-show is never a visit;
- *people* are distinct pseudonymous citizens with at least one visit in the period and scope;
  *first-time* people had their first visit anywhere in the network inside the period, *returning*
  people had one before it;
- *attendance rate* = booked seats checked in / booked seats of the sessions held (check-ins, not
  bookings); walk-ins are visits but not in that rate; *no-show rate* is its complement;
- *hours of accompaniment* = individual accompaniments + workshop sessions held (médiateur time);
  *person-hours* count each participant of a session;
- *waitlist pressure* = waitlist entries / seats offered by the sessions of the period;
- *utilisation* = days on loan / (equipment in service today × days of the period elapsed so far);
  equipment in service and grant-funded equipment are today's inventory, not a past snapshot.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from services.reporting.catalogue import Territory
from services.reporting.equipment import Asset, Loan
from services.reporting.model import (
    ATTENDED,
    NO_SHOW,
    Accompaniment,
    Attendance,
    BookingFact,
    Notice,
    Period,
    Person,
    Session,
    Workshop,
)

YOUNG = ("moins_de_douze", "douze_dix_huit", "dix_huit_vingt_quatre")
SENIORS = ("soixante_soixante_neuf", "soixante_dix_plus")
AGE_BRACKETS = (*YOUNG, "vingt_cinq_trente_neuf", "quarante_cinquante_neuf", *SENIORS, "non_communique")
REAL_CANCELLATIONS = ("cancelled_by_citizen", "cancelled_by_staff")


@dataclass
class Facts:
    """Everything loaded for a period; ``first_visit`` spans the whole history (first-time people)."""

    attendance: list[Attendance] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    accompaniments: list[Accompaniment] = field(default_factory=list)
    bookings: list[BookingFact] = field(default_factory=list)
    workshops: dict[str, Workshop] = field(default_factory=dict)
    citizens: dict[str, Person] = field(default_factory=dict)
    first_visit: dict[str, str] = field(default_factory=dict)
    loans: list[Loan] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


@dataclass
class Indicators:
    period: Period
    site: str | None  # None: the whole network
    people: int = 0
    people_first_time: int = 0
    people_returning: int = 0
    visits: int = 0
    workshop_attendances: int = 0
    walk_ins: int = 0
    accompaniments: int = 0
    sessions_held: int = 0
    accompaniment_minutes: int = 0
    person_minutes: int = 0
    booked_seats: int = 0
    booked_attended: int = 0
    no_shows: int = 0
    bookings_made: int = 0
    cancellations: int = 0
    released_by_cancelled_workshops: int = 0
    waitlist_entries: int = 0
    waitlist_promoted: int = 0
    waitlist_unseated: int = 0
    seats_offered: int = 0
    age_brackets: dict[str, int] = field(default_factory=dict)
    genders: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    communes: dict[str, int] = field(default_factory=dict)  # INSEE code ("" = not given) -> people
    areas: dict[str, int] = field(default_factory=dict)  # urbain / rural / hors_territoire / non_communique
    themes: dict[str, int] = field(default_factory=dict)  # activities (sessions + accompaniments) per theme
    equipment_used: dict[str, int] = field(default_factory=dict)
    loans_started: int = 0
    loans_take_home: int = 0
    borrowers: int = 0
    loan_days: int = 0
    asset_days: int = 0  # in-service assets × days of the period elapsed so far
    assets_in_service: int = 0
    grant_assets_in_service: int = 0
    notices_sent: int = 0

    @property
    def young(self) -> int:
        return sum(self.age_brackets.get(b, 0) for b in YOUNG)

    @property
    def seniors(self) -> int:
        return sum(self.age_brackets.get(b, 0) for b in SENIORS)

    @property
    def accompaniment_hours(self) -> float:
        return self.accompaniment_minutes / 60

    @property
    def person_hours(self) -> float:
        return self.person_minutes / 60

    @property
    def attendance_rate(self) -> float | None:
        return ratio(self.booked_attended, self.booked_seats)

    @property
    def no_show_rate(self) -> float | None:
        return ratio(self.no_shows, self.booked_seats)

    @property
    def waitlist_pressure(self) -> float | None:
        return ratio(self.waitlist_entries, self.seats_offered)

    @property
    def utilisation(self) -> float | None:
        """Share of the in-service equipment's days spent on loan, over the period elapsed so far."""
        return ratio(self.loan_days, self.asset_days)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def per_100(people: int, population: int) -> float | None:
    return 100 * people / population if population else None


@dataclass(frozen=True)
class Options:
    """``grant_sources``: funding sources counted as the grant; ``as_of``: today, for loans still out."""

    grant_sources: tuple[str, ...] = ("fabriques-de-territoires",)
    as_of: date | None = None


def compute(
    facts: Facts, period: Period, territory: Territory, site: str | None = None, options: Options = Options()
) -> Indicators:
    out = Indicators(period, site)
    seats = [a for a in facts.attendance if period.contains(a.day) and _in(site, a.site)]
    sessions = [s for s in facts.sessions if period.contains(s.day) and _in(site, s.site)]
    individual = [a for a in facts.accompaniments if period.contains(a.day) and _in(site, a.site)]
    _attendance(out, seats, sessions, individual)
    _bookings(out, facts, period, site, seats)
    visitors = {a.person.citizen_id: a.person for a in seats if a.status == ATTENDED}
    visitors.update({a.person.citizen_id: a.person for a in individual})
    _people(out, visitors, facts, territory)
    _equipment(out, facts, period, site, options.grant_sources, options.as_of or period.end)
    out.notices_sent = sum(1 for n in facts.notices if period.contains(n.day) and _in(site, n.site))
    return out


def _in(site: str | None, fact_site: str) -> bool:
    return site is None or fact_site == site


def _attendance(
    out: Indicators, seats: list[Attendance], sessions: list[Session], individual: list[Accompaniment]
) -> None:
    came = [a for a in seats if a.status == ATTENDED]
    out.workshop_attendances = len(came)
    out.walk_ins = sum(1 for a in came if a.walk_in)
    out.booked_attended = len(came) - out.walk_ins
    out.no_shows = sum(1 for a in seats if a.status == NO_SHOW)
    out.booked_seats = out.booked_attended + out.no_shows
    out.accompaniments = len(individual)
    out.visits = out.workshop_attendances + out.accompaniments
    out.sessions_held = len(sessions)
    out.seats_offered = sum(s.capacity for s in sessions)
    session_minutes = sum(s.duration_minutes for s in sessions)
    individual_minutes = sum(a.duration_minutes for a in individual)
    out.accompaniment_minutes = session_minutes + individual_minutes
    out.person_minutes = individual_minutes + sum(s.duration_minutes * s.attended for s in sessions)
    themes: Counter[str] = Counter()
    for activity_themes in [s.themes for s in sessions] + [a.themes for a in individual]:
        themes.update(set(activity_themes))
    out.themes = dict(themes)
    out.equipment_used = dict(Counter(e for a in individual for e in set(a.equipment) if e != "aucun"))


def _bookings(out: Indicators, facts: Facts, period: Period, site: str | None, seats: list[Attendance]) -> None:
    """Bookings of the sessions (or slots) that fall in the period, by their current date."""
    came = {a.booking_id for a in seats if a.status == ATTENDED}
    for b in facts.bookings:
        workshop = facts.workshops.get(b.workshop_id or "")
        day = workshop.day if workshop is not None and workshop.day else b.day
        if not (day and period.contains(day) and _in(site, b.site)):
            continue
        out.bookings_made += 1 if (b.confirmed or b.waitlisted) else 0
        out.cancellations += b.cancel_reason in REAL_CANCELLATIONS
        out.released_by_cancelled_workshops += b.cancel_reason == "workshop_cancelled"
        if b.waitlisted:
            out.waitlist_entries += 1
            out.waitlist_promoted += b.promoted
            out.waitlist_unseated += not b.promoted and b.booking_id not in came


def _people(out: Indicators, visitors: dict[str, Person], facts: Facts, territory: Territory) -> None:
    out.people = len(visitors)
    first = out.period.first
    out.people_returning = sum(1 for cid in visitors if facts.first_visit.get(cid, first) < first)
    out.people_first_time = out.people - out.people_returning
    latest = [facts.citizens.get(cid, person) for cid, person in visitors.items()]
    out.age_brackets = dict(Counter(p.age_bracket for p in latest))
    out.genders = dict(Counter(p.gender for p in latest))
    out.statuses = dict(Counter(p.social_status for p in latest))
    out.communes = dict(Counter(p.commune_insee or "" for p in latest))
    out.areas = dict(Counter(territory.classify(p.commune_insee) for p in latest))


def _equipment(
    out: Indicators, facts: Facts, period: Period, site: str | None, grant_sources: tuple[str, ...], as_of: date
) -> None:
    started = [loan for loan in facts.loans if loan.start_day and period.contains(loan.start_day)
               and _in(site, loan.site)]
    out.loans_started = len(started)
    out.loans_take_home = sum(1 for loan in started if loan.mode == "take_home")
    out.borrowers = len({loan.citizen_id for loan in started if loan.citizen_id})
    horizon = min(period.end, as_of).isoformat()
    for loan in facts.loans:
        if not loan.start_day or not _in(site, loan.site):
            continue
        first = max(loan.start_day, period.first)
        last = min(loan.returned_day or horizon, horizon)
        if first <= last:
            out.loan_days += (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    in_service = [a for a in facts.assets if a.in_service and _in(site, a.site)]
    out.assets_in_service = len(in_service)
    elapsed = (date.fromisoformat(horizon) - period.start).days + 1
    out.asset_days = out.assets_in_service * max(0, elapsed)
    out.grant_assets_in_service = sum(1 for a in in_service if a.funding_source in grant_sources)


def by_site(
    facts: Facts, period: Period, territory: Territory, sites: list[str], options: Options = Options()
) -> dict[str, Indicators]:
    return {slug: compute(facts, period, territory, slug, options) for slug in sites}


def series(
    facts: Facts, period: Period, territory: Territory, granularity: str, site: str | None = None,
    options: Options = Options(),
) -> list[Indicators]:
    """The same indicators month by month (or quarter, year) over the period."""
    return [compute(facts, part, territory, site, options) for part in period.split(granularity)]
