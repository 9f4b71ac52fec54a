"""Equipment at the desk: lend and take back by asset tag (typed, or scanned by a USB scanner that types
the tag and Enter), transfers to receive, conflicts to resolve, and the site's sync status."""

import re
from datetime import date

from aiohttp import web

from services.console import queries
from services.console.sync import sync_status
from services.console.web import SESSION, console_of
from services.public.forms import CHANNELS, check_person
from shared.contract.inventory import Condition

TAG = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
CONDITIONS = {"good": "Bon état", "worn": "Usé", "damaged": "Abîmé", "broken": "Hors d'usage", "new": "Neuf"}
STATUS = {"available": "Disponible", "reserved": "Réservé", "on_loan": "Prêté", "in_use_on_site": "Utilisé sur place",
          "in_transit": "En transfert", "in_maintenance": "En réparation", "lost": "Perdu", "retired": "Réformé"}


async def equipment(request: web.Request) -> web.Response:
    console = console_of(request)
    site = request[SESSION].staff.site
    async with console.engine.connect() as conn:
        loans = await queries.loans_at(conn, site, console.now().astimezone(console.zone).date())
        counts = await queries.assets_at(conn, site)
    return console.page(request, "equipment.html.j2", loans=loans, counts=counts, statuses=STATUS, error="")


async def scan(request: web.Request) -> web.Response:
    tag = str((await request.post()).get("etiquette", "")).strip()
    if not TAG.match(tag):
        console = console_of(request)
        return console.page(request, "equipment.html.j2", status=422, loans=[], counts={}, statuses=STATUS,
                            error="Étiquette illisible : lettres, chiffres, tirets et points seulement.")
    raise web.HTTPSeeOther(f"/materiel/{tag}")


async def asset_view(request: web.Request, status: int = 200, values: dict | None = None,
                     errors: dict | None = None) -> web.Response:
    console = console_of(request)
    tag = request.match_info["tag"]
    async with console.engine.connect() as conn:
        found = await queries.asset(conn, tag)
        loan = await queries.active_loan(conn, tag)
    return console.page(request, "asset.html.j2", status=status, tag=tag, asset=found, loan=loan, statuses=STATUS,
                        conditions=CONDITIONS, channels=CHANNELS, values=values or {}, errors=errors or {})


async def lend(request: web.Request) -> web.Response:
    console = console_of(request)
    form = {k: str(v) for k, v in (await request.post()).items()}
    checked = check_person(form)
    due: date | None = None
    if form.get("retour"):
        try:
            due = date.fromisoformat(form["retour"])
        except ValueError:
            checked.errors["retour"] = "Date de retour invalide (AAAA-MM-JJ)."
    if checked.person is None or checked.errors:
        return await asset_view(request, status=422, values=form, errors=checked.errors)
    tag = request.match_info["tag"]
    action = console.desk.lend(request[SESSION].staff, tag, checked.person, form.get("convention") == "oui", due)
    return await console.done(request, action, f"/materiel/{tag}")


async def give_back(request: web.Request) -> web.Response:
    console = console_of(request)
    form = await request.post()
    condition = str(form.get("etat", "good"))
    if condition not in Condition.__members__:
        condition = "good"
    tag = request.match_info["tag"]
    action = console.desk.take_back(request[SESSION].staff, tag, condition, str(form.get("remarques", ""))[:500])
    return await console.done(request, action, f"/materiel/{tag}")


async def transfers(request: web.Request) -> web.Response:
    console = console_of(request)
    async with console.engine.connect() as conn:
        waiting = await queries.transfers_to(conn, request[SESSION].staff.site)
    return console.page(request, "transfers.html.j2", transfers=waiting)


async def receive(request: web.Request) -> web.Response:
    console = console_of(request)
    scanned = str((await request.post()).get("etiquettes", ""))
    tags = [tag for tag in re.split(r"[\s,;]+", scanned) if TAG.match(tag)]
    action = console.desk.receive(request[SESSION].staff, request.match_info["transfer_id"], tags)
    return await console.done(request, action, "/transferts")


async def conflicts(request: web.Request) -> web.Response:
    console = console_of(request)
    async with console.engine.connect() as conn:
        found = await queries.open_conflicts(conn, request[SESSION].staff.site)
    return console.page(request, "conflicts.html.j2", conflicts=found)


async def resolve(request: web.Request) -> web.Response:
    console = console_of(request)
    text = str((await request.post()).get("resolution", ""))[:500]
    action = console.desk.resolve(request[SESSION].staff, request.match_info["conflict_id"], text)
    return await console.done(request, action, "/conflits")


async def sync(request: web.Request) -> web.Response:
    console = console_of(request)
    status = await sync_status(console.nc, console.js, console.engine, console.settings.site, console.settings.role)
    return console.page(request, "sync.html.j2", sync=status)


ROUTES = [
    web.get("/materiel", equipment), web.post("/materiel", scan),
    web.get("/materiel/{tag}", asset_view),
    web.post("/materiel/{tag}/preter", lend), web.post("/materiel/{tag}/retour", give_back),
    web.get("/transferts", transfers), web.post("/transferts/{transfer_id}/recevoir", receive),
    web.get("/conflits", conflicts), web.post("/conflits/{conflict_id}/resoudre", resolve),
    web.get("/synchro", sync),
]
