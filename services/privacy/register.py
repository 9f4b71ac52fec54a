"""The processing register entry (« registre des traitements », RGPD art. 30), generated from the
code and the settings so it cannot drift: the data come from the event contract, the retention
periods from the settings, the purposes from the notification kinds."""

from dataclasses import dataclass

from services.notifications.model import Kind
from services.notifications.purposes import PURPOSE_OF_KIND
from services.notifications.settings import NotificationSettings
from services.privacy.settings import PrivacySettings
from shared.contract.citizen import CitizenRef
from shared.contract.directory import ContactRegistered
from shared.contract.privacy import PURPOSES
from shared.topology import DAY, dead_letter_stream

PURPOSE_TEXT = {
    "booking_messages": "messages liés à une réservation ou un prêt (confirmation, liste d'attente, annulation, "
                        "changement d'horaire, retard de retour)",
    "reminders": "rappels avant un atelier ou l'échéance d'un prêt",
    "newsletters": "nouvelles du lieu (uniquement avec un accord explicite)",
}
FIELD_TEXT = {
    "citizen_id": "identifiant pseudonyme",
    "age_bracket": "tranche d'âge",
    "commune_insee": "commune de résidence (code INSEE)",
    "status": "situation (emploi, études, retraite…)",
    "gender": "genre (facultatif)",
    "display_name": "nom d'usage",
    "email": "adresse électronique",
    "phone": "numéro de téléphone",
    "preferred_channel": "canal préféré",
    "language": "langue",
    "consents": "consentements par canal",
    "call_if_unreachable": "appel par l'équipe si injoignable",
    "staff_id": "membre de l'équipe ayant recueilli les données",
}
DIRECTORY_FIELDS = [f for f in ContactRegistered.model_fields if f in FIELD_TEXT and f != "citizen_id"]


@dataclass(frozen=True)
class Facts:
    privacy: PrivacySettings
    notifications: NotificationSettings

    @classmethod
    def defaults(cls) -> "Facts":
        """The shipped defaults, whatever the environment says (the committed document)."""
        return cls(PrivacySettings.model_construct(), NotificationSettings.model_construct())


def _kinds(purpose: str) -> str:
    return ", ".join(f"`{k}`" for k in Kind if PURPOSE_OF_KIND.get(k) == purpose) or "aucun envoi automatique"


def render(facts: Facts) -> str:
    parts = [_header(facts.privacy), _purposes(), _data(), _retention(facts), RIGHTS_AND_SECURITY]
    return "\n".join(line for part in parts for line in part)


def _header(p: PrivacySettings) -> list[str]:
    return [
        "# Registre des traitements — Maillage",
        "",
        "<!-- Généré par `maillage privacy register` à partir du code et des réglages : ne pas modifier à la main. -->",
        "",
        "## Traitement : accueil, ateliers, prêts de matériel et messages aux personnes",
        "",
        f"- **Responsable du traitement** : {p.privacy_controller}",
        f"- **Contact pour exercer ses droits** : {p.privacy_contact}",
        "- **Base légale** : mission d'intérêt public (inclusion numérique) ; consentement pour les messages.",
        "",
    ]


def _purposes() -> list[str]:
    return [
        "### Finalités",
        "",
        "1. Réserver une place à un atelier ou un rendez-vous, et enregistrer les présences.",
        "2. Prêter du matériel (ordinateurs, tablettes…) et suivre son retour.",
        "3. Prévenir les personnes, selon leur consentement par finalité et par canal :",
        *[f"   - `{purpose}` : {PURPOSE_TEXT[purpose]} ({_kinds(purpose)})" for purpose in PURPOSES],
        "4. Produire les bilans d'activité et les comptes rendus nationaux, sous forme de comptes anonymes.",
        "",
    ]


def _data() -> list[str]:
    return [
        "### Données",
        "",
        "- **Dans tous les événements et tous les services** (pseudonymes) : "
        + ", ".join(FIELD_TEXT[f] for f in CitizenRef.model_fields) + ".",
        "- **Dans l'annuaire du lieu seulement** (service notifications) : "
        + ", ".join(FIELD_TEXT[f] for f in DIRECTORY_FIELDS) + ".",
        "- **Consentements** : par finalité et par canal, avec la date et le membre de l'équipe qui l'a recueilli.",
        "- **Journal des accès** : qui a consulté, exporté ou effacé des données personnelles, et quand.",
        "",
    ]


def _retention(facts: Facts) -> list[str]:
    p, n = facts.privacy, facts.notifications
    dlq_days = int((dead_letter_stream().max_age or 0) / DAY)
    return [
        "### Durées de conservation",
        "",
        f"- Annuaire (nom, coordonnées, consentements) : **{p.privacy_inactivity_months} mois après la dernière "
        "activité**, puis effacement automatique (`maillage privacy`, tâche de conservation du pôle).",
        f"- Flux d'événements JetStream (cartes de contact comprises) : **{p.stream_max_age_days} jours** au plus, "
        "jamais plus que la conservation de l'annuaire (réglage refusé sinon).",
        f"- Messages envoyés et leur journal : **{n.retention_days} jours**.",
        f"- Lettres mortes (événements illisibles) : **{dlq_days} jours**.",
        f"- Journal des accès : **{p.privacy_access_log_months} mois**.",
        "- Journal des effacements : l'identifiant pseudonyme et la date seulement, sans limite "
        "(il empêche qu'un profil effacé soit recréé).",
        "- Réservations, présences, prêts : conservés sous l'identifiant pseudonyme, que plus rien ne relie "
        "à une personne après effacement ; ils restent comptés dans les bilans.",
        "",
    ]


RIGHTS_AND_SECURITY = [
    "### Destinataires",
    "",
    "- L'équipe du lieu qui a enregistré la personne, et celle du pôle numérique (qui envoie les messages).",
    "- Les prestataires d'envoi (SMS, courrier électronique), pour le seul message à transmettre.",
    "- Les financeurs et l'État : uniquement des comptes anonymes (effectifs inférieurs au seuil masqués).",
    "",
    "### Droits des personnes",
    "",
    "- Accès et portabilité : `maillage privacy export <identifiant> --staff <agent> --out <dossier>` "
    "(JSON et page HTML lisible).",
    "- Effacement : `maillage privacy erase <identifiant> --staff <agent>` au pôle ; appliqué sur chaque "
    "lieu, y compris un lieu hors ligne à sa reconnexion ; plus aucun message n'est envoyé.",
    "- Retrait du consentement : `maillage privacy consent <identifiant> --purpose <finalité> --withdraw`, "
    "effectif immédiatement.",
    "",
    "### Sécurité",
    "",
    "- Identifiants pseudonymes partout ; noms et coordonnées dans l'annuaire du lieu seulement.",
    "- Effacement sécurisé : SQLite `secure_delete` et journal WAL vidé ; suppression sécurisée JetStream "
    "(données écrasées) des copies dans les flux.",
    "- Liens entre lieux chiffrés (TLS) ; chaque lieu ne peut publier que ses propres événements.",
    "- Journal des accès aux données personnelles.",
    "",
]
