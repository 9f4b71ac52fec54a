"""The staff console over HTTP, with booking and inventory deciding: a staff member of one site is refused
for another site's workshop, booking or asset before anything is published; their own site's actions go
through the public contract and the screens show the outcome."""

from datetime import timedelta

from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import citizen
from tests.support.frontends import Browser, Desk, add_staff, desk, published
from tests.support.inventory import register


async def scene(d: Desk) -> dict[str, str]:
    """A workshop at the hub this morning with one booking, one at Trèbes, a tablet at each place."""
    await d.booking.send(d.booking.workshop("atelier-hub", capacity=2, starts_in=timedelta(hours=1)))
    trebes = d.booking.workshop("atelier-trebes", capacity=2, starts_in=timedelta(hours=1))
    await d.booking.send(trebes.model_copy(update={"site": "trebes"}))
    await d.booking.wait_for("booking.workshop_scheduled", count=2)
    await d.booking.send(bk.BookingRequested(request_id="r-1", workshop_id="atelier-hub", citizen=citizen(1)))
    confirmed = await d.booking.wait_for("booking.confirmed", count=1)
    await d.inventory.send(register("TAB-HUB-1", site="hub"))
    await d.inventory.send(register("TAB-TRB-1", site="trebes"))
    await d.inventory.wait_for("inventory.asset_registered", count=2)
    await d.console.settled()
    await add_staff(d.console, "marie", "hub", "Marie Dupont")
    await add_staff(d.console, "paul", "trebes", "Paul Martin")
    return {"booking": confirmed[0]["booking_id"]}


async def test_a_staff_member_cannot_act_for_another_site(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    async with desk(nats_server.url, database_url) as d:
        ids = await scene(d)
        paul = Browser(d.console.url)
        try:
            page = await paul.login("paul")
            assert "Paul Martin" in page, page[-3000:]
            await paul.get("/jour")
            _, page = await paul.post("/seance/atelier-hub/pointer", reservation=ids["booking"])
            assert "relève d'un autre lieu (hub)" in page
            _, page = await paul.post("/seance/atelier-hub/sans-reservation", nom="Intrus", tranche_age="", commune="")
            assert "relève d'un autre lieu (hub)" in page
            _, page = await paul.post("/materiel/TAB-HUB-1/preter", nom="Intrus", convention="oui")
            assert "relève d'un autre lieu (hub)" in page
            _, page = await paul.post("/materiel/TAB-HUB-1/retour", etat="good")
            assert "relève d'un autre lieu (hub)" in page
            async with paul.http.get(d.console.url + "/seance/atelier-hub") as response:
                assert response.status == 403
            # Nothing was published for those refused actions: not even a contact card.
            for event_type in ("attendance.check_in_requested", "attendance.walk_in_requested",
                               "inventory.loan_checkout_requested", "inventory.loan_return_requested",
                               "directory.contact_registered"):
                assert await published(d.booking.js, "hub", event_type) == [], event_type
            # A forged form without the session's CSRF token is refused outright.
            paul.csrf = "faux"
            status, _ = await paul.post("/seance/atelier-trebes/sans-reservation", nom="X")
            assert status == 403
        finally:
            await paul.close()


async def test_check_in_walk_in_booking_on_behalf_and_a_loan(nats_server: EmbeddedNatsServer,
                                                             database_url: str) -> None:
    async with desk(nats_server.url, database_url) as d:
        ids = await scene(d)
        marie = Browser(d.console.url)
        try:
            await marie.login("marie")
            day = await marie.get("/jour")
            assert "atelier-hub" in day and "atelier-trebes" not in day
            await marie.get("/seance/atelier-hub")
            _, page = await marie.post("/seance/atelier-hub/pointer", reservation=ids["booking"])
            assert "Présence enregistrée." in page and 'data-statut="attended"' in page
            _, page = await marie.post("/seance/atelier-hub/reserver", nom="Jeanne au téléphone",
                                       tranche_age="soixante_dix_plus", commune="11069", canal="sms",
                                       telephone="06 12 34 56 78", consentement="oui")
            assert "Place réservée." in page and "Jeanne au téléphone" in page
            _, page = await marie.post("/seance/atelier-hub/reserver", nom="Louis", tranche_age="", commune="")
            assert "liste d'attente (position 1)" in page
            _, page = await marie.post("/seance/atelier-hub/sans-reservation", nom="Ali", commune="")
            assert "Refusé" in page  # full: a walk-in needs the override
            _, page = await marie.post("/seance/atelier-hub/sans-reservation", nom="Ali", commune="", depasser="oui")
            assert "venue sans réservation" in page and "Ali" in page
            _, page = await marie.post("/materiel", etiquette="TAB-HUB-1")
            _, page = await marie.post("/materiel/TAB-HUB-1/preter", nom="Odette", tranche_age="soixante_dix_plus",
                                       commune="11069", convention="oui")
            assert "Prêt enregistré : TAB-HUB-1" in page and 'data-etat="on_loan"' in page
            _, page = await marie.post("/materiel/TAB-HUB-1/retour", etat="worn", remarques="écran rayé")
            assert "Retour enregistré : TAB-HUB-1." in page and 'data-etat="available"' in page
            contacts = await published(d.booking.js, "hub", "directory.contact_registered")
            jeanne = next(c for c in contacts if c["display_name"] == "Jeanne au téléphone")
            assert jeanne["consents"] == ["sms"] and jeanne["phone"] == "06 12 34 56 78"
            booked = await published(d.booking.js, "hub", "booking.requested")
            assert all("phone" not in str(b) and "Jeanne" not in str(b) for b in booked)
            assert {b["booked_by_staff"] for b in booked} >= {"marie"}
        finally:
            await marie.close()
