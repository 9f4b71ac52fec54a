"""What staff do at the desk, as requests any client could send: look the thing up in the console's read
model, refuse at once what belongs to another site, publish, and turn the outcome into a French sentence."""

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.console import queries
from services.console import tables as t
from services.console.guard import Forbidden, own_site
from services.console.staff import Staff
from services.public import catalogue as cat
from services.public.client import Answer, RequestClient
from services.public.forms import Person
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract import directory as dr
from shared.contract import inventory as inv
from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Request


@dataclass(frozen=True)
class Outcome:
    kind: str  # ok | attente | refus
    text: str


SAID = {
    "booking.confirmed": "Place réservée.",
    "booking.cancelled": "Réservation annulée.",
    "attendance.checked_in": "Présence enregistrée.",
    "inventory.loan_checked_out": "Prêt enregistré.",
    "inventory.loan_returned": "Retour enregistré.",
    "inventory.conflict_resolved": "Conflit marqué comme résolu.",
}


def outcome_of(answer: Answer) -> Outcome:
    e = answer.event
    if answer.status == "unavailable":
        return Outcome("refus", "Demande non enregistrée : le serveur local ne répond pas. Réessayez.")
    if answer.status == "pending":
        return Outcome("attente", "Demande enregistrée ; la réponse arrivera quand le service concerné l'aura traitée.")
    if answer.refused:
        return Outcome("refus", f"Refusé : {answer.detail}")
    if answer.type == "booking.waitlisted":
        return Outcome("attente", f"Atelier complet : inscription en liste d'attente (position {e.get('position')}).")
    if answer.type == "attendance.checked_in" and e.get("walk_in"):
        return Outcome("ok", "Présence enregistrée (venue sans réservation).")
    if answer.type == "inventory.loan_checked_out":
        return Outcome("ok", f"Prêt enregistré : {e.get('asset_tag')}, à rendre le {_day(e.get('due_date'))}.")
    if answer.type == "inventory.loan_returned":
        late = int(e.get("days_late") or 0)
        delay = f" ({late} jour(s) de retard)." if late else "."
        return Outcome("ok", f"Retour enregistré : {e.get('asset_tag')}{delay}")
    if answer.type == "inventory.transfer_received":
        rest = e.get("still_in_transit") or []
        more = f" Encore attendu(s) : {', '.join(rest)}." if rest else " Le colis est complet."
        return Outcome("ok", f"{len(e.get('asset_tags') or [])} article(s) reçu(s).{more}")
    if answer.type == "inventory.conflict_detected":
        return Outcome("refus", f"Conflit signalé : {e.get('detail', '')}")
    return Outcome("ok", SAID.get(answer.type, "C'est fait."))


def _day(value: object) -> str:
    try:
        return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


class Desk:
    def __init__(self, client: RequestClient, engine: AsyncEngine) -> None:
        self.client = client
        self.engine = engine

    async def _ask(self, request: Request) -> Outcome:
        return outcome_of(await self.client.ask(request))

    async def _workshop(self, staff: Staff, workshop_id: str) -> cat.WorkshopView:
        async with self.engine.connect() as conn:
            found = await cat.workshop(conn, t.catalogue, workshop_id)
        own_site(staff, found.site if found else None, "Cet atelier")
        assert found is not None
        return found

    async def _booking(self, staff: Staff, booking_id: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            row = await cat.booking_row(conn, t.catalogue, booking_id)
        own_site(staff, row["site"] if row else None, "Cette réservation")
        assert row is not None
        return row

    async def register(self, staff: Staff, person: Person) -> CitizenRef:
        """A new person at the desk: a fresh pseudonymous id; the name (and a contact only with consent)
        goes to this node's directory, never into the booking or loan."""
        citizen_id = "acc-" + secrets.token_hex(10)
        await self.client.tell(dr.ContactRegistered(
            citizen_id=citizen_id, site=staff.site, display_name=person.name, email=person.email, phone=person.phone,
            preferred_channel=person.channel, consents=[person.channel] if person.channel else [],
            staff_id=staff.login,
        ))
        return CitizenRef(citizen_id=citizen_id, age_bracket=person.age_bracket, commune_insee=person.commune_insee)

    async def check_in(self, staff: Staff, booking_id: str) -> Outcome:
        await self._booking(staff, booking_id)
        return await self._ask(att.CheckInRequested(booking_id=booking_id, staff_id=staff.login))

    async def walk_in(self, staff: Staff, workshop_id: str, person: Person, override: bool = False) -> Outcome:
        await self._workshop(staff, workshop_id)
        citizen = await self.register(staff, person)
        return await self._ask(att.WalkInRequested(workshop_id=workshop_id, citizen=citizen, staff_id=staff.login,
                                                   override_capacity=override))

    async def book(self, staff: Staff, workshop_id: str, person: Person) -> Outcome:
        await self._workshop(staff, workshop_id)
        citizen = await self.register(staff, person)
        return await self._ask(bk.BookingRequested(workshop_id=workshop_id, citizen=citizen,
                                                   booked_by_staff=staff.login))

    async def cancel(self, staff: Staff, booking_id: str) -> Outcome:
        row = await self._booking(staff, booking_id)
        return await self._ask(bk.CancelRequested(booking_id=booking_id, by="staff", citizen_id=row["citizen_id"],
                                                  staff_id=staff.login))

    async def _asset(self, staff: Staff, tag: str) -> dict[str, Any]:
        async with self.engine.connect() as conn:
            found = await queries.asset(conn, tag)
        own_site(staff, found["site"] if found else None, f"Le matériel {tag}")
        assert found is not None
        return found

    async def lend(self, staff: Staff, tag: str, person: Person, agreement: bool, due: date | None) -> Outcome:
        await self._asset(staff, tag)
        citizen = await self.register(staff, person)
        return await self._ask(inv.LoanCheckoutRequested(
            asset_tag=tag, citizen=citizen, agreement_signed=agreement, due_date=due, staff_id=staff.login))

    async def take_back(self, staff: Staff, tag: str, condition: str, notes: str) -> Outcome:
        await self._asset(staff, tag)
        return await self._ask(inv.LoanReturnRequested(asset_tag=tag, condition=inv.Condition(condition), notes=notes,
                                                       staff_id=staff.login))

    async def receive(self, staff: Staff, transfer_id: str, tags: list[str]) -> Outcome:
        async with self.engine.connect() as conn:
            found = await queries.transfer(conn, transfer_id)
        own_site(staff, found["to_site"] if found else None, "Ce transfert")
        if not tags:
            raise Forbidden("Scannez au moins une étiquette reçue.")
        return await self._ask(inv.TransferReceiveRequested(transfer_id=transfer_id, site=staff.site, asset_tags=tags,
                                                            staff_id=staff.login))

    async def resolve(self, staff: Staff, conflict_id: str, resolution: str) -> Outcome:
        async with self.engine.connect() as conn:
            found = await queries.conflict(conn, conflict_id)
        sites = {found["node_site"], found["holding_site"]} if found else set()
        own_site(staff, staff.site if staff.site in sites else (found["holding_site"] if found else None), "Ce conflit")
        if not resolution.strip():
            raise Forbidden("Décrivez comment le conflit a été réglé.")
        return await self._ask(inv.ConflictResolveRequested(conflict_id=conflict_id, resolution=resolution.strip(),
                                                            staff_id=staff.login))
