"""Sessions and people: the site's day and week, a session's check-in list with walk-ins, booking on
behalf (with the waitlist) and cancelling."""

from datetime import date, datetime, time, timedelta

from aiohttp import web

from services.console import queries
from services.console import tables as t
from services.console.web import SESSION, console_of
from services.public import catalogue as cat
from services.public.forms import CHANNELS, check_person


def _day_bounds(day: date, zone: object) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)  # type: ignore[arg-type]
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)  # type: ignore[arg-type]


async def day_view(request: web.Request) -> web.Response:
    console = console_of(request)
    staff = request[SESSION].staff
    today = console.now().astimezone(console.zone).date()
    try:
        day = date.fromisoformat(request.query.get("date", "")) if request.query.get("date") else today
    except ValueError:
        day = today
    start, end = _day_bounds(day, console.zone)
    async with console.engine.connect() as conn:
        sessions = await queries.sessions_between(conn, staff.site, start, end)
    return console.page(request, "day.html.j2", day=day, today=today, sessions=sessions,
                        previous=day - timedelta(days=1), following=day + timedelta(days=1))


async def week_view(request: web.Request) -> web.Response:
    console = console_of(request)
    staff = request[SESSION].staff
    today = console.now().astimezone(console.zone).date()
    start, _ = _day_bounds(today, console.zone)
    async with console.engine.connect() as conn:
        sessions = await queries.sessions_between(conn, staff.site, start, start + timedelta(days=7))
    days: dict[date, list[cat.WorkshopView]] = {}
    for s in sessions:
        days.setdefault(s.starts_at.astimezone(console.zone).date(), []).append(s)
    return console.page(request, "week.html.j2", days=days, today=today)


async def _session(request: web.Request) -> cat.WorkshopView:
    console = console_of(request)
    async with console.engine.connect() as conn:
        found = await cat.workshop(conn, t.catalogue, request.match_info["workshop_id"])
    if found is None:
        raise web.HTTPNotFound(text="Séance inconnue.")
    if found.site != request[SESSION].staff.site:
        raise web.HTTPForbidden(text="Cette séance relève d'un autre lieu.")
    return found


async def session_view(request: web.Request, status: int = 200, form: str = "", values: dict | None = None,
                       errors: dict | None = None) -> web.Response:
    console = console_of(request)
    found = await _session(request)
    async with console.engine.connect() as conn:
        people = await queries.attendees(conn, found.workshop_id)
    return console.page(request, "session.html.j2", status=status, w=found, people=people, channels=CHANNELS,
                        form=form, values=values or {}, errors=errors or {})


def _back(request: web.Request) -> str:
    return f"/seance/{request.match_info['workshop_id']}"


async def check_in(request: web.Request) -> web.Response:
    console = console_of(request)
    booking_id = str((await request.post()).get("reservation", ""))
    return await console.done(request, console.desk.check_in(request[SESSION].staff, booking_id), _back(request))


async def cancel(request: web.Request) -> web.Response:
    console = console_of(request)
    booking_id = str((await request.post()).get("reservation", ""))
    return await console.done(request, console.desk.cancel(request[SESSION].staff, booking_id), _back(request))


async def walk_in(request: web.Request) -> web.Response:
    return await _with_person(request, "sans-reservation")


async def book(request: web.Request) -> web.Response:
    return await _with_person(request, "reserver")


async def _with_person(request: web.Request, which: str) -> web.Response:
    console = console_of(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    checked = check_person(form)
    if checked.person is None:
        return await session_view(request, status=422, form=which, values=checked.values, errors=checked.errors)
    staff, workshop_id = request[SESSION].staff, request.match_info["workshop_id"]
    if which == "reserver":
        action = console.desk.book(staff, workshop_id, checked.person)
    else:
        action = console.desk.walk_in(staff, workshop_id, checked.person, override=form.get("depasser") == "oui")
    return await console.done(request, action, _back(request))


ROUTES = [
    web.get("/jour", day_view), web.get("/semaine", week_view),
    web.get("/seance/{workshop_id}", session_view),
    web.post("/seance/{workshop_id}/pointer", check_in),
    web.post("/seance/{workshop_id}/annuler", cancel),
    web.post("/seance/{workshop_id}/sans-reservation", walk_in),
    web.post("/seance/{workshop_id}/reserver", book),
]
