"""Communes people choose from (the Agglo's list, shared with reporting) — a closed list, no free text."""

import csv
import io
from functools import cache
from importlib import resources


@cache
def communes() -> list[tuple[str, str]]:
    """(INSEE code, name), by name."""
    text = (resources.files("services.reporting") / "data" / "carcassonne-agglo-communes.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return sorted(((r["code_insee"], r["nom"]) for r in rows), key=lambda c: c[1])


def is_commune(code: str) -> bool:
    return any(code == insee for insee, _ in communes())
