"""Reporting: the funder's indicators, national activity records (CRA), open data, the period report and
the dashboard — all computed from the event log, reproducible, never counting what did not happen.

Read in this order: model.py and equipment.py (facts and how they merge, order-independent),
projections.py (what each event says), indicators.py (the figures and their definitions),
tables.py / store.py / queries.py (read models), cra.py, opendata.py, report.py + render.py +
charts.py, dashboard.py, rebuild.py, app.py (wiring), cli.py (``maillage report`` / ``maillage reporting``).
"""
