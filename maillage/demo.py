"""Demo data — CLEARLY EXAMPLE DATA: the pôle numérique and five tiers-lieux, rooms, workstations and a
month of workshops on the national themes. Published as requests through the bus like any front-end,
with fixed request ids, so seeding twice changes nothing (the second time is answered "duplicate")."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.contract import booking as bk
from shared.contract.envelope import Request

PARIS = ZoneInfo("Europe/Paris")

# (slug, name, commune INSEE) — example places, not the Agglo's real addresses.
SITES = [
    ("hub", "Pôle numérique de Carcassonne (exemple)", "11069"),
    ("trebes", "Tiers-lieu de Trèbes (exemple)", "11397"),
    ("conques", "Tiers-lieu de Conques-sur-Orbiel (exemple)", "11099"),
    ("alzonne", "Tiers-lieu d'Alzonne (exemple)", "11009"),
    ("capendu", "Tiers-lieu de Capendu (exemple)", "11068"),
    ("montolieu", "Tiers-lieu de Montolieu (exemple)", "11253"),
]

# (title, themes, level, weekday, hour, capacity)
PROGRAMME = [
    ("Premiers pas sur Internet", ["navigation_sur_internet"], "debutant", 1, 10, 8),
    ("Ma boîte e-mail", ["email"], "debutant", 2, 14, 8),
    ("Mes démarches en ligne (impôts, CAF, ANTS)", ["aide_aux_demarches_administratives"], "intermediaire", 3, 10, 6),
    ("Prendre en main sa tablette", ["prendre_en_main_du_materiel"], "debutant", 4, 14, 6),
    ("Se protéger des arnaques en ligne", ["securite_numerique"], "intermediaire", 5, 10, 10),
]


def demo_requests(today: datetime | None = None, weeks: int = 4) -> list[Request]:
    today = (today or datetime.now(UTC)).astimezone(PARIS)
    monday = (today - timedelta(days=today.weekday())).date() + timedelta(weeks=1)
    requests: list[Request] = []
    for slug, _name, _insee in SITES:
        requests.append(bk.ResourceAddRequested(
            request_id=f"demo-res-{slug}-poste1", resource_id=f"{slug}-poste-1", site=slug, kind="workstation",
            name="Poste en libre accès n°1",
        ))
        requests.append(bk.ResourceAddRequested(
            request_id=f"demo-res-{slug}-mediateur", resource_id=f"{slug}-mediateur", site=slug, kind="mediator",
            name="Rendez-vous avec un médiateur numérique",
        ))
        for index, (title, themes, level, weekday, hour, capacity) in enumerate(PROGRAMME):
            starts = datetime.combine(monday + timedelta(days=weekday - 1), time(hour), PARIS).astimezone(UTC)
            requests.append(bk.WorkshopScheduleRequested(
                request_id=f"demo-ws-{slug}-{index}", workshop_id=f"demo-{slug}-{index}", site=slug,
                room="Salle principale", title=title, themes=themes, level=level, starts_at=starts,
                ends_at=starts + timedelta(hours=2), capacity=capacity, weekly_occurrences=weeks,
            ))
    return requests
