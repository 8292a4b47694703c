"""Queries only: each function runs one query, named by what it does; no commits here."""
