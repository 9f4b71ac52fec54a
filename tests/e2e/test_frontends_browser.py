"""The console and the public page in a real headless Chromium (Debian's, driven by Playwright), with
booking and inventory deciding: a staff member checks in a booked person and a walk-in, lends and takes back
a tablet by its tag; a citizen books the last seat and a second one is waitlisted. axe-core runs on every
screen; screenshots go to test-artifacts/."""

from datetime import timedelta
from typing import Any

from shared.contract import booking as bk
from shared.contract import directory as dr
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import citizen
from tests.support.frontends import (
    PASSWORD,
    Desk,
    add_staff,
    chromium,
    desk,
    published,
    screenshot,
    serious_accessibility_issues,
)
from tests.support.inventory import register


async def accessible(page: Any, checked: list[str]) -> None:
    issues = await serious_accessibility_issues(page)
    assert issues == [], f"{page.url}: {issues}"
    checked.append(page.url)


async def morning_session(d: Desk) -> None:
    """This morning at the hub: a three-seat workshop where Jeanne Martin is booked; a tablet on the shelf."""
    await d.booking.send(d.booking.workshop("atelier-matin", capacity=3, starts_in=timedelta(hours=1)))
    await d.booking.wait_for("booking.workshop_scheduled", count=1)
    jeanne = dr.ContactRegistered(citizen_id="cit-000001", site="hub", display_name="Jeanne Martin",
                                  origin="hub")
    await d.booking.js.publish(jeanne.subject(), jeanne.model_dump_json().encode(),
                               headers={"Nats-Msg-Id": jeanne.event_id})
    await d.booking.send(bk.BookingRequested(request_id="r-jeanne", workshop_id="atelier-matin", citizen=citizen(1)))
    await d.booking.wait_for("booking.confirmed", count=1)
    await d.inventory.send(register("TAB-0042", kind="tablet", site="hub"))
    await d.inventory.wait_for("inventory.asset_registered", count=1)
    await d.console.settled()
    await add_staff(d.console, "marie", "hub", "Marie Dupont")


