"""The public booking page (server-rendered, no JavaScript needed): routes and what each one does."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from services.public import catalogue as cat
from services.public.citizen import citizen_id_of, is_token, new_token
from services.public.client import Answer, RequestClient
from services.public.forms import CHANNELS, check_booking
from services.public.pages import environment, render
from services.public.settings import PublicSettings
from services.public.tables import catalogue
from shared.contract import booking as bk
from shared.contract import directory as dr
from shared.contract.citizen import CitizenRef

COOKIE = "maillage_lien"


class PublicPages:
    def __init__(self, settings: PublicSettings, engine: AsyncEngine, client: RequestClient,
                 now: Callable[[], datetime]) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client
        self.now = now
        self.env = environment("services.public", settings.timezone)
        self.env.globals["site_name"] = settings.site_name

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.add_routes([
            web.get("/", self.index),
            web.get("/atelier/{workshop_id}", self.workshop),
            web.post("/atelier/{workshop_id}", self.book),
            web.get("/mes-reservations/{token}", self.mine),
            web.post("/mes-reservations/{token}/annuler", self.cancel),
        ])
        return app

    async def index(self, request: web.Request) -> web.Response:
        site, theme = request.query.get("lieu", ""), request.query.get("theme", "")
        now = self.now()
        until = now + timedelta(weeks=self.settings.public_weeks)
        async with self.engine.connect() as conn:
            found = await cat.workshops(conn, catalogue, after=now, before=until, site=site or None,
                                        theme=theme or None)
        by_site: dict[str, list[cat.WorkshopView]] = {}
        for w in found:
            by_site.setdefault(w.site, []).append(w)
        return render(self.env, "index.html.j2", by_site=by_site, site=site, theme=theme,
                      sites=self.settings.site_names, token=request.cookies.get(COOKIE, ""))

    async def _workshop(self, request: web.Request) -> cat.WorkshopView:
        async with self.engine.connect() as conn:
            found = await cat.workshop(conn, catalogue, request.match_info["workshop_id"])
        if found is None:
            raise web.HTTPNotFound(text="Atelier introuvable.")
        return found

    async def workshop(self, request: web.Request) -> web.Response:
        found = await self._workshop(request)
        return render(self.env, "workshop.html.j2", w=found, values={}, errors={}, channels=CHANNELS,
                      open=found.status == "scheduled" and found.starts_at > self.now())

    async def book(self, request: web.Request) -> web.Response:
        found = await self._workshop(request)
        form = await request.post()
        checked = check_booking({k: str(v) for k, v in form.items()})
        if checked.person is None:
            return render(self.env, "workshop.html.j2", status=422, w=found, values=checked.values,
                          errors=checked.errors, channels=CHANNELS, open=True)
        person = checked.person
        token = request.cookies.get(COOKIE, "")
        token = token if is_token(token) else new_token()
        citizen_id = citizen_id_of(token)
        # Contact details go only into the directory event, on this node, for its notifications service.
        await self.client.tell(dr.ContactRegistered(
            citizen_id=citizen_id, site=self.settings.site, display_name=person.name, email=person.email,
            phone=person.phone, preferred_channel=person.channel, consents=[person.channel] if person.channel else [],
        ))
        answer = await self.client.ask(bk.BookingRequested(
            workshop_id=found.workshop_id,
            citizen=CitizenRef(citizen_id=citizen_id, age_bracket=person.age_bracket,
                               commune_insee=person.commune_insee),
        ))
        response = render(self.env, "booked.html.j2", w=found, answer=answer, outcome=outcome_of(answer),
                          link=self.link(request, token))
        response.set_cookie(COOKIE, token, max_age=365 * 86400, httponly=True, samesite="Lax", path="/")
        return response

    def link(self, request: web.Request, token: str) -> str:
        base = self.settings.public_base_url or f"{request.scheme}://{request.host}"
        return f"{base.rstrip('/')}/mes-reservations/{token}"

    async def mine(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not is_token(token):
            raise web.HTTPNotFound(text="Lien inconnu.")
        async with self.engine.connect() as conn:
            bookings = await cat.bookings_of(conn, catalogue, citizen_id_of(token), self.now())
        return render(self.env, "mine.html.j2", bookings=bookings, token=token,
                      message=request.query.get("message", ""))

    async def cancel(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not is_token(token):
            raise web.HTTPNotFound(text="Lien inconnu.")
        booking_id = str((await request.post()).get("reservation", ""))
        citizen_id = citizen_id_of(token)
        async with self.engine.connect() as conn:
            row = await cat.booking_row(conn, catalogue, booking_id)
        if row is None or row["citizen_id"] != citizen_id:
            raise web.HTTPNotFound(text="Réservation introuvable.")
        answer = await self.client.ask(bk.CancelRequested(booking_id=booking_id, by="citizen", citizen_id=citizen_id))
        message = "annulee" if answer.type == "booking.cancelled" else "attente" if answer.status != "answered" \
            else "refus"
        raise web.HTTPSeeOther(f"/mes-reservations/{token}?message={message}")


def outcome_of(answer: Answer) -> dict[str, Any]:
    """What the page says: a kind (for the style and the heading) and the French sentence."""
    if answer.type == "booking.confirmed":
        return {"kind": "ok", "title": "C'est réservé !", "text": "Votre place est réservée."}
    if answer.type == "booking.waitlisted":
        position = answer.event.get("position")
        return {"kind": "attente", "title": "Vous êtes sur la liste d'attente",
                "text": f"L'atelier est complet. Vous êtes en position {position} sur la liste d'attente : "
                        "si une place se libère, elle vous est donnée et vous êtes prévenu·e."}
    if answer.status == "answered":
        return {"kind": "refus", "title": "Réservation impossible", "text": answer.detail}
    if answer.status == "pending":
        return {"kind": "attente", "title": "Demande enregistrée",
                "text": "Votre demande est bien enregistrée ; la réponse vous sera envoyée par message."}
    return {"kind": "refus", "title": "Service momentanément indisponible",
            "text": "Votre demande n'a pas pu être enregistrée. Réessayez dans quelques minutes."}
