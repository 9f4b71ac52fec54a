"""Who decides what across nodes, and what a node does with a request it does not decide. Plain Python.

Owners (DESIGN §4): the node of the site that holds an asset decides everything about it (loans,
repairs, parcels, edits, retirement). A transfer's receipt is decided by the destination's node,
whose staff scan the box; only for a destination that runs no node of its own does the sender record
it. A registration is decided by the node of the site it names, or by the hub for a site without one.

How requests travel (``shared.service.service_inputs``): the hub's services read only the requests
made at the hub; a site's read the requests made at the site and the hub's requests and facts. Hence:

- made here, decided here → decided;
- made at the hub, decided by a site's node → **passed on**: the hub answers ``request_pending``, which
  carries the request; that site's node decides it when it sees this fact (not the raw request, which
  can reach it before the facts the hub relied on, e.g. the parcel's dispatch). Exactly one node
  decides each request. The hub passes on a tag it does not know to whichever site holds it;
- made at the hub, not passed on to this site → **ignored** here (the hub answers);
- made at a site, decided elsewhere → **refused** here: no other node reads a site's requests, so it is
  answered at once (``not_held`` for a wish, ``conflict_detected`` for a fact from the floor).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

HUB = "hub"


class Verdict(StrEnum):
    decide = "decide"
    ignore = "ignore"
    pass_on = "pass_on"
    refuse = "refuse"


@dataclass(frozen=True)
class Route:
    verdict: Verdict
    owner: str | None = None  # the node that decides (None: nobody known here)


@dataclass(frozen=True)
class Ownership:
    node: str = HUB
    site_nodes: frozenset[str] = frozenset()  # at the hub: the sites that run their own node

    @property
    def is_hub(self) -> bool:
        return self.node == HUB

    def has_node(self, site: str) -> bool:
        """Does ``site`` run a node of its own? A site cannot know and assumes so (DESIGN §1: every
        tiers-lieu runs one); the hub knows its site nodes from its settings."""
        return site in (self.node, HUB) or not self.is_hub or site in self.site_nodes

    def reaches(self, owner: str) -> bool:
        """Will ``owner``'s node see a request made here? Only the hub's requests travel, to the sites."""
        return self.is_hub and owner in self.site_nodes

    @property
    def routes_unknown(self) -> bool:
        """A hub with sites cannot tell a mistyped tag from one a cut-off site has just registered."""
        return self.is_hub and bool(self.site_nodes)

    def registrar(self, site: str) -> str:
        return site if self.has_node(site) else HUB

    def receiver(self, from_site: str, to_site: str) -> str:
        """The node that records a transfer's receipt."""
        return to_site if self.has_node(to_site) else from_site

    def route(self, made_at: str, owner: str | None) -> Route:
        """A request about something one node decides: ``owner`` (None: unknown here)."""
        if made_at != self.node:
            return Route(Verdict.decide if owner == self.node else Verdict.ignore, owner)
        if owner == self.node:
            return Route(Verdict.decide, owner)
        if (owner is None and self.routes_unknown) or (owner is not None and self.reaches(owner)):
            return Route(Verdict.pass_on, owner)
        return Route(Verdict.refuse, owner)

    def route_assets(self, made_at: str, holders: Mapping[str, str | None]) -> Route:
        """A request about assets (tag → holding site on record, None if unknown here): decided by one
        node only if that node holds them all."""
        elsewhere = {site for site in holders.values() if site != self.node}
        if not elsewhere:
            return self.route(made_at, self.node)
        if len(elsewhere) > 1 or len(elsewhere) < len(set(holders.values())):  # spread over several nodes
            return Route(Verdict.ignore if made_at != self.node else Verdict.refuse)
        return self.route(made_at, elsewhere.pop())

    def where_made(self, made_at: str) -> Route:
        """Reports and reservations by kind: decided by the node they were asked at, with its own records."""
        return self.route(made_at, made_at)
