"""Running the real ``maillage`` command as a subprocess, as a user or a container would."""

import asyncio
import os
import sys
from pathlib import Path

MAILLAGE = [sys.executable, "-m", "maillage"]


def env_for(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    env.update({f"MAILLAGE_{k.upper()}": v for k, v in values.items()})
    return env


async def spawn(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    handle = log.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            *MAILLAGE, *args, cwd=cwd, env=env, stdout=handle, stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
        )
    finally:
        handle.close()


async def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 60.0) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *MAILLAGE, *args, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


async def stop(proc: asyncio.subprocess.Process, timeout: float = 30.0) -> int:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0
