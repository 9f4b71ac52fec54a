"""Inventory: the grant-funded equipment of the network — where it is, who has it, what it is worth.

Read in this order: model.py (assets, ownership), lending.py, planning.py, transfers.py, findings.py
(the rules, no I/O); handlers.py, loan_handlers.py, upkeep_handlers.py with answers.py (one function per
message); tables.py, tracking.py, store.py (persistence, unit of work); app.py (wiring, schedule,
gauges); queries.py, history.py, cli.py (read-only views for ``maillage inventory``).
"""
