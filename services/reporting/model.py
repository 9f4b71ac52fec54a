"""Reporting's facts and the rules that merge them: plain Python, no I/O.

Each read-model row is a *fact* keyed by the aggregate it describes (a booking, a session, an
accompaniment…). Events from different origins can arrive in any interleaving, and the same event
can arrive twice, so every merge here is commutative, associative and idempotent: the row after a
set of events does not depend on their order. Ties are broken by the event's ``version`` (its HLC,
then its id), never by arrival order or wall clock.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

ATTENDED, NO_SHOW = "attended", "no_show"
ZERO_HLC = "0000000000000-000000"
T = TypeVar("T")


def version_of(hlc: str, event_id: str) -> str:
    """A total order between events: HLC first (DESIGN §2), then the id to break ties."""
    return f"{hlc or ZERO_HLC}:{event_id}"


def local_day(moment: datetime, zone: ZoneInfo) -> str:
    """The calendar day (ISO) a moment falls on where the network is, not in UTC."""
    return moment.astimezone(zone).date().isoformat()


@dataclass(frozen=True)
class Person:
    """A citizen as events describe them: pseudonymous id and the few facts reports need."""

    citizen_id: str
    age_bracket: str = "non_communique"
    commune_insee: str | None = None
    social_status: str = "non_communique"
    gender: str = "non_communique"


@dataclass(frozen=True)
class Citizen:
    person: Person
    version: str


@dataclass(frozen=True)
class Attendance:
    """One seat of one session: came (booked or walk-in) or did not come."""

    booking_id: str
    workshop_id: str
    site: str
    person: Person
    status: str  # attended | no_show
    walk_in: bool
    day: str
    version: str


@dataclass(frozen=True)
class Session:
    """A workshop session held (``attendance.session_closed``): the collective activity record."""

    workshop_id: str
    site: str
    title: str
    themes: tuple[str, ...]
    level: str
    day: str
    duration_minutes: int
    capacity: int
    booked: int
    attended: int
    walk_ins: int
    no_shows: int
    version: str


@dataclass(frozen=True)
class Accompaniment:
    """One individual accompaniment (CRA ``individuel``)."""

    record_id: str
    site: str
    staff_id: str | None
    person: Person
    day: str
    duration_minutes: int
    themes: tuple[str, ...]
    admin_themes: tuple[str, ...]
    place_type: str
    equipment: tuple[str, ...]
    autonomy: str | None
    first_time: bool
    redirected_to: str | None
    version: str


@dataclass(frozen=True)
class Workshop:
    """What was scheduled; ``title`` is empty while only a later event of it has been seen."""

    workshop_id: str
    site: str
    title: str = ""
    themes: tuple[str, ...] = ()
    level: str = ""
    capacity: int = 0
    day: str = ""
    times_version: str = ""
    cancelled: bool = False


@dataclass(frozen=True)
class BookingFact:
    booking_id: str
    site: str
    citizen_id: str
    workshop_id: str | None = None
    resource_id: str | None = None
    day: str = ""
    day_version: str = ""
    confirmed: bool = False
    waitlisted: bool = False
    promoted: bool = False
    cancel_reason: str = ""  # "" = not cancelled; else cancelled_by_citizen, workshop_cancelled…
    cancel_version: str = ""


def latest(a: T, b: T, key: str = "version") -> T:
    return a if getattr(a, key) >= getattr(b, key) else b


def same(a: str | None, b: str | None) -> str:
    """Fields every event of an aggregate carries alike (its site, its citizen): any non-empty value,
    chosen the same way whatever the order."""
    return max(a or "", b or "")


def merge_citizen(old: Citizen | None, new: Citizen) -> Citizen:
    return new if old is None else latest(old, new)


def merge_attendance(old: Attendance | None, new: Attendance) -> Attendance:
    """Someone checked in was there: ``attended`` beats ``no_show`` whatever the order."""
    if old is None:
        return new
    return max(old, new, key=lambda f: (f.status == ATTENDED, f.version))


def merge_session(old: Session | None, new: Session) -> Session:
    return new if old is None else latest(old, new)


def merge_accompaniment(old: Accompaniment | None, new: Accompaniment) -> Accompaniment:
    return new if old is None else latest(old, new)


def merge_workshop(old: Workshop | None, new: Workshop) -> Workshop:
    if old is None:
        return new
    described = old if old.title >= new.title else new  # scheduled fields never change
    timed = latest(old, new, "times_version")
    return replace(
        described,
        day=timed.day,
        times_version=timed.times_version,
        cancelled=old.cancelled or new.cancelled,
    )


def merge_booking(old: BookingFact | None, new: BookingFact) -> BookingFact:
    if old is None:
        return new
    dated = latest(old, new, "day_version")
    cancel = latest(old, new, "cancel_version")
    return BookingFact(
        booking_id=old.booking_id,
        site=same(old.site, new.site),
        citizen_id=same(old.citizen_id, new.citizen_id),
        workshop_id=same(old.workshop_id, new.workshop_id) or None,
        resource_id=same(old.resource_id, new.resource_id) or None,
        day=dated.day,
        day_version=dated.day_version,
        confirmed=old.confirmed or new.confirmed,
        waitlisted=old.waitlisted or new.waitlisted,
        promoted=old.promoted or new.promoted,
        cancel_reason=cancel.cancel_reason,
        cancel_version=cancel.cancel_version,
    )


# --- periods ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Inclusive calendar days, compared as ISO strings like the stored ``day`` columns."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("la fin de la période précède son début")

    @property
    def first(self) -> str:
        return self.start.isoformat()

    @property
    def last(self) -> str:
        return self.end.isoformat()

    def contains(self, day: str) -> bool:
        return self.first <= day <= self.last

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls(date(year, month, 1), following - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        first = cls.month(year, 3 * quarter - 2)
        return cls(first.start, cls.month(year, 3 * quarter).end)

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def week_of(cls, day: date) -> "Period":
        monday = day - timedelta(days=day.weekday())
        return cls(monday, monday + timedelta(days=6))

    def months(self) -> list["Period"]:
        out, year, month = [], self.start.year, self.start.month
        while date(year, month, 1) <= self.end:
            whole = Period.month(year, month)
            out.append(Period(max(whole.start, self.start), min(whole.end, self.end)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def split(self, granularity: str) -> list["Period"]:
        """Month, quarter or year slices of this period (the first and last may be partial)."""
        if granularity == "month":
            return self.months()
        size = {"quarter": 3, "year": 12}[granularity]
        slices: dict[tuple[int, int], list[Period]] = {}
        for m in self.months():
            slices.setdefault((m.start.year, (m.start.month - 1) // size), []).append(m)
        return [Period(parts[0].start, parts[-1].end) for parts in slices.values()]


@dataclass(frozen=True)
class Notice:
    """One message to a citizen or staff (a reminder, a confirmation…), once per delivery key."""

    delivery_key: str
    kind: str
    site: str
    audience: str
    day: str
    version: str


def merge_notice(old: Notice | None, new: Notice) -> Notice:
    return new if old is None else latest(old, new)
