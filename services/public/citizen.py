"""A person booking on the public page is known by an unguessable token (in their link and a cookie);
their pseudonymous ``citizen_id`` is derived from it one way, so the id in events reveals nothing and
nothing maps ids back to tokens."""

import hashlib
import re
import secrets

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits, 32 characters


def is_token(value: str | None) -> bool:
    return bool(value and TOKEN.match(value))


def citizen_id_of(token: str) -> str:
    return "web-" + hashlib.sha256(b"maillage-public:" + token.encode()).hexdigest()[:40]
