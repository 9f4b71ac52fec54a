"""An asset's history in French, one line per recorded fact (for ``maillage inventory where``)."""

from collections.abc import Callable
from datetime import date
from typing import Any

Facts = dict[str, Any]


def _day(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%d/%m/%Y") if value else "?"


def _euros(value: object) -> str:
    return f"{value} €".replace(".", ",")


ACTIONS = {
    "inventory.loan_checkout_requested": "un prêt", "inventory.loan_renew_requested": "une prolongation",
    "inventory.loan_return_requested": "un retour", "inventory.transfer_dispatch_requested": "un envoi",
    "inventory.transfer_receive_requested": "une réception",
    "inventory.repair_send_requested": "un départ en réparation",
    "inventory.repair_return_requested": "un retour de réparation",
}


def _conflict(f: Facts) -> str:
    action = f.get("action", "")
    if action in ACTIONS or action.endswith("_requested"):
        what = ACTIONS.get(action, action)
        return f"CONFLIT {f.get('conflict_id')} : {what} non appliqué, matériel détenu par {f.get('holding_site')}"
    sides = f.get("facts") or [{}]
    return (f"CONFLIT {f.get('conflict_id')} : {action} du nœud {sides[-1].get('origin', '?')} contredit "
            f"l'inventaire ({f.get('holding_site')}, {f.get('recorded_status')})")


def _loan(f: Facts) -> str:
    who = (f.get("citizen") or {}).get("citizen_id") or "un atelier"
    if f.get("mode") == "on_site":
        return f"utilisé sur place par {who}"
    return f"prêté à {who} jusqu'au {_day(f.get('due_date'))}"


def _returned(f: Facts) -> str:
    late = f" avec {f['days_late']} j de retard" if f.get("days_late") else ""
    return f"rendu (état : {f.get('condition')}){late}"


LINES: dict[str, Callable[[Facts], str]] = {
    "inventory.asset_registered": lambda f: f"enregistré ({f.get('funding_source')}, "
    f"{_euros(f.get('purchase_price'))})",
    "inventory.asset_edited": lambda f: f"fiche modifiée ({', '.join(f.get('changed', []))})",
    "inventory.asset_retired": lambda f: ("déclaré perdu" if f.get("status") == "lost" else "réformé")
    + (f" : {f['reason']}" if f.get("reason") else ""),
    "inventory.transfer_dispatched": lambda f: f"expédié de {f.get('from_site')} vers {f.get('to_site')} "
    f"(transfert {f.get('transfer_id')})",
    "inventory.transfer_received": lambda f: f"reçu à {f.get('to_site')} (transfert {f.get('transfer_id')})",
    "inventory.transfer_not_received": lambda f: f"ALERTE : toujours pas reçu à {f.get('to_site')} "
    f"après {f.get('days_in_transit')} j",
    "inventory.loan_checked_out": _loan,
    "inventory.loan_renewed": lambda f: f"prêt prolongé jusqu'au {_day(f.get('due_date'))}",
    "inventory.loan_returned": _returned,
    "inventory.loan_due_soon": lambda f: f"rappel : retour attendu le {_day(f.get('due_date'))}",
    "inventory.loan_overdue": lambda f: f"prêt en retard (retour attendu le {_day(f.get('due_date'))})",
    "inventory.loan_long_overdue": lambda f: f"prêt en retard depuis {f.get('days_overdue')} j",
    "inventory.reservation_confirmed": lambda f: f"réservé (réservation {f.get('reservation_id')})",
    "inventory.reservation_cancelled": lambda f: f"réservation {f.get('reservation_id')} annulée",
    "inventory.reservation_moved": lambda f: f"réservation {f.get('reservation_id')} déplacée avec l'atelier",
    "inventory.reservation_held": lambda f: f"mis de côté pour la réservation {f.get('reservation_id')}",
    "inventory.reservation_ended": lambda f: f"fin de la réservation {f.get('reservation_id')}",
    "inventory.sent_to_repair": lambda f: "parti en réparation"
    + (f" chez {f['repairer']}" if f.get("repairer") else ""),
    "inventory.back_from_repair": lambda f: f"revenu de réparation (coût {_euros(f.get('cost'))})",
    "inventory.conflict_detected": _conflict,
    "inventory.conflict_resolved": lambda f: f"conflit résolu : {f.get('resolution')}",
}


def describe(event_type: str, facts: Facts) -> str:
    line = LINES.get(event_type)
    return line(facts) if line else event_type
