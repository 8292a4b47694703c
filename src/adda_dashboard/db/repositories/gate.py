"""The one lean query behind every authenticated request: the user's token facts and the live
dataset version. It runs on every request, so it uses a pooled DBAPI connection directly (about
16 µs on SQLite against about 100 µs through a Core statement)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

_FACTS = (
    "SELECT u.token_version, u.role, u.is_active, u.email, c.value "
    "FROM users u, counters c WHERE u.id = {p} AND c.name = 'dataset_version'"
)
_VERSION = "SELECT value FROM counters WHERE name = 'dataset_version'"


def _placeholder(engine: Engine) -> str:
    return "?" if engine.dialect.paramstyle == "qmark" else "%s"


def user_facts_and_version(engine: Engine, user_id: int) -> tuple[Any, ...] | None:
    """(token_version, role, is_active, email, dataset_version), or None for an unknown user."""
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute(_FACTS.format(p=_placeholder(engine)), (user_id,))
        row = cursor.fetchone()
        cursor.close()
    finally:
        conn.close()
    return tuple(row) if row is not None else None


def dataset_version(engine: Engine) -> int:
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute(_VERSION)
        row = cursor.fetchone()
        cursor.close()
    finally:
        conn.close()
    return int(row[0]) if row else 0
