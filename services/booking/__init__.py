"""Booking: workshops, workstation slots and appointments, seats, waitlists and attendance.

Read in this order: model.py (the rules), handlers.py (one function per message), store.py
(tables, repositories, unit of work), app.py (wiring).
"""
