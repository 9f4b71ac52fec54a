"""What the bot says and does, independent of Telegram: each function returns a ``Reply`` (text and buttons)."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from services.bot import tables as t
from services.bot.settings import BotSettings
from services.public import catalogue as cat
from services.public import fr
from services.public.client import RequestClient
from services.public.rows import upsert
from shared.contract import booking as bk
from shared.contract import directory as dr
from shared.contract.citizen import CitizenRef

HELP = ("Je peux vous inscrire aux ateliers numériques gratuits.\n"
        "/ateliers — les prochains ateliers\n/mesreservations — voir ou annuler mes réservations\n"
        "/stop — ne plus recevoir de messages")


@dataclass
class Reply:
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data)


def citizen_id_of(chat_id: int) -> str:
    return "tg-" + hashlib.sha256(f"maillage-bot:{chat_id}".encode()).hexdigest()[:40]


class Conversation:
    def __init__(self, settings: BotSettings, engine: AsyncEngine, client: RequestClient,
                 now: Callable[[], datetime]) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client
        self.now = now

    @staticmethod
    def help_text() -> str:
        return HELP

    async def start(self, chat_id: int, first_name: str) -> Reply:
        """Talking to the bot is agreeing to be told here about one's bookings (``/stop`` withdraws)."""
        citizen_id = citizen_id_of(chat_id)
        async with self.engine.begin() as conn:
            await upsert(conn, t.chats, {"citizen_id": citizen_id}, {"chat_id": chat_id, "active": "y"})
        await self.client.tell(dr.ContactRegistered(
            citizen_id=citizen_id, site=self.settings.site, display_name=first_name[:120] or None,
            preferred_channel="bot", consents=["bot"]))
        return Reply(f"Bonjour {first_name} !\n{HELP}\nVous recevrez ici les confirmations et les rappels.")

    async def stop(self, chat_id: int) -> Reply:
        citizen_id = citizen_id_of(chat_id)
        async with self.engine.begin() as conn:
            await upsert(conn, t.chats, {"citizen_id": citizen_id}, {"chat_id": chat_id, "active": "n"})
        await self.client.tell(dr.ConsentChanged(citizen_id=citizen_id, channel="bot", granted=False,
                                                 changed_at=self.now()))
        return Reply("C'est noté : vous ne recevrez plus de messages ici. /start pour recommencer.")

    async def workshops(self) -> Reply:
        now = self.now()
        async with self.engine.connect() as conn:
            until = now + timedelta(weeks=self.settings.bot_weeks)
            found = await cat.workshops(conn, t.catalogue, after=now, before=until)
        if not found:
            return Reply("Aucun atelier à venir pour l'instant.")
        lines, buttons = ["Prochains ateliers :"], []
        for n, w in enumerate(found[:10], 1):
            seats = f"{w.seats_left} place(s)" if w.seats_left else "complet, liste d'attente"
            lines.append(f"{n}. {w.title} — {fr.when(w.starts_at)} — {self.settings.site_name(w.site)} ({seats})")
            buttons.append((f"Réserver n°{n}", f"reserver:{w.workshop_id}"))
        return Reply("\n".join(lines), buttons)

    async def book(self, chat_id: int, workshop_id: str) -> Reply:
        citizen = CitizenRef(citizen_id=citizen_id_of(chat_id))
        answer = await self.client.ask(bk.BookingRequested(workshop_id=workshop_id, citizen=citizen))
        if answer.type == "booking.confirmed":
            return Reply("C'est réservé ! Vous recevrez un rappel avant l'atelier.")
        if answer.type == "booking.waitlisted":
            return Reply(f"L'atelier est complet : vous êtes en position {answer.event.get('position')} "
                         "sur la liste d'attente. Vous serez prévenu·e si une place se libère.")
        if answer.status == "answered":
            return Reply(f"Réservation impossible : {answer.detail}")
        return Reply("Demande enregistrée : la réponse vous sera envoyée ici.")

    async def mine(self, chat_id: int) -> Reply:
        async with self.engine.connect() as conn:
            found = await cat.bookings_of(conn, t.catalogue, citizen_id_of(chat_id), self.now())
        if not found:
            return Reply("Vous n'avez pas de réservation à venir. /ateliers pour en voir.")
        lines, buttons = ["Vos réservations :"], []
        for n, b in enumerate(found, 1):
            state = "place réservée" if b.status == "confirmed" else f"liste d'attente, position {b.position}"
            lines.append(f"{n}. {b.workshop.title} — {fr.when(b.workshop.starts_at)} ({state})")
            buttons.append((f"Annuler n°{n}", f"annuler:{b.booking_id}"))
        return Reply("\n".join(lines), buttons)

    async def cancel(self, chat_id: int, booking_id: str) -> Reply:
        citizen_id = citizen_id_of(chat_id)
        async with self.engine.connect() as conn:
            row = await cat.booking_row(conn, t.catalogue, booking_id)
        if row is None or row["citizen_id"] != citizen_id:
            return Reply("Réservation introuvable.")
        answer = await self.client.ask(bk.CancelRequested(booking_id=booking_id, by="citizen", citizen_id=citizen_id))
        if answer.type == "booking.cancelled":
            return Reply("Votre réservation est annulée.")
        if answer.status == "answered":
            return Reply(f"Annulation impossible : {answer.detail}")
        return Reply("Annulation enregistrée : elle sera prise en compte sous peu.")

