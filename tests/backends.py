"""Test databases: a fresh SQLite file or a fresh PostgreSQL database, built by the migrations.

PostgreSQL is found at ADDA_TEST_POSTGRES_URL (default: the local server, database ``test``).
Where it is absent the PostgreSQL half of the suite is skipped with a loud warning, except under
CI (``CI`` set), where its absence is an error.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from adda_dashboard.db import migrate

POSTGRES_ADMIN_URL = os.environ.get(
    "ADDA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def postgres_available() -> str | None:
    """None when reachable, else the reason."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def require_postgres() -> None:
    reason = postgres_available()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required under CI and is not reachable: {reason}")
    message = f"PostgreSQL NOT AVAILABLE, its tests are SKIPPED: {reason}"
    print(f"\n!!! {message} !!!\n", file=sys.stderr)
    pytest.skip(message)


@contextmanager
def fresh_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """A migrated, empty database of the given kind; dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{(tmp_dir / f'adda-{uuid.uuid4().hex[:8]}.db').as_posix()}"
        migrate.upgrade(url)
        yield url
        return
    require_postgres()
    name = f"adda_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reset(url: str) -> None:
    """Empty every table and restart ids, keeping the schema (faster than re-migrating)."""
    from adda_dashboard.db.base import Base
    from adda_dashboard.db.engine import build_engine

    engine = build_engine(url, pool_size=1, max_overflow=0)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("DELETE FROM sqlite_sequence"))
        else:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("INSERT INTO counters (name, value) VALUES ('sr_no', 0), ('dataset_version', 0)")
        )
    engine.dispose()
