"""The ``maillage`` command: run a node or one service, set up streams, publish an event, seed demo data."""

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from maillage import demo, ops, registry
from maillage.node import Node, connect, embedded_config, ensure_topology, node_streams, run_until_stopped
from maillage.status import hub_status, site_status
from services.console import cli as console_cli
from services.inventory import cli as inventory_cli
from services.notifications import cli as notifications_cli
from services.privacy import cli as privacy_cli
from services.reporting import cli as reporting_cli
from shared import topology
from shared.contract.codec import InvalidEvent, validate_request
from shared.contract.envelope import Request
from shared.logs import configure_logging
from shared.requests import OutcomeWaiter, is_request_type, publish_request
from shared.service import service_inputs
from shared.settings import NodeSettings

# Services bring their own sub-commands: each module has register(subparsers) and run(args).
SERVICE_CLIS = (reporting_cli, notifications_cli, inventory_cli, privacy_cli, console_cli, ops)
SERVICE_COMMANDS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {}


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, exit 2: the usage is one `--help` away.
        self.exit(2, f"{self.prog}: erreur : {message}\n")


def build_parser() -> Parser:
    parser = Parser(prog="maillage", description="Maillage — réseau des lieux de médiation numérique")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    up = sub.add_parser("up", help="démarrer un nœud (pôle numérique par défaut)")
    up.add_argument("--demo", action="store_true", help="publier les données d'exemple au démarrage")
    up.add_argument("--site", help="slug du nœud (par défaut MAILLAGE_SITE ou hub)")
    up.add_argument("--hub", help="site : adresse du pôle pour le lien feuille, ex. nats-leaf://pole:7422")

    sub.add_parser("status", help="état des liens entre le pôle et les sites")

    conf = sub.add_parser("nats-config", help="écrire la configuration nats-server de ce nœud (déploiement)")
    conf.add_argument("--out", type=Path, help="fichier à écrire (par défaut : affichage)")

    service = sub.add_parser("service", help="lancer un service, ou quelques-uns dans un même processus (conteneurs)")
    service.add_argument("names", nargs="+", metavar="service", choices=sorted(registry.SERVICES),
                         help=f"parmi : {', '.join(sorted(registry.SERVICES))}")

    streams = sub.add_parser("streams", help="créer ou vérifier les flux JetStream (idempotent)")
    streams.add_argument("--verify", action="store_true", help="vérifier seulement, sans rien modifier")
    streams.add_argument("--per-service", action="store_true",
                         help="un consommateur par service (un processus par service, comme compose.yaml) "
                              "au lieu d'un pour tous (`maillage up`)")

    publish = sub.add_parser("publish", help="valider puis publier un événement, afficher la réponse")
    publish.add_argument("event_type", help="ex. booking.requested")
    publish.add_argument("payload", help="JSON, ou @fichier.json")
    publish.add_argument("--wait", type=positive_float, default=10.0, help="secondes d'attente de la réponse")

    seed = sub.add_parser("demo", help="publier les données d'exemple sur un nœud en marche")
    seed.add_argument("--weeks", type=positive_int, default=4)

    for module in SERVICE_CLIS:
        before = set(sub.choices)
        module.register(sub)
        for name in set(sub.choices) - before:
            SERVICE_COMMANDS[name] = module.run
    return parser


def positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"nombre attendu, pas {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError("doit être positif")
    return number


def positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"entier positif attendu, pas {value!r}")
    return int(value)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "site", None):
        os.environ["MAILLAGE_SITE"] = args.site
    if getattr(args, "hub", None):
        os.environ["MAILLAGE_HUB_URL"] = args.hub
    configure_logging(os.environ.get("MAILLAGE_LOG_LEVEL", "INFO"), os.environ.get("MAILLAGE_LOG_FORMAT", "text"))
    commands: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
        "up": cmd_up, "service": cmd_service, "status": cmd_status, "streams": cmd_streams,
        "publish": cmd_publish, "demo": cmd_demo, "nats-config": cmd_nats_config,
        **SERVICE_COMMANDS,
    }
    try:
        return asyncio.run(commands[args.command](args))
    except ValidationError as exc:
        err = exc.errors()[0]
        print(f"maillage: erreur de configuration : {'.'.join(map(str, err['loc']))}: {err['msg']}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def node_settings() -> NodeSettings:
    return NodeSettings()


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def cmd_up(args: argparse.Namespace) -> int:
    settings = node_settings()
    return await run_node(Node(settings, registry.definitions(list(registry.for_role(settings.role)))), seed=args.demo)


async def cmd_service(args: argparse.Namespace) -> int:
    settings = node_settings()
    if not settings.nats_url:
        print("maillage: erreur : `service` exige MAILLAGE_NATS_URL (le nœud complet : `maillage up`)", file=sys.stderr)
        return 2
    if len(set(args.names)) < len(args.names):
        print("maillage: erreur : un même service est nommé deux fois", file=sys.stderr)
        return 2
    return await run_node(Node(settings, registry.definitions(args.names)), seed=False)


async def run_node(node: Node, seed: bool) -> int:
    stop = stop_on_signals()
    # Modules and schemas live as long as the process: out of the collector's sight, a full collection
    # no longer walks them (measured: 100-160 ms pauses, the whole p99 latency, and a third of the
    # throughput without).
    gc.collect()
    gc.freeze()
    await node.start()
    try:
        print("\n".join(node.describe()), flush=True)
        for line in node.topology_report:
            logging.getLogger("maillage").info(line)
        if seed:
            assert node.js is not None
            count = await seed_demo(node.js, node.settings.site)
            print(f"  Démo       : {count} demandes d'exemple publiées (ateliers, postes, rendez-vous)", flush=True)
        print("Prêt. Ctrl-C pour arrêter proprement.", flush=True)
        await stop.wait()
        print("Arrêt : fin des traitements en cours, envoi des événements validés…", flush=True)
    finally:
        await node.stop()
    print("Arrêté proprement.", flush=True)
    return 0


async def seed_demo(js: Any, origin: str, weeks: int = 4) -> int:
    requests = demo.demo_requests(weeks=weeks)
    for request in requests:
        await publish_request(js, request.model_copy(update={"origin": origin}))
    return len(requests)


def nats_url_of(settings: NodeSettings) -> str:
    if settings.nats_url:
        return settings.nats_url
    written = Path(settings.data_dir) / "nats.url"
    if written.exists():
        return written.read_text().strip()
    raise SystemExit("maillage: erreur : aucun nœud trouvé (lancez `make run`, ou définissez MAILLAGE_NATS_URL)")


async def cmd_nats_config(args: argparse.Namespace) -> int:
    """The same config the embedded server gets, for a nats-server run by systemd or a container."""
    config = embedded_config(node_settings())
    if config.port == 0:
        config.port = 4222
    text = "# Généré par `maillage nats-config` à partir des réglages MAILLAGE_* : ne pas modifier à la main.\n"
    text += config.render()
    if args.out is None:
        print(text, end="")
    else:
        args.out.write_text(text)
    return 0


async def cmd_status(args: argparse.Namespace) -> int:
    settings = node_settings()
    nc, js = await connect(nats_url_of(settings), "maillage-cli")
    try:
        if settings.role == "site":
            links = [await site_status(nc, js, settings)]
        elif settings.sites:
            links = await hub_status(nc, js, settings)
        else:
            print("pôle sans site relié (MAILLAGE_SITES vide)")
            return 0
        print("\n".join(link.line() for link in links))
        return 0 if all(link.up for link in links) else 1
    finally:
        await nc.close()


async def cmd_streams(args: argparse.Namespace) -> int:
    settings = node_settings()
    nc, js = await connect(nats_url_of(settings), "maillage-cli")
    try:
        definitions = [d for _, d in registry.definitions(list(registry.for_role(settings.role)))]
        # The durables depend on which services share a process: all of them (`maillage up`), or each alone.
        processes = [[d] for d in definitions] if args.per_service else [definitions]
        if args.verify:
            consumers = [delivery for group in processes
                         for delivery in topology.deliveries([s for d in group for s in service_inputs(d, settings)])]
            problems = await topology.verify(js, node_streams(settings), consumers)
            print("\n".join(problems) if problems else "topologie conforme")
            return 1 if problems else 0
        report: list[str] = []
        for group in processes:
            report += [line for line in await ensure_topology(js, settings, group) if line not in report]
        print("\n".join(report))
        return 0
    finally:
        await nc.close()


async def cmd_publish(args: argparse.Namespace) -> int:
    settings = node_settings()
    try:
        payload = load_payload(args.payload)
        event = validate_request(args.event_type, {**payload, "origin": settings.site})
    except (InvalidEvent, ValueError) as exc:
        print(f"maillage: événement refusé : {exc}", file=sys.stderr)
        return 2
    nc, js = await connect(nats_url_of(settings), "maillage-cli")
    try:
        if not is_request_type(args.event_type) or not isinstance(event, Request):
            ack = await js.publish(event.subject(), event.model_dump_json().encode(),
                                   headers={"Nats-Msg-Id": event.event_id})
            print(json.dumps({"published": event.event_id, "stream": ack.stream, "seq": ack.seq}))
            return 0
        waiter = OutcomeWaiter(nc)
        await waiter.start()
        waiter.expect(event.request_id)
        ack = await publish_request(js, event)
        answer = await waiter.wait(event.request_id, args.wait)
        if answer is None:
            print(json.dumps({"request_id": event.request_id, "status": "pending", "seq": ack.seq}))
            return 0
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return 0
    finally:
        await nc.close()


def load_payload(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text()
        except OSError as exc:
            raise ValueError(f"fichier illisible : {exc.strerror}") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"JSON invalide : {exc.msg} (ligne {exc.lineno}, colonne {exc.colno})") from None
    if not isinstance(payload, dict):
        raise ValueError("le JSON doit être un objet")
    return payload


async def cmd_demo(args: argparse.Namespace) -> int:
    settings = node_settings()
    nc, js = await connect(nats_url_of(settings), "maillage-cli")
    try:
        print(f"{await seed_demo(js, settings.site, args.weeks)} demandes d'exemple publiées")
        return 0
    finally:
        await nc.close()


__all__ = ["main", "run_until_stopped"]
