"""Adda Dashboard: the Shorts team's content tracker, API and dashboard."""

__version__ = "0.1.0"
