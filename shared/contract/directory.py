"""Directory events: contact details and consent, only towards the node that needs them (DESIGN §7)."""
