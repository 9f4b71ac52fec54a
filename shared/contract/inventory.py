"""Inventory events: the network's equipment, its sites, loans, transfers (subjects ``tl.<origin>.inventory.*``).

Requests (``*_requested``, ``audit_submitted``) are answered by a fact carrying the same ``request_id``,
by ``inventory.command_rejected`` (a reason code), or, when the node does not hold the asset, by
``inventory.conflict_detected``. A request made at the hub for an asset a site's own node holds is
answered ``inventory.request_pending`` and decided by that node when it sees it (DESIGN §4). Amounts are
euros with two decimals (JSON strings). Negative amounts and unknown sites pass the schema on purpose: the
service answers them with a reason code.
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Event, Identifier, Rejection, Request, Slug, UtcDatetime

Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
Tags = Annotated[list[Identifier], Field(min_length=1, max_length=500)]


class AssetKind(StrEnum):
    laptop = "laptop"
    desktop = "desktop"
    tablet = "tablet"
    phone = "phone"
    printer = "printer"
    hotspot = "hotspot"
    kit = "kit"
    other = "other"


class AssetStatus(StrEnum):
    available = "available"
    reserved = "reserved"
    on_loan = "on_loan"
    in_use_on_site = "in_use_on_site"
    in_transit = "in_transit"
    in_maintenance = "in_maintenance"
    lost = "lost"
    retired = "retired"


class Condition(StrEnum):
    new = "new"
    good = "good"
    worn = "worn"
    damaged = "damaged"
    broken = "broken"


class LoanMode(StrEnum):
    take_home = "take_home"
    on_site = "on_site"  # during a workshop, back the same day


# --- requests: assets ---------------------------------------------------------------------------

class AssetRegisterRequested(Request):
    TYPE = "inventory.asset_register_requested"
    asset_tag: Identifier  # what the QR/barcode label says
    kind: AssetKind
    model: str = Field(min_length=1, max_length=120)
    serial: str = Field(default="", max_length=120)
    purchase_date: date | None = None
    purchase_price: Money
    funding_source: Slug  # e.g. fabriques-de-territoires, conseiller-numerique, don
    condition: Condition = Condition.new
    site: Slug  # holding site
    notes: str = Field(default="", max_length=500)
    staff_id: str | None = None


class AssetEditRequested(Request):
    TYPE = "inventory.asset_edit_requested"
    asset_tag: Identifier
    kind: AssetKind | None = None
    model: str | None = Field(default=None, min_length=1, max_length=120)
    serial: str | None = Field(default=None, max_length=120)
    purchase_date: date | None = None
    purchase_price: Money | None = None
    funding_source: Slug | None = None
    condition: Condition | None = None
    notes: str | None = Field(default=None, max_length=500)
    staff_id: str | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> "AssetEditRequested":
        if not self.changes():
            raise ValueError("au moins un champ à modifier")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(include=set(EDITABLE), exclude_none=True)


EDITABLE = ("kind", "model", "serial", "purchase_date", "purchase_price", "funding_source", "condition", "notes")


class AssetRetireRequested(Request):
    TYPE = "inventory.asset_retire_requested"
    asset_tag: Identifier
    lost: bool = False  # lost (may come back) rather than retired (disposed of)
    reason: str = Field(default="", max_length=500)
    staff_id: str | None = None


# --- requests: transfers, loans, reservations, repairs, audits, conflicts ---------------------------

class TransferDispatchRequested(Request):
    """The holding site sends one asset or a whole box ("10 tablets to Trèbes") in one action."""

    TYPE = "inventory.transfer_dispatch_requested"
    transfer_id: Identifier | None = None  # defaults to request_id
    to_site: Slug
    asset_tags: Tags
    staff_id: str | None = None


class TransferReceiveRequested(Request):
    """The destination scans what arrived, item by item; what is not scanned stays in transit."""

    TYPE = "inventory.transfer_receive_requested"
    transfer_id: Identifier
    site: Slug  # the receiving site: must be the transfer's destination
    asset_tags: Tags
    staff_id: str | None = None


class LoanCheckoutRequested(Request):
    TYPE = "inventory.loan_checkout_requested"
    asset_tag: Identifier
    citizen: CitizenRef | None = None  # required to take home; optional for a workshop's on-site use
    mode: LoanMode = LoanMode.take_home
    due_date: date | None = None  # take-home: defaults per kind; on-site: today
    agreement_signed: bool = False
    deposit: Money | None = None
    reservation_id: Identifier | None = None  # on-site use of equipment reserved for a workshop
    staff_id: str | None = None


class LoanRenewRequested(Request):
    TYPE = "inventory.loan_renew_requested"
    asset_tag: Identifier
    due_date: date | None = None  # defaults to the current due date + the kind's loan length
    staff_id: str | None = None


class LoanReturnRequested(Request):
    TYPE = "inventory.loan_return_requested"
    asset_tag: Identifier
    condition: Condition
    notes: str = Field(default="", max_length=500)
    staff_id: str | None = None


class ReservationRequested(Request):
    """N assets of a kind, or specific tags, for a time window (e.g. eight tablets for a workshop)."""

    TYPE = "inventory.reservation_requested"
    reservation_id: Identifier | None = None  # defaults to request_id
    site: Slug | None = None  # where it will be used; defaults to the node's site
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    kind: AssetKind | None = None
    quantity: int | None = Field(default=None, ge=1, le=200)
    asset_tags: list[Identifier] | None = Field(default=None, min_length=1, max_length=200)
    workshop_id: Identifier | None = None  # a booking workshop: cancelling it releases the equipment
    staff_id: str | None = None

    @model_validator(mode="after")
    def _what(self) -> "ReservationRequested":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at doit être après starts_at")
        if (self.asset_tags is None) == (self.kind is None or self.quantity is None):
            raise ValueError("soit asset_tags, soit kind et quantity")
        return self


class ReservationCancelRequested(Request):
    TYPE = "inventory.reservation_cancel_requested"
    reservation_id: Identifier
    staff_id: str | None = None


class RepairSendRequested(Request):
    TYPE = "inventory.repair_send_requested"
    asset_tag: Identifier
    notes: str = Field(default="", max_length=500)
    repairer: str = Field(default="", max_length=120)
    staff_id: str | None = None


class RepairReturnRequested(Request):
    TYPE = "inventory.repair_return_requested"
    asset_tag: Identifier
    notes: str = Field(default="", max_length=500)
    cost: Money = Decimal("0")
    condition: Condition = Condition.good
    staff_id: str | None = None


class AuditSubmitted(Request):
    """A physical audit of a site: every tag scanned on the shelves."""

    TYPE = "inventory.audit_submitted"
    audit_id: Identifier | None = None  # defaults to request_id
    site: Slug
    scanned_tags: list[Identifier] = Field(max_length=5000)
    staff_id: str | None = None


class ConflictResolveRequested(Request):
    TYPE = "inventory.conflict_resolve_requested"
    conflict_id: Identifier
    resolution: str = Field(min_length=1, max_length=500)
    staff_id: str | None = None


class DeadlineCheckRequested(Request):
    """Emitted by the node's own schedule: due dates, transfers not received, reservation windows."""

    TYPE = "inventory.deadline_check_requested"


