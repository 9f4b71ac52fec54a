"""``maillage migrate``, ``maillage backup --out DIR`` and ``maillage restore DIR``.

``register(subparsers)`` adds the commands to the ``maillage`` parser; ``run(args)`` runs the one
chosen and returns the exit code (0 done, 1 failed or not at head, 2 bad input).
"""

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
import nats.errors
from nats.aio.client import Client as NATS

from maillage import backup as backups
from maillage import registry
from shared import migrations
from shared.db import make_engine
from shared.natsserver import EmbeddedNatsServer
from shared.settings import NodeSettings

Command = Callable[[argparse.Namespace], Awaitable[int]]


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser("migrate", help="appliquer les migrations de schéma des services (idempotent)")
    migrate.add_argument("--service", action="append", choices=sorted(registry.SERVICES),
                         help="un service (répétable) ; par défaut ceux du rôle du nœud")
    migrate.add_argument("--check", action="store_true", help="vérifier seulement : code 1 si une base est en retard")
    migrate.add_argument("--new", metavar="MESSAGE",
                         help="(développement) écrire la révision suivante d'après les tables du code")
    migrate.set_defaults(run=cmd_migrate)

    save = subparsers.add_parser("backup", help="sauvegarder les bases et les flux JetStream du nœud (à chaud)")
    save.add_argument("--out", required=True, help="dossier de sortie (vide ou absent)")
    save.set_defaults(run=cmd_backup)

    load = subparsers.add_parser("restore", help="restaurer une sauvegarde (services arrêtés)")
    load.add_argument("source", help="dossier produit par `maillage backup`")
    load.add_argument("--force", action="store_true", help="remplacer les bases et flux existants")
    load.set_defaults(run=cmd_restore)


async def run(args: argparse.Namespace) -> int:
    command: Command = args.run
    try:
        return await command(args)
    except (backups.BackupError, migrations.MigrationError) as exc:
        print(f"maillage: erreur : {exc}", file=sys.stderr)
        return 1


def services_of(settings: NodeSettings, chosen: list[str] | None) -> list[str]:
    if chosen:
        return list(dict.fromkeys(chosen))
    return list(registry.HUB_SERVICES if settings.role == "hub" else registry.SITE_SERVICES)


async def cmd_migrate(args: argparse.Namespace) -> int:
    late = 0
    for settings, definition in registry.definitions(services_of(NodeSettings(), args.service)):
        name = definition.name
        engine = make_engine(settings.database_url_for(name))
        try:
            if args.new:
                written = migrations.write_revision(name, definition.metadata, args.new)
                print(f"{name}: {written or 'aucune différence, pas de révision'}")
            elif migrations.migrations_dir(name) is None:
                print(f"{name}: pas encore de migrations versionnées (tables créées au démarrage)")
            elif args.check:
                found, wanted = await migrations.current(engine, name), migrations.head(name)
                late += found != wanted
                print(f"{name}: {found or 'vide'}" + ("" if found == wanted else f" (le code attend {wanted})"))
            else:
                print((await migrations.migrate(engine, name, definition.metadata)).line())
        finally:
            await engine.dispose()
    return 1 if late else 0


@contextlib.asynccontextmanager
async def node_nats(settings: NodeSettings) -> AsyncIterator[NATS]:
    """The node's nats-server: the configured one, the running embedded one, or (node stopped)
    the embedded one started just for this command on the node's own store."""
    urls = [settings.nats_url] if settings.nats_url else []
    written = Path(settings.data_dir) / "nats.url"
    if not urls and written.exists():
        urls.append(written.read_text().strip())
    for url in urls:
        try:
            nc = await _connect_once(url)
        except (OSError, nats.errors.Error):
            if settings.nats_url:
                raise backups.BackupError(f"NATS injoignable : {url}") from None
            continue  # nats.url left by a node that is stopped now
        try:
            yield nc
        finally:
            await nc.close()
        return
    from maillage.node import embedded_config

    server = EmbeddedNatsServer(embedded_config(settings))
    await server.start()
    try:
        nc = await nats.connect(server.url, name="maillage-ops")
        try:
            yield nc
        finally:
            await nc.close()
    finally:
        await server.stop()


async def _connect_once(url: str) -> NATS:
    async def quiet(_error: Exception) -> None:
        pass

    # nats-py retries the first connection until max_reconnect_attempts (0 would mean forever).
    return await nats.connect(url, name="maillage-ops", connect_timeout=3, allow_reconnect=False,
                              max_reconnect_attempts=1, reconnect_time_wait=0.5, error_cb=quiet)


async def cmd_backup(args: argparse.Namespace) -> int:
    settings = NodeSettings()
    out = Path(args.out)
    async with node_nats(settings) as nc:
        summary = await backups.backup(settings, nc, out)
    print(f"Sauvegarde du nœud « {settings.site} » écrite dans {out} :")
    print("\n".join(summary.lines()))
    return 0


async def cmd_restore(args: argparse.Namespace) -> int:
    settings = NodeSettings()
    if await _node_answers(settings):
        print(f"maillage: erreur : le nœud tourne encore (http://{settings.metrics_host}:{settings.metrics_port}) : "
              "arrêtez les services avant de restaurer", file=sys.stderr)
        return 1
    async with node_nats(settings) as nc:
        summary = await backups.restore(settings, nc, Path(args.source), force=args.force)
    print(f"Sauvegarde {args.source} restaurée sur le nœud « {settings.site} » :")
    print("\n".join(summary.lines()))
    print("Démarrez le nœud : les services reprennent là où la sauvegarde les avait laissés.")
    return 0


async def _node_answers(settings: NodeSettings) -> bool:
    if settings.metrics_port == 0:
        return False
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(settings.metrics_host, settings.metrics_port), timeout=1
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
