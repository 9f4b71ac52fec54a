"""Maillage's shared package: the event contract and the plumbing every service imports."""