# --- outcomes -----------------------------------------------------------------------------------

class _AssetFacts(Event):
    request_id: str
    asset_tag: str
    kind: AssetKind
    model: str
    serial: str
    purchase_date: date | None
    purchase_price: Decimal
    funding_source: str
    condition: Condition
    site: str
    status: AssetStatus


class AssetRegistered(_AssetFacts):
    TYPE = "inventory.asset_registered"


class AssetEdited(_AssetFacts):
    """The asset after the edit; ``changed`` names the fields that changed."""

    TYPE = "inventory.asset_edited"
    changed: list[str]


class AssetRetired(Event):
    TYPE = "inventory.asset_retired"
    request_id: str
    asset_tag: str
    site: str
    status: AssetStatus  # lost or retired
    previous_status: AssetStatus
    reason: str
    closed_loan_id: str | None = None  # declared lost while on loan: that loan is over


class AssetCard(BaseModel):
    """What an asset is, travelling with it: the destination learns the items of a box it never saw registered."""

    model_config = ConfigDict(extra="ignore", frozen=True, use_enum_values=True)
    asset_tag: str
    kind: AssetKind
    model: str
    serial: str
    purchase_date: date | None
    purchase_price: Decimal
    funding_source: str
    condition: Condition


class TransferDispatched(Event):
    TYPE = "inventory.transfer_dispatched"
    request_id: str
    transfer_id: str
    from_site: str
    to_site: str
    asset_tags: list[str]
    dispatched_at: UtcDatetime
    alert_after: UtcDatetime
    assets: list[AssetCard] = Field(default_factory=list)  # since issue 6: one card per item


