"""Privacy: erasure everywhere (even offline sites), retention, access log, export, processing register.

Where personal data lives (DESIGN §7). Names and contact details are in one place per node: the
notifications directory, fed by ``directory.contact_registered``. Every other event and table names
a person by the pseudonymous ``citizen_id`` with age bracket, commune and status only.

Why contact cards travel as events, and are *erased from the streams* on erasure. A site registers
people while offline, and the hub's notifications service must reach them later: the card has to
cross site → hub after the link comes back, and JetStream sourcing is how anything crosses. The
alternative — cards never in a stream, only a local write — would leave the hub unable to send a
site's confirmations, or need a second, home-made sync channel (DESIGN §1 forbids one). So:

- a card lives in ``TL_<SITE>`` (the site) and ``TL_NETWORK`` (the hub), never in ``HUB_TO_<SITE>``
  (``network.HUB_TO_SITE_SUBJECTS``); streams keep events at most ``stream_max_age_days``, which the
  settings refuse to set beyond the retention period — retention cannot leave a copy behind;
- ``maillage privacy erase`` at the hub publishes ``privacy.citizen_erased``; every node's privacy
  service logs it (id + date only), queues a *scrub*, and the scrub job erases, in every stream of
  the node, the contact cards and bot messages about the person with JetStream's secure delete
  (the bytes are overwritten, not just unlinked), then reports ``privacy.erasure_applied``;
- a site offline at the time gets the erasure through ``HUB_TO_<SITE>`` when it reconnects; a card
  that reaches a node after the erasure (registered offline before it) is stale: notifications
  never creates the row, and the scrub erases the late copy too. Replaying a stream therefore
  never recreates a profile — the cards are gone, and the erasure log guards what is still in flight;
- notifications deletes the directory rows with SQLite's ``secure_delete`` and then checkpoints the
  WAL (``TRUNCATE``) so no older page survives in the ``-wal`` file; queued messages are cancelled.

Retention: the hub's job anonymises people with no activity for ``privacy_inactivity_months``
(default 12) through the same erasure; activity records (bookings, visits, loans) stay, keyed by an
id nothing links to a person any more, so reports still count them.

Export (``maillage privacy export``) reads the other services' tables of this node directly,
read-only (SQLite opened ``mode=ro``; PostgreSQL in a read-only transaction), through the small
queries in ``export_queries.py``: a one-off bundle for the person, not a service-to-service API.
Every export, view and erasure is written to the access log with the staff member's id.
"""
