"""Maillage's services: one folder each, read top to bottom in ten minutes."""