class TransferReceived(Event):
    """These items changed holding site; ``still_in_transit`` is what the box still lacks."""

    TYPE = "inventory.transfer_received"
    request_id: str
    transfer_id: str
    from_site: str
    to_site: str
    asset_tags: list[str]
    still_in_transit: list[str]


class TransferNotReceived(Event):
    """Alert: items dispatched longer ago than the configured delay and never scanned in."""

    TYPE = "inventory.transfer_not_received"
    request_id: str
    transfer_id: str
    from_site: str
    to_site: str
    asset_tags: list[str]
    dispatched_at: UtcDatetime
    days_in_transit: int


class LoanCheckedOut(Event):
    TYPE = "inventory.loan_checked_out"
    request_id: str
    loan_id: str
    asset_tag: str
    kind: AssetKind
    site: str
    mode: LoanMode
    citizen: CitizenRef | None
    started_at: UtcDatetime
    due_date: date
    due_at: UtcDatetime  # the moment it becomes overdue (midnight after due_date, local time)
    agreement_signed: bool
    deposit: Decimal | None
    reservation_id: str | None = None


class LoanRenewed(Event):
    TYPE = "inventory.loan_renewed"
    request_id: str
    loan_id: str
    asset_tag: str
    site: str
    citizen: CitizenRef | None
    previous_due_date: date
    due_date: date
    due_at: UtcDatetime
    renewals: int


class LoanReturned(Event):
    TYPE = "inventory.loan_returned"
    request_id: str
    loan_id: str
    asset_tag: str
    site: str
    mode: LoanMode
    citizen: CitizenRef | None
    returned_at: UtcDatetime
    due_date: date
    days_late: int
    condition: Condition
    deposit_to_refund: Decimal | None
    notes: str


class _LoanReminder(Event):
    request_id: str
    loan_id: str
    asset_tag: str
    kind: AssetKind
    site: str
    mode: LoanMode
    citizen: CitizenRef | None
    due_date: date
    due_at: UtcDatetime
    days_overdue: int  # negative: days left


class LoanDueSoon(_LoanReminder):
    TYPE = "inventory.loan_due_soon"


class LoanOverdue(_LoanReminder):
    TYPE = "inventory.loan_overdue"


class LoanLongOverdue(_LoanReminder):
    TYPE = "inventory.loan_long_overdue"


class ReservationConfirmed(Event):
    TYPE = "inventory.reservation_confirmed"
    request_id: str
    reservation_id: str
    site: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    asset_tags: list[str]
    kind: AssetKind | None = None
    workshop_id: str | None = None


class ReservationCancelled(Event):
    TYPE = "inventory.reservation_cancelled"
    request_id: str
    reservation_id: str
    asset_tags: list[str]
    reason: str  # staff | workshop_cancelled | workshop_rescheduled
    workshop_id: str | None = None
    released: list[str] | None = None  # since issue 6: the items set back to available (None: not said)


class ReservationMoved(Event):
    """The workshop was rescheduled in booking and its equipment is free at the new time: the reservation
    follows it. (When it is not free, the reservation is cancelled with reason ``workshop_rescheduled``.)"""

    TYPE = "inventory.reservation_moved"
    request_id: str
    reservation_id: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    asset_tags: list[str]
    workshop_id: str | None = None
    released: list[str] | None = None  # since issue 6: set aside for the old time, back to available


class ReservationHeld(Event):
    """The window is near: available items are set aside (status ``reserved``)."""

    TYPE = "inventory.reservation_held"
    request_id: str
    reservation_id: str
    site: str
    starts_at: UtcDatetime
    asset_tags: list[str]
    unavailable: list[str]  # reserved but not on the shelf (on loan, in repair…)


