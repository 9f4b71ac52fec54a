"""Issue 8: a whole site node (nats-server + its services, one process) idle and under load, in RSS."""

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats

from shared.contract import booking as bk


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def node_rss(pid: int) -> float:
    return rss_mb(pid) + sum(rss_mb(child) for child in children(pid))


async def main(requests: int = 5000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
        env |= {"MAILLAGE_SITE": "trebes", "MAILLAGE_METRICS_PORT": "0", "MAILLAGE_DASHBOARD_PORT": "0",
                "MAILLAGE_CONSOLE_PORT": "0", "MAILLAGE_LOG_LEVEL": "WARNING"}
        log = (root / "node.log").open("wb")
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "maillage", "up", cwd=root, env=env,
                                                    stdout=log, stderr=log)
        try:
            url_file = root / "var" / "nats.url"
            deadline = time.monotonic() + 60
            while not url_file.exists() or "Prêt" not in (root / "node.log").read_text():
                if time.monotonic() > deadline:
                    raise TimeoutError("site node did not start")
                await asyncio.sleep(0.1)
            await asyncio.sleep(5)  # idle: let start-up garbage settle
            idle = node_rss(proc.pid)
            nc = await nats.connect(url_file.read_text().strip())
            js = nc.jetstream(timeout=10)
            starts = datetime.now(UTC) + timedelta(days=3)
            for w in range(requests // 20):
                r = bk.WorkshopScheduleRequested(workshop_id=f"w{w}", site="trebes", room="A", title="Atelier",
                                                 themes=["email"], origin="trebes", starts_at=starts,
                                                 ends_at=starts + timedelta(hours=1), capacity=12)
                await js.publish(r.subject(), r.model_dump_json().encode())
            peak = idle
            for i in range(requests):
                r2 = bk.BookingRequested(request_id=f"r{i}", workshop_id=f"w{i % (requests // 20)}", origin="trebes",
                                         citizen={"citizen_id": f"cit-{i:07d}"})
                await js.publish(r2.subject(), r2.model_dump_json().encode())
                if i % 500 == 0:
                    peak = max(peak, node_rss(proc.pid))
            for _ in range(100):
                peak = max(peak, node_rss(proc.pid))
                await asyncio.sleep(0.1)
            await nc.close()
            return {"site_node_idle_rss_mb": idle, "site_node_under_load_peak_rss_mb": peak}
        finally:
            proc.terminate()
            await proc.wait()
            log.close()


if __name__ == "__main__":
    print(asyncio.run(main()))
