"""Hybrid logical clock: orders events between origins without trusting wall clocks.

Encoded as a fixed-width string so that plain string comparison is the clock order:
``<physical ms, 13 digits>-<logical counter, 6 digits>``.
"""

import time
from collections.abc import Callable


def encode(physical_ms: int, logical: int) -> str:
    return f"{physical_ms:013d}-{logical:06d}"


def decode(value: str) -> tuple[int, int]:
    physical, _, logical = value.partition("-")
    return int(physical), int(logical)


class HybridClock:
    def __init__(self, wall_ms: Callable[[], int] | None = None) -> None:
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._physical = 0
        self._logical = 0

    def now(self) -> str:
        wall = self._wall_ms()
        if wall > self._physical:
            self._physical, self._logical = wall, 0
        else:
            self._logical += 1
        return encode(self._physical, self._logical)

    def observe(self, remote: str) -> None:
        """Merge a received timestamp so that what we emit next sorts after it."""
        if not remote:
            return
        r_physical, r_logical = decode(remote)
        wall = self._wall_ms()
        top = max(wall, self._physical, r_physical)
        if top == self._physical == r_physical:
            self._logical = max(self._logical, r_logical) + 1
        elif top == self._physical:
            self._logical += 1
        elif top == r_physical:
            self._logical = r_logical + 1
        else:
            self._logical = 0
        self._physical = top
