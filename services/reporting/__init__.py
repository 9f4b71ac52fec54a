"""The reporting service (to be built: see the open issues)."""
