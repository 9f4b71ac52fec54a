"""Fixtures shared by every test package: real nats-servers and real databases."""

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.fixtures import nats_server

__all__ = ["nats_server"]

PG_URL = os.environ.get("MAILLAGE_TEST_DATABASE_URL", "")
DATABASES = ["sqlite", "postgres"] if PG_URL else ["sqlite"]


@pytest_asyncio.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """SQLite always; PostgreSQL too when MAILLAGE_TEST_DATABASE_URL is set (a fresh database each test)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
        return
    import asyncpg

    admin_url = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    name = f"maillage_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _db = PG_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
