"""A staff member acts for their own site only: checked before any request is published (no I/O here)."""

from services.console.staff import Staff


class Forbidden(Exception):
    """Refused at the desk, before publishing; ``detail`` is the French sentence shown to staff."""

    def __init__(self, detail: str, elsewhere: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.elsewhere = elsewhere  # about another site's thing (or an unknown one), not a form mistake


def own_site(staff: Staff, owner_site: str | None, what: str) -> None:
    """``owner_site``: the site that owns the workshop, booking, asset, transfer or conflict (None: unknown)."""
    if owner_site is None:
        raise Forbidden(f"{what} est inconnu·e ici.", elsewhere=True)
    if owner_site != staff.site:
        raise Forbidden(f"{what} relève d'un autre lieu ({owner_site}) : vous ne pouvez agir que pour {staff.site}.",
                        elsewhere=True)
