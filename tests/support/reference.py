"""Reference models for the fault suite's checker: seats and assets in a few dozen lines each.

Plain Python, written from the contract and the booking/inventory rules, not from the services'
code. The checker replays the answers in the owner's decision order; for each answer to a request a
user sent, the model says what a correct system would have answered at that point, then follows
what was actually answered (so one mistake is reported once, not as a cascade). Time windows are
left out: the workloads book workshops days ahead, far from any opening or closing time.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Root(Protocol):
    request_id: str
    type: str
    node: str
    fields: dict[str, Any]


HUB = "hub"


def outcome(answer: dict[str, Any]) -> str:
    """``booking.confirmed``, or ``booking.rejected(full)`` for a refusal with its reason code."""
    return f"{answer['type']}({answer['reason']})" if answer["type"].endswith("rejected") else answer["type"]


@dataclass
class Workshop:
    owner: str
    capacity: int
    seated: list[str] = field(default_factory=list)  # confirmed booking ids
    queue: list[str] = field(default_factory=list)  # waitlisted booking ids, first come first served


@dataclass
class Seat:
    workshop_id: str
    citizen_id: str
    status: str


@dataclass
class SeatModel:
    max_active: int = 5
    workshops: dict[str, Workshop] = field(default_factory=dict)
    seats: dict[str, Seat] = field(default_factory=dict)
    requests: set[str] = field(default_factory=set)  # request ids that made a booking
    by_citizen: dict[str, list[str]] = field(default_factory=dict)
    promotions: dict[str, str | None] = field(default_factory=dict)  # cancel's cause → who must move up
    wrong: list[str] = field(default_factory=list)
    over_capacity: list[str] = field(default_factory=list)

    def apply(self, answer: dict[str, Any], root: Root | None) -> None:
        kind = answer["type"]
        if root is not None and answer.get("request_id") == root.request_id and kind != "booking.request_pending":
            expected = self._expect(root)
            if expected is not None and expected != outcome(answer):
                self.wrong.append(f"{root.type} {root.request_id}: expected {expected}, got {outcome(answer)}")
        if kind == "booking.workshop_scheduled":
            self.workshops.setdefault(answer["workshop_id"], Workshop(answer["origin"], answer["capacity"]))
        elif kind in ("booking.confirmed", "booking.waitlisted") and answer.get("workshop_id"):
            self._booked(answer, "confirmed" if kind == "booking.confirmed" else "waitlisted")
        elif kind == "booking.cancelled":
            self._cancelled(answer)
        elif kind == "booking.promoted":
            self._promoted(answer)

    def _expect(self, root: Root) -> str | None:
        f = root.fields
        if root.type == "booking.workshop_schedule_requested":
            known = f["workshop_id"] in self.workshops
            return "booking.command_rejected(duplicate)" if known else "booking.workshop_scheduled"
        if root.type == "booking.requested":
            return self._expect_seat(root.request_id, f["workshop_id"], f["citizen_id"])
        if root.type == "booking.cancel_requested":
            return self._expect_cancel(f["booking_id"], f.get("citizen_id"))
        return None

    def _expect_seat(self, request_id: str, workshop_id: str, citizen_id: str) -> str:
        workshop = self.workshops.get(workshop_id)
        if workshop is None:
            return "booking.rejected(unknown_workshop)"
        mine = (self.seats[b] for b in self.by_citizen.get(citizen_id, []))
        active = [s for s in mine if s.status in ("confirmed", "waitlisted")]
        if request_id in self.requests or any(s.workshop_id == workshop_id for s in active):
            return "booking.rejected(duplicate)"
        if sum(1 for s in active if self.workshops[s.workshop_id].owner == workshop.owner) >= self.max_active:
            return "booking.rejected(limit_reached)"
        return "booking.confirmed" if len(workshop.seated) < workshop.capacity else "booking.waitlisted"

    def _expect_cancel(self, booking_id: str, citizen_id: str | None) -> str:
        seat = self.seats.get(booking_id)
        if seat is None:
            return "booking.command_rejected(unknown_booking)"
        if seat.citizen_id != citizen_id:
            return "booking.command_rejected(not_yours)"
        if seat.status not in ("confirmed", "waitlisted"):
            return "booking.command_rejected(not_active)"
        return "booking.cancelled"

    def _booked(self, answer: dict[str, Any], status: str) -> None:
        workshop = self.workshops.get(answer["workshop_id"])
        if workshop is None:
            self.wrong.append(f"{outcome(answer)} {answer['booking_id']} in unknown workshop {answer['workshop_id']}")
            return
        if answer.get("origin") not in (workshop.owner, HUB):  # only the owner decides (the hub: escrow)
            self.wrong.append(f"{answer.get('origin')} stated {outcome(answer)} {answer['booking_id']} in "
                              f"{answer['workshop_id']}, which {workshop.owner} owns")
            return
        self.requests.add(answer["request_id"])
        citizen_id = answer["citizen"]["citizen_id"]
        self.seats[answer["booking_id"]] = Seat(answer["workshop_id"], citizen_id, status)
        self.by_citizen.setdefault(citizen_id, []).append(answer["booking_id"])
        (workshop.seated if status == "confirmed" else workshop.queue).append(answer["booking_id"])
        self._check_capacity(answer["workshop_id"], workshop)

    def _cancelled(self, answer: dict[str, Any]) -> None:
        seat = self.seats.get(answer["booking_id"])
        if seat is None or seat.status != answer["was"]:
            self.wrong.append(f"cancelled {answer['booking_id']} was {answer['was']}, model says {seat}")
            return
        workshop = self.workshops[seat.workshop_id]
        (workshop.seated if seat.status == "confirmed" else workshop.queue).remove(answer["booking_id"])
        seat.status = "cancelled"
        if answer["was"] == "confirmed":
            self.promotions[answer.get("causation_id") or ""] = workshop.queue[0] if workshop.queue else None

    def _promoted(self, answer: dict[str, Any]) -> None:
        expected = self.promotions.pop(answer.get("causation_id") or "", None)
        seat = self.seats.get(answer["booking_id"])
        if expected != answer["booking_id"] or seat is None:
            self.wrong.append(f"promoted {answer['booking_id']}, the queue's first was {expected}")
            if seat is None or seat.status != "waitlisted":
                return
        workshop = self.workshops[seat.workshop_id]
        workshop.queue.remove(answer["booking_id"])
        workshop.seated.append(answer["booking_id"])
        seat.status = "confirmed"
        self._check_capacity(seat.workshop_id, workshop)

    def _check_capacity(self, workshop_id: str, workshop: Workshop) -> None:
        if len(workshop.seated) > workshop.capacity:
            self.over_capacity.append(f"{workshop_id}: {len(workshop.seated)} seated > capacity {workshop.capacity}")

    def finish(self) -> None:
        self.wrong += [f"nobody promoted after cancel {cause} (first in queue: {who})"
                       for cause, who in self.promotions.items() if who is not None]

    def summary(self) -> dict[str, Counter[str]]:
        out: dict[str, Counter[str]] = {w: Counter() for w in self.workshops}
        for seat in self.seats.values():
            out[seat.workshop_id][seat.status] += 1
        return out

    def differences(self, rows: Mapping[str, str]) -> list[str]:
        """``rows``: booking_id → status in the owner's database, for the bookings it holds."""
        out = [f"booking {bid}: events say {s.status}, database says {rows.get(bid)}"
               for bid, s in self.seats.items() if bid in rows and rows[bid] != s.status]
        out += [f"booking {bid} ({status}) in the database but in no event" for bid, status in rows.items()
                if bid not in self.seats]
        return out