async def test_staff_check_in_walk_in_and_a_tablet_loan(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    checked: list[str] = []
    async with desk(nats_server.url, database_url) as d, chromium() as browser:
        await morning_session(d)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        await page.goto(d.console.url + "/")
        await accessible(page, checked)
        await page.get_by_label("Identifiant").fill("marie")
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_label("Mot de passe").press("Enter")
        await page.wait_for_url("**/jour")
        assert "Premiers pas sur Internet" in await page.inner_text("main")
        await accessible(page, checked)
        await page.get_by_role("link", name="Ouvrir la liste d'appel : Premiers pas sur Internet").click()

        await page.get_by_role("button", name="Pointer présent·e : Jeanne Martin").click()
        await page.locator("#message", has_text="Présence enregistrée.").wait_for()
        assert await page.locator("tr", has_text="Jeanne Martin").get_attribute("data-statut") == "attended"

        walk_in = page.locator("form[action$='/sans-reservation']")
        await walk_in.get_by_label("Nom de la personne").fill("Ali Ben Salah")
        await walk_in.get_by_label("Tranche d'âge").select_option("quarante_cinquante_neuf")
        await walk_in.get_by_label("Commune").select_option("11069")
        await walk_in.get_by_role("button", name="Enregistrer la présence").click()
        await page.locator("#message", has_text="venue sans réservation").wait_for()
        row = page.locator("tr", has_text="Ali Ben Salah")
        assert await row.get_attribute("data-statut") == "attended"
        await accessible(page, checked)
        await screenshot(page, "console-seance")

        await page.get_by_role("link", name="Prêts de matériel").click()
        await page.get_by_label("Étiquette du matériel").type("TAB-0042\n")  # a USB scanner types the tag + Enter
        await page.wait_for_url("**/materiel/TAB-0042")
        await accessible(page, checked)
        lend = page.locator("form[action$='/preter']")
        await lend.get_by_label("Nom de la personne").fill("Odette Roux")
        await lend.get_by_label("Tranche d'âge").select_option("soixante_dix_plus")
        await lend.get_by_label("La convention de prêt est signée").check()
        await lend.get_by_role("button", name="Enregistrer le prêt").click()
        await page.locator("#message", has_text="Prêt enregistré : TAB-0042").wait_for()
        assert await page.locator("[data-etat]").get_attribute("data-etat") == "on_loan"
        await screenshot(page, "console-pret")
        await page.get_by_label("État au retour").select_option("worn")
        await page.get_by_role("button", name="Enregistrer le retour").click()
        await page.locator("#message", has_text="Retour enregistré : TAB-0042").wait_for()
        assert await page.locator("[data-etat]").get_attribute("data-etat") == "available"
        await accessible(page, checked)
        for screen in ("/semaine", "/materiel", "/transferts", "/conflits", "/synchro"):
            await page.goto(d.console.url + screen)
            await accessible(page, checked)

        checked_in = await published(d.booking.js, "hub", "attendance.checked_in")
        assert sorted(e["walk_in"] for e in checked_in) == [False, True]
        assert [e["type"] for e in await published(d.booking.js, "hub", "inventory.loan_returned")] == \
            ["inventory.loan_returned"]
    assert len(checked) == 10


async def book(browser: Any, url: str, name: str, email: str) -> Any:
    context = await browser.new_context(viewport={"width": 412, "height": 900})  # a phone
    page = await context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(url + "/")
    await page.get_by_role("link", name="Réserver : Ma boîte e-mail").click()
    await page.get_by_label("Votre nom ou prénom").fill(name)
    await page.get_by_label("E-mail", exact=True).check()
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("J'accepte d'être prévenu·e").check()
    await page.get_by_label("Votre tranche d'âge").select_option("soixante_soixante_neuf")
    await page.get_by_label("Votre commune").select_option("11397")
    await page.get_by_role("button", name="Réserver ma place").click()
    await page.locator("[data-resultat]").wait_for()
    return page


async def test_citizens_book_the_last_seat_and_the_waitlist(nats_server: EmbeddedNatsServer,
                                                            database_url: str) -> None:
    checked: list[str] = []
    async with desk(nats_server.url, database_url) as d, chromium() as browser:
        one_seat = d.booking.workshop("atelier-email", capacity=1, starts_in=timedelta(days=2))
        await d.booking.send(one_seat.model_copy(update={"title": "Ma boîte e-mail", "themes": ["email"]}))
        await d.booking.wait_for("booking.workshop_scheduled", count=1)
        await d.public.settled()

        first = await book(browser, d.public.url, "Suzanne", "suzanne@exemple.fr")
        assert await first.locator("[data-resultat]").get_attribute("data-resultat") == "booking.confirmed"
        await accessible(first, checked)
        await screenshot(first, "public-reserve")
        second = await book(browser, d.public.url, "Marcel", "marcel@exemple.fr")
        assert await second.locator("[data-resultat]").get_attribute("data-resultat") == "booking.waitlisted"
        assert "position 1" in await second.inner_text("[data-resultat]")
        await screenshot(second, "public-liste-attente")

        await second.get_by_role("link", name="← Voir les autres ateliers").click()
        assert "Complet" in await second.inner_text("main")
        await accessible(second, checked)
        await screenshot(second, "public-ateliers")
        await first.goto(await first.get_attribute("#mon-lien", "href"))
        await accessible(first, checked)
        await first.get_by_role("button", name="Annuler : Ma boîte e-mail").click()
        await first.locator(".bandeau.ok").wait_for()
        await second.get_by_role("link", name="Voir mes réservations").click()
        assert "Place réservée" in await second.inner_text("main")  # promoted from the waitlist

        contacts = await published(d.booking.js, "hub", "directory.contact_registered")
        assert {(c["display_name"], c["email"], tuple(c["consents"])) for c in contacts} == {
            ("Suzanne", "suzanne@exemple.fr", ("email",)), ("Marcel", "marcel@exemple.fr", ("email",))}
        requested = await published(d.booking.js, "hub", "booking.requested")
        assert all("exemple.fr" not in str(r) and "Suzanne" not in str(r) for r in requested)
        assert {r["citizen"]["commune_insee"] for r in requested} == {"11397"}
    assert len(checked) == 3
