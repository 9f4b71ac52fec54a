"""Identifiers: UUIDv7 event ids (time-ordered, so indexes stay append-mostly)."""

import random
import time
import uuid

# Ids need uniqueness, not secrecy: a seeded PRNG per process avoids a system call per event.
_random = random.Random()


def uuid7() -> str:
    # Python 3.11 has no uuid.uuid7; RFC 9562 layout: 48-bit ms timestamp, version, 74 random bits.
    ms = time.time_ns() // 1_000_000
    rand = _random.getrandbits(80)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
