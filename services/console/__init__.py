"""The staff console: a web app served by every node (so a site keeps it with the link down) that uses
only the public event contract — its own read model fed by outcome events, requests published like any
client's — with per-site staff accounts."""