class ReservationEnded(Event):
    TYPE = "inventory.reservation_ended"
    request_id: str
    reservation_id: str
    asset_tags: list[str]  # set back to available


class SentToRepair(Event):
    TYPE = "inventory.sent_to_repair"
    request_id: str
    repair_id: str
    asset_tag: str
    site: str
    sent_at: UtcDatetime
    notes: str
    repairer: str


class BackFromRepair(Event):
    TYPE = "inventory.back_from_repair"
    request_id: str
    repair_id: str
    asset_tag: str
    site: str
    returned_at: UtcDatetime
    days_away: int
    notes: str
    cost: Decimal
    condition: Condition


class AuditFinding(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, use_enum_values=True)
    asset_tag: str
    recorded_site: str | None = None  # None: the tag is not in the inventory
    recorded_status: AssetStatus | None = None


class AuditCompleted(Event):
    """``missing``: expected on the shelves, not scanned; ``unexpected``: scanned but unknown, or recorded
    as away (on loan, in repair, lost…); ``wrong_site``: scanned here, held by another site."""

    TYPE = "inventory.audit_completed"
    request_id: str
    audit_id: str
    site: str
    scanned: int
    expected: int
    missing: list[str]
    unexpected: list[AuditFinding]
    wrong_site: list[AuditFinding]


class ConflictFact(BaseModel):
    """One side of a conflict: a fact on record, or the action or fact that disagrees with it."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    type: str
    origin: str  # the node that produced it
    event_id: str | None = None
    body: dict[str, Any] = Field(default_factory=dict)  # its payload, no envelope


class ConflictDetected(Event):
    """Two facts about one asset disagree, and ownership could not prevent it (DESIGN §4).

    Either an action arrived at a node that does not hold the asset (``action`` is a request type,
    detected by that node), or another node's fact contradicts this node's record (``action`` is a fact
    type, detected by the hub, the one node that sees every node's facts). Nothing else was changed;
    staff must decide, then ``conflict_resolve_requested``."""

    TYPE = "inventory.conflict_detected"
    request_id: str
    conflict_id: str
    asset_tag: str
    action: str  # the request (or fact) type that could not be applied
    node_site: str  # the node that received the action and detected the conflict
    holding_site: str  # the holding site on record
    recorded_status: AssetStatus
    attempted: dict[str, Any]  # the action as it arrived (payload, no envelope)
    detail: str
    facts: list[ConflictFact] = Field(default_factory=list)  # since issue 6: [on record, disagreeing]


class ConflictResolved(Event):
    TYPE = "inventory.conflict_resolved"
    request_id: str
    conflict_id: str
    asset_tag: str
    resolution: str
    staff_id: str | None = None


class InventoryRequestPending(Event):
    """The request was made at the hub for an asset, transfer or conflict a site's own node decides: it is
    passed on with this fact (sites read the hub's facts, in the hub's order, so the owner also has what
    the hub knew) and decided by that node when the link allows; the owner's answer carries the same
    ``request_id``. ``owner_site`` None: the hub does not know it yet (a site may have just registered it):
    the node that holds it decides; if none does, no other answer comes."""

    TYPE = "inventory.request_pending"
    request_id: str
    request_type: str
    owner_site: str | None = None
    asset_tags: list[str] = Field(default_factory=list)
    detail: str
    request: dict[str, Any] | None = None  # the request as it arrived (payload, no envelope)


class InventoryCommandRejected(Rejection):
    """``reason``: duplicate (request already answered), duplicate_tag, unknown_tag, unknown_site,
    unknown_transfer, unknown_reservation, unknown_conflict, negative_price, negative_amount (deposit, repair
    cost), not_held (a wish about an asset another site holds), not_available, not_on_loan, not_in_transfer,
    not_in_transit, wrong_destination, same_site, reserved, overlap, not_enough_assets, not_active, past,
    invalid_due_date, citizen_required, agreement_missing, not_renewable, renewal_limit, not_in_maintenance,
    no_change, already_resolved, already_retired. ``not_held`` also answers a request made at a site about
    something another node decides (a site's requests are read by no other node)."""

    TYPE = "inventory.command_rejected"
    asset_tag: str | None = None
