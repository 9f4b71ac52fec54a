"""``maillage privacy show|export|erase|erasures|consent|access-log|register``.

``register(subparsers)`` adds the commands to the ``maillage`` parser; ``run(args)`` runs the one
chosen and returns the exit code (0 done, 1 failed or differs, 2 bad input, one-line French error).
"""

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from services.notifications.settings import NotificationSettings
from services.privacy import commands
from services.privacy import register as processing_register
from services.privacy.export_queries import LABELS
from services.privacy.settings import PrivacySettings
from shared.contract.directory import CITIZEN_ID
from shared.contract.privacy import PURPOSES

Command = Callable[[argparse.Namespace], Awaitable[int]]
CHANNELS = ("email", "sms", "bot", "phone_call")
REGISTER_FILE = Path("docs/REGISTRE-DES-TRAITEMENTS.md")


def citizen(value: str) -> str:
    import re

    if not 6 <= len(value) <= 64 or not re.match(CITIZEN_ID, value):
        raise argparse.ArgumentTypeError(f"identifiant pseudonyme attendu, pas {value!r}")
    return value


def register(subparsers: Any) -> None:
    privacy = subparsers.add_parser("privacy", help="données personnelles : accès, effacement, consentements")
    sub = privacy.add_subparsers(dest="privacy_command", required=True)
    out = sub.add_parser("export", help="tout ce que ce nœud détient sur une personne (JSON + HTML)")
    out.add_argument("citizen", type=citizen)
    out.add_argument("--staff", required=True, help="qui fait l'export (journal des accès)")
    out.add_argument("--out", required=True, type=Path, help="dossier de sortie")
    out.set_defaults(run=cmd_export)
    show = sub.add_parser("show", help="ce que ce nœud détient sur une personne, en résumé (journalisé)")
    show.add_argument("citizen", type=citizen)
    show.add_argument("--staff", required=True, help="qui consulte (journal des accès)")
    show.set_defaults(run=cmd_show)
    erase = sub.add_parser("erase", help="effacer une personne partout (pôle seulement)")
    erase.add_argument("citizen", type=citizen)
    erase.add_argument("--staff", required=True, help="qui décide l'effacement (journal des accès)")
    erase.set_defaults(run=cmd_erase)
    status = sub.add_parser("erasures", help="où un effacement est appliqué")
    status.add_argument("citizen", type=citizen)
    status.set_defaults(run=cmd_status)
    consent = sub.add_parser("consent", help="donner ou retirer un consentement (finalité, canal)")
    consent.add_argument("citizen", type=citizen)
    consent.add_argument("--purpose", required=True, choices=PURPOSES)
    consent.add_argument("--channel", choices=CHANNELS, help="un seul canal ; par défaut tous")
    choice = consent.add_mutually_exclusive_group(required=True)
    choice.add_argument("--grant", action="store_true")
    choice.add_argument("--withdraw", action="store_true")
    consent.add_argument("--staff", required=True, help="qui recueille le choix de la personne")
    consent.set_defaults(run=cmd_consent)
    log = sub.add_parser("access-log", help="qui a consulté, exporté ou effacé des données personnelles")
    log.add_argument("--citizen", type=citizen)
    log.add_argument("--limit", type=int, default=100)
    log.set_defaults(run=cmd_access_log)
    reg = sub.add_parser("register", help="écrire l'entrée du registre des traitements (Markdown)")
    reg.add_argument("--out", type=Path, help=f"fichier (par défaut : affichage) ; ex. {REGISTER_FILE}")
    reg.add_argument("--check", action="store_true", help="vérifier que --out est à jour, sans l'écrire")
    reg.set_defaults(run=cmd_register)


async def run(args: argparse.Namespace) -> int:
    command: Command = args.run
    try:
        return await command(args)
    except commands.NotAllowedHere as exc:
        print(f"maillage: erreur : {exc}", file=sys.stderr)
        return 2


async def cmd_export(args: argparse.Namespace) -> int:
    bundle, json_path, html_path = await commands.export_person(PrivacySettings(), args.citizen, args.staff, args.out)
    print(f"{bundle.count} élément(s) sur {args.citizen} : {json_path} et {html_path}")
    return 0


async def cmd_show(args: argparse.Namespace) -> int:
    bundle = await commands.view_person(PrivacySettings(), args.citizen, args.staff)
    print(f"{args.citizen} sur le nœud {bundle.node} : {bundle.count} élément(s)")
    for service, held in bundle.services.items():
        for table, rows in held.items():
            if rows:
                print(f"  {service:<14} {LABELS.get(table, table)} : {len(rows)}")
    for row in bundle.services.get("notifications", {}).get("notifications_contacts", []):
        print(f"  annuaire : {row['display_name'] or '-'}, {row['email'] or '-'}, {row['phone'] or '-'}")
    return 0


async def cmd_erase(args: argparse.Namespace) -> int:
    erasure_id = await commands.erase(PrivacySettings(), args.citizen, args.staff)
    print(f"effacement de {args.citizen} décidé ({erasure_id}) : appliqué par chaque nœud, "
          f"y compris à la reconnexion d'un site hors ligne — suivi : maillage privacy erasures {args.citizen}")
    return 0


async def cmd_status(args: argparse.Namespace) -> int:
    status = await commands.erasure_status(PrivacySettings(), args.citizen)
    if status.erased_at is None:
        print(f"{args.citizen} : aucun effacement enregistré sur ce nœud")
        return 1
    print(f"{args.citizen} : effacé le {status.erased_at:%Y-%m-%d}")
    for node, at in sorted(status.applied.items()):
        print(f"  {node:<12} appliqué le {at:%Y-%m-%d %H:%M:%S} UTC")
    for node in status.waiting:
        print(f"  {node:<12} en attente (nœud hors ligne ?)")
    return 0 if not status.waiting else 1


async def cmd_consent(args: argparse.Namespace) -> int:
    await commands.change_consent(PrivacySettings(), args.citizen, args.purpose, args.channel, args.grant, args.staff)
    what = "accordé" if args.grant else "retiré"
    print(f"consentement {what} : {args.citizen}, {args.purpose}, {args.channel or 'tous les canaux'}")
    return 0


async def cmd_access_log(args: argparse.Namespace) -> int:
    lines = await commands.access_log(PrivacySettings(), args.citizen, args.limit)
    print("\n".join(lines) if lines else "journal des accès vide")
    return 0


async def cmd_register(args: argparse.Namespace) -> int:
    text = processing_register.render(processing_register.Facts(PrivacySettings(), NotificationSettings()))
    if args.out is None:
        print(text, end="")
        return 0
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"maillage: {args.out} n'est plus à jour : relancez `maillage privacy register --out {args.out}`",
                  file=sys.stderr)
            return 1
        print(f"{args.out} à jour")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"écrit : {args.out}")
    return 0
