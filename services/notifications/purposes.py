"""Consent per purpose as well as per channel (shared/contract/privacy.py): which messages belong to
which purpose, and what applies when the person made no choice. Staff messages have no purpose
(they are work, not messages to the public)."""

PURPOSE_OF_KIND: dict[str, str] = {
    "booking_confirmed": "booking_messages", "booking_waitlisted": "booking_messages",
    "booking_promoted": "booking_messages", "booking_cancelled": "booking_messages",
    "workshop_cancelled": "booking_messages", "workshop_rescheduled": "booking_messages",
    "loan_overdue": "booking_messages", "reminder": "reminders", "loan_due_soon": "reminders",
}
# Without an explicit choice: messages about what the person booked, and reminders, follow their
# channel consent (given when booking); newsletters need an explicit yes.
DEFAULT_PURPOSES = {"booking_messages": True, "reminders": True, "newsletters": False}
ALL_CHANNELS = "*"
