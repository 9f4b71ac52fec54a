"""The notifications service (to be built: see the open issues)."""
