"""The inventory service (to be built: see the open issues)."""
