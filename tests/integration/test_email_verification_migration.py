"""Migration 0006 on SQLite and PostgreSQL: accounts made before it are verified (they sign in
as before), the models agree with the migrations, and it goes down and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from adda_dashboard.db import migrate
from tests.backends import BACKENDS, fresh_database


@pytest.mark.parametrize("backend", BACKENDS)
def test_existing_accounts_end_up_verified(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        config = migrate.alembic_config(url)
        command.downgrade(config, "0005")
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO users (email, username, password_hash, role,"
                        " token_version, is_active, auth_source, created_at, updated_at)"
                        " VALUES ('old@adda247.com', 'old', NULL, 'admin', 1, true,"
                        " 'password', :at, :at)"
                    ),
                    {"at": "2026-01-02 03:04:05+00:00"},
                )
            migrate.upgrade(url)
            with engine.connect() as conn:
                verified = conn.execute(
                    text("SELECT email_verified_at FROM users WHERE email = 'old@adda247.com'")
                ).scalar_one()
                links = conn.execute(
                    text("SELECT count(*) FROM email_verification_tokens")
                ).scalar_one()
        finally:
            engine.dispose()
        assert verified is not None
        assert str(verified).startswith("2026-01-02 03:04:05")
        assert links == 0
        migrate.check(url)
