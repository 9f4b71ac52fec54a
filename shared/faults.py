"""Fault-injection points for the fault suite (tests/faults): inert unless ``MAILLAGE_FAULT`` names one.

A process started with ``MAILLAGE_FAULT=<point>`` (and ``MAILLAGE_FAULT_AFTER=N``, default 1) kills
itself with SIGKILL the Nth time it reaches that point, so a test can crash a relay or a consumer
at the exact moment a protection matters: after the commit and before the publish, after the
JetStream ack and before the mark, after the commit and before the ack. The environment is read
once at import: when unset, a point costs one string comparison.

Points: ``relay.before_publish``, ``relay.after_ack`` (shared/relay.py), ``consumer.before_ack``
(shared/consumer.py).
"""

import os
import signal

_TARGET = os.environ.get("MAILLAGE_FAULT", "")
_AFTER = max(1, int(os.environ.get("MAILLAGE_FAULT_AFTER") or "1"))
_reached = 0


def point(name: str) -> None:
    global _reached
    if name != _TARGET:
        return
    _reached += 1
    if _reached >= _AFTER:
        os.write(2, f"maillage: fault point {name} reached ({_reached}): SIGKILL\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)