@dataclass
class Transfer:
    from_site: str
    to_site: str
    items: set[str]


@dataclass
class AssetLedger:
    """Where each asset is: one holding site, plus the transfer it travels in (it stays held by the
    sender until scanned in at the destination)."""

    site: dict[str, str] = field(default_factory=dict)
    transit: dict[str, str] = field(default_factory=dict)  # tag → transfer id
    transfers: dict[str, Transfer] = field(default_factory=dict)
    conflict_ids: set[str] = field(default_factory=set)
    wrong: list[str] = field(default_factory=list)
    misplaced: list[str] = field(default_factory=list)
    bad_conflicts: list[str] = field(default_factory=list)

    def apply(self, answer: dict[str, Any], root: Root | None) -> None:
        kind = answer["type"]
        if root is not None and answer.get("request_id") == root.request_id:
            expected = self._expect(root)
            got = "conflict" if kind == "inventory.conflict_detected" else outcome(answer)
            if expected is not None and expected != got:
                self.wrong.append(f"{root.type} {root.request_id}: expected {expected}, got {got}")
        if kind == "inventory.asset_registered":
            if answer["asset_tag"] in self.site:
                self.misplaced.append(f"{answer['asset_tag']} registered twice")
            self.site.setdefault(answer["asset_tag"], answer["site"])
        elif kind == "inventory.transfer_dispatched":
            self._dispatched(answer)
        elif kind == "inventory.transfer_received":
            self._received(answer)
        elif kind == "inventory.conflict_detected":
            self._conflict(answer)

    def _expect(self, root: Root) -> str | None:
        f = root.fields
        if root.type == "inventory.asset_register_requested":
            known = f["asset_tag"] in self.site
            return "inventory.command_rejected(duplicate_tag)" if known else "inventory.asset_registered"
        tags: list[str] = f.get("asset_tags", [])
        if any(tag not in self.site for tag in tags):
            return "inventory.command_rejected(unknown_tag)"
        if root.type == "inventory.transfer_dispatch_requested":
            if any(self.site[tag] != root.node for tag in tags):
                return "conflict"
            if any(self.site[tag] == f["to_site"] for tag in tags):
                return "inventory.command_rejected(same_site)"
            return "inventory.command_rejected(not_available)" if any(t in self.transit for t in tags) \
                else "inventory.transfer_dispatched"
        if root.type == "inventory.transfer_receive_requested":
            return self._expect_receive(f["transfer_id"], f["site"], tags, root.node)
        return None

    def _expect_receive(self, transfer_id: str, site: str, tags: list[str], node: str) -> str:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return "inventory.command_rejected(unknown_transfer)"
        if transfer.to_site != node and any(t in transfer.items and self.site[t] != node for t in tags):
            return "conflict"
        if site != transfer.to_site:
            return "inventory.command_rejected(wrong_destination)"
        if any(t not in transfer.items for t in tags):
            return "inventory.command_rejected(not_in_transfer)"
        if any(self.transit.get(t) != transfer_id for t in tags):
            return "inventory.command_rejected(not_in_transit)"
        return "inventory.transfer_received"

    def _dispatched(self, answer: dict[str, Any]) -> None:
        transfer_id = answer["transfer_id"]
        for tag in answer["asset_tags"]:
            if self.site.get(tag) != answer["from_site"] or tag in self.transit:
                self.misplaced.append(f"{tag} dispatched from {answer['from_site']} by {transfer_id} but held by "
                                      f"{self.site.get(tag)}, in transit: {self.transit.get(tag)}")
            self.transit[tag] = transfer_id
        self.transfers[transfer_id] = Transfer(answer["from_site"], answer["to_site"], set(answer["asset_tags"]))

    def _received(self, answer: dict[str, Any]) -> None:
        for tag in answer["asset_tags"]:
            if self.transit.get(tag) != answer["transfer_id"]:
                self.misplaced.append(f"{tag} received by {answer['transfer_id']} but it was not travelling in it")
            self.transit.pop(tag, None)
            self.site[tag] = answer["to_site"]

    def _conflict(self, answer: dict[str, Any]) -> None:
        tag, node = answer["asset_tag"], answer["node_site"]
        if answer["conflict_id"] in self.conflict_ids:
            self.bad_conflicts.append(f"conflict {answer['conflict_id']} on {tag} reported twice")
        self.conflict_ids.add(answer["conflict_id"])
        if self.site.get(tag) == node:
            self.bad_conflicts.append(f"conflict on {tag} at {node}, which holds it")

    def differences(self, rows: Mapping[str, tuple[str, str]]) -> list[str]:
        """``rows``: tag → (site, status) in the database."""
        out = []
        for tag, site in self.site.items():
            row = rows.get(tag)
            travelling = tag in self.transit
            if row is None or row[0] != site or (row[1] == "in_transit") != travelling:
                out.append(f"asset {tag}: events say {site}{' in transit' if travelling else ''}, database {row}")
        out += [f"asset {tag} in the database but in no event" for tag in rows if tag not in self.site]
        return out
