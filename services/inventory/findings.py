"""What staff must look at: audit discrepancies and ownership conflicts. Plain Python, no I/O."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.inventory.model import STATUS_LABELS, Asset, Refusal, S

# What an audit expects to find on a site's shelves (a workshop may be using it on site).
ON_PREMISES = (S.available, S.reserved, S.in_use_on_site)


@dataclass(frozen=True)
class Finding:
    asset_tag: str
    recorded_site: str | None = None
    recorded_status: str | None = None


@dataclass
class AuditResult:
    expected: int
    missing: list[str] = field(default_factory=list)
    unexpected: list[Finding] = field(default_factory=list)
    wrong_site: list[Finding] = field(default_factory=list)


def audit(site: str, scanned: Iterable[str], assets: Mapping[str, Asset]) -> AuditResult:
    """Compare the tags scanned at ``site`` with the records (``assets``: the site's and the scanned)."""
    seen = list(dict.fromkeys(scanned))
    expected = sorted(t for t, a in assets.items() if a.site == site and a.status in ON_PREMISES)
    result = AuditResult(expected=len(expected), missing=[t for t in expected if t not in set(seen)])
    for tag in seen:
        asset = assets.get(tag)
        if asset is None:
            result.unexpected.append(Finding(tag))
        elif asset.site != site:
            result.wrong_site.append(Finding(tag, asset.site, asset.status))
        elif asset.status not in ON_PREMISES:
            result.unexpected.append(Finding(tag, asset.site, asset.status))
    return result


@dataclass
class Conflict:
    """Two facts that disagree: an action on an asset and the record that another site holds it."""

    conflict_id: str
    request_id: str
    asset_tag: str
    action: str
    node_site: str
    holding_site: str
    recorded_status: str
    detected_at: datetime
    status: str = "open"  # open | resolved
    resolution: str = ""
    resolved_at: datetime | None = None

    @property
    def detail(self) -> str:
        return (
            f"{self.action} reçu par le nœud {self.node_site} pour {self.asset_tag}, mais l'inventaire le dit "
            f"détenu par {self.holding_site} ({STATUS_LABELS[S(self.recorded_status)]}). Rien n'a été appliqué."
        )

    def resolve(self, resolution: str, now: datetime) -> None:
        if self.status != "open":
            raise Refusal("already_resolved", f"Le conflit {self.conflict_id} est déjà résolu.")
        self.status, self.resolution, self.resolved_at = "resolved", resolution, now


def clash_detail(tag: str, fact_type: str, origin: str, node: str, holder: str, status: str, applied: bool) -> str:
    """Why another node's fact disagrees with this node's record, in French, for staff."""
    outcome = (
        "La réception est appliquée : le matériel est là où il a été scanné." if applied
        else "Rien n'a été appliqué : l'inventaire garde le détenteur enregistré."
    )
    return (
        f"{fact_type} venu du nœud {origin} pour {tag} contredit l'inventaire de {node}, qui le disait détenu par "
        f"{holder} ({STATUS_LABELS[S(status)]}). {outcome}"
    )
