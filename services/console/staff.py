"""Staff accounts (one site each, scrypt-hashed passwords) and login sessions (random cookie, stored hashed)."""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.console import tables as t
from services.public.rows import upsert

# scrypt cost: ~50 ms and 16 MiB per check on a small PC; slows guessing, not a person logging in.
N, R, P = 2**14, 8, 1
_DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


@dataclass(frozen=True)
class Staff:
    login: str
    site: str
    name: str


@dataclass(frozen=True)
class LoginSession:
    staff: Staff
    token: str
    csrf: str
    flash: tuple[str, str] | None  # (kind, text), shown once


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(got, expected)


async def add_staff(conn: AsyncConnection, login: str, site: str, name: str, password: str) -> None:
    """Create or replace an account (``maillage console add-staff``)."""
    if len(password) < 10:
        raise ValueError("le mot de passe doit faire au moins 10 caractères")
    await upsert(conn, t.staff, {"login": login}, {
        "site": site, "display_name": name, "password_hash": hash_password(password), "active": True})


async def authenticate(conn: AsyncConnection, login: str, password: str) -> Staff | None:
    row = (await conn.execute(select(t.staff).where(t.staff.c.login == login))).mappings().first()
    if row is None or not row["active"]:
        verify_password(password, _DUMMY)  # same cost whether the login exists or not
        return None
    if not verify_password(password, row["password_hash"]):
        return None
    return Staff(row["login"], row["site"], row["display_name"])


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(conn: AsyncConnection, staff: Staff, now: datetime, hours: float) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(delete(t.sessions).where(t.sessions.c.expires_at < now.timestamp()))
    await conn.execute(t.sessions.insert().values(
        token_hash=_hash(token), login=staff.login, site=staff.site, csrf=secrets.token_urlsafe(24),
        expires_at=(now + timedelta(hours=hours)).timestamp(), flash=None))
    return token


async def session_of(conn: AsyncConnection, token: str, now: datetime) -> LoginSession | None:
    """The session and its one-time message (read and cleared here)."""
    s, a = t.sessions, t.staff
    row = (await conn.execute(
        select(s, a.c.display_name, a.c.active).join(a, a.c.login == s.c.login)
        .where(s.c.token_hash == _hash(token), s.c.expires_at > now.timestamp())
    )).mappings().first()
    if row is None or not row["active"]:
        return None
    flash = None
    if row["flash"]:
        kind, _, text = row["flash"].partition("|")
        flash = (kind, text)
        await conn.execute(update(s).where(s.c.token_hash == row["token_hash"]).values(flash=None))
    return LoginSession(Staff(row["login"], row["site"], row["display_name"]), token, row["csrf"], flash)


async def set_flash(conn: AsyncConnection, token: str, kind: str, text: str) -> None:
    await conn.execute(update(t.sessions).where(t.sessions.c.token_hash == _hash(token)).values(flash=f"{kind}|{text}"))


async def close_session(conn: AsyncConnection, token: str) -> None:
    await conn.execute(delete(t.sessions).where(t.sessions.c.token_hash == _hash(token)))
