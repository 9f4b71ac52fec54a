"""French wording for people: numbers, percentages, dates and the labels of national values."""

from datetime import date

from services.reporting.model import Period

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
NNBSP = "\u202f"  # French thousands separator and space before % (narrow no-break space)

AGE = {
    "moins_de_douze": "Moins de 12 ans", "douze_dix_huit": "12-18 ans", "dix_huit_vingt_quatre": "18-24 ans",
    "vingt_cinq_trente_neuf": "25-39 ans", "quarante_cinquante_neuf": "40-59 ans",
    "soixante_soixante_neuf": "60-69 ans", "soixante_dix_plus": "70 ans et plus", "non_communique": "Non communiqué",
}
AREA = {"urbain": "Communes urbaines", "rural": "Communes rurales", "hors_territoire": "Hors territoire",
        "non_communique": "Commune non communiquée"}
THEME = {
    "diagnostic_numerique": "Diagnostic numérique", "prendre_en_main_du_materiel": "Prendre en main du matériel",
    "maintenance_de_materiel": "Maintenance de matériel", "gere_ses_contenus_numeriques": "Gérer ses contenus",
    "navigation_sur_internet": "Navigation sur internet", "email": "E-mail", "bureautique": "Bureautique",
    "reseaux_sociaux": "Réseaux sociaux", "sante": "Santé", "banque_et_achats_en_ligne": "Banque et achats en ligne",
    "entrepreneuriat": "Entrepreneuriat", "insertion_professionnelle": "Insertion professionnelle",
    "securite_numerique": "Sécurité numérique", "parentalite": "Parentalité",
    "scolarite_et_numerique": "Scolarité et numérique", "creer_avec_le_numerique": "Créer avec le numérique",
    "culture_numerique": "Culture numérique", "intelligence_artificielle": "Intelligence artificielle",
    "aide_aux_demarches_administratives": "Démarches administratives",
}


def number(value: float | int, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}".replace(",", NNBSP).replace(".", ",")
    return text


def percent(value: float | None) -> str:
    return "—" if value is None else f"{number(100 * value, 1)}{NNBSP}%"


def hours(minutes: int) -> str:
    return f"{number(minutes / 60, 1)}{NNBSP}h"


def day(value: date) -> str:
    first = "1er" if value.day == 1 else str(value.day)
    return f"{first} {MONTHS[value.month - 1]} {value.year}"


def month(period: Period) -> str:
    return f"{MONTHS[period.start.month - 1]} {period.start.year}"


def period(p: Period) -> str:
    whole_month = Period.month(p.start.year, p.start.month)
    if p == whole_month:
        return month(p)
    if p == Period.year(p.start.year):
        return f"année {p.start.year}"
    return f"du {day(p.start)} au {day(p.end)}"
