"""Transfers between sites: a two-step handover. Plain Python, no I/O.

The holding site dispatches one asset or a whole box; the items are ``in_transit`` and still held by
the sender. The destination scans them in one by one; only a received item changes holding site, so
an item missing from the box stays visible in transit and raises one alert after the delay.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.inventory.model import Asset, Refusal, Rules, S


@dataclass
class TransferItem:
    transfer_id: str
    asset_tag: str
    state: str = "in_transit"  # in_transit | received | lost
    received_at: datetime | None = None
    alerted: bool = False


@dataclass
class Transfer:
    transfer_id: str
    request_id: str
    from_site: str
    to_site: str
    dispatched_at: datetime
    items: dict[str, TransferItem] = field(default_factory=dict)

    @property
    def in_transit(self) -> list[str]:
        return sorted(tag for tag, item in self.items.items() if item.state == "in_transit")

    def alert_after(self, rules: Rules) -> datetime:
        return self.dispatched_at + rules.transfer_alert

    def receive(self, site: str, tags: Iterable[str], assets: Mapping[str, Asset], now: datetime) -> list[str]:
        """The destination scanned ``tags`` in; returns them (all or nothing)."""
        if site != self.to_site:
            raise Refusal(
                "wrong_destination", f"Le transfert {self.transfer_id} va à {self.to_site}, pas à {site}."
            )
        tags = list(dict.fromkeys(tags))
        strangers = [t for t in tags if t not in self.items]
        if strangers:
            raise Refusal("not_in_transfer", f"Pas dans le transfert {self.transfer_id} : {', '.join(strangers)}.")
        done = [t for t in tags if self.items[t].state != "in_transit"]
        if done:
            raise Refusal("not_in_transit", f"Déjà reçus (ou perdus) : {', '.join(done)}.")
        for tag in tags:
            self.items[tag].state, self.items[tag].received_at = "received", now
            assets[tag].arrive(self.to_site)
        return tags

    def not_received(self, now: datetime, rules: Rules) -> list[str]:
        """Items past the delay not yet alerted; marks them alerted (one alert per item, ever)."""
        if now < self.alert_after(rules):
            return []
        late = [tag for tag in self.in_transit if not self.items[tag].alerted]
        for tag in late:
            self.items[tag].alerted = True
        return late

    def lose(self, tag: str) -> None:
        if tag in self.items and self.items[tag].state == "in_transit":
            self.items[tag].state = "lost"


def dispatch(
    transfer_id: str, request_id: str, assets: list[Asset], to_site: str, now: datetime, rules: Rules
) -> Transfer:
    rules.require_site(to_site)
    same = [a.asset_tag for a in assets if a.site == to_site]
    if same:
        raise Refusal("same_site", f"Déjà à {to_site} : {', '.join(same)}.")
    busy = [a.label for a in assets if a.status != S.available]
    if busy:
        raise Refusal("not_available", f"Ne peuvent pas partir : {', '.join(busy)}.")
    from_sites = {a.site for a in assets}
    if len(from_sites) != 1:
        raise Refusal("not_held", f"Un envoi part d'un seul site (ici : {', '.join(sorted(from_sites))}).")
    for asset in assets:
        asset.dispatch()
    transfer = Transfer(transfer_id, request_id, from_sites.pop(), to_site, now)
    transfer.items = {a.asset_tag: TransferItem(transfer_id, a.asset_tag) for a in assets}
    return transfer
