"""The one lean query behind every authenticated request: the user's token facts and the live
dataset version. It runs on every request, so it uses a pooled DBAPI connection directly (about
16 µs on SQLite against about 100 µs through a Core statement)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from adda_dashboard.db.engine import fetch_plain

_FACTS = (
    "SELECT u.token_version, u.role, u.is_active, u.email, c.value "
    "FROM users u, counters c WHERE u.id = {p} AND c.name = 'dataset_version'"
)
_VERSION = "SELECT value FROM counters WHERE name = 'dataset_version'"


def user_facts_and_version(engine: Engine, user_id: int) -> tuple[Any, ...] | None:
    """(token_version, role, is_active, email, dataset_version), or None for an unknown user."""
    rows = fetch_plain(engine, _FACTS, (user_id,))
    return rows[0] if rows else None


def dataset_version(engine: Engine) -> int:
    rows = fetch_plain(engine, _VERSION)
    return int(rows[0][0]) if rows else 0
