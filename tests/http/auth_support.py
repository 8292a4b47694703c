"""Helpers for the access-control tests: users with tokens at no hashing cost, and an
application of its own for settings the shared container does not have (open reads, legacy
sign-in, tight sign-in limits, Redis)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from adda_dashboard.adapters.passwords import hash_password
from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.models import User
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests.conftest import make_settings
from tests.factories import PASSWORD

_serial = itertools.count(1)


@functools.cache
def password_hash() -> str:
    """One real argon2id hash of ``PASSWORD``, shared: hashing costs a noticeable fraction of a
    second, and these tests are about tokens, not hashing."""
    return hash_password(PASSWORD)


def signed_in(container: Container, role: Role, email: str | None = None) -> tuple[str, str]:
    """A new user of ``role`` (password ``PASSWORD``) and a real access token for it."""
    email = email or f"member{next(_serial)}.{role.value}@adda247.com"
    with container.db.write() as session:
        user = users_repo.insert(
            session,
            User(
                email=email,
                username=email.split("@")[0],
                password_hash=password_hash(),
                role=role.value,
                auth_source="password",
                email_verified_at=utcnow(),
            ),
        )
        token = container.auth.session_for(user, "Password")["token"]
    return email, str(token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def headers_of(container: Container, role: Role, email: str | None = None) -> dict[str, str]:
    return bearer(signed_in(container, role, email)[1])


@contextmanager
def own_container(database_url: str, var_dir: Path, **settings: Any) -> Iterator[Container]:
    """A container over the test database with these settings; the caller empties it first."""
    container = bootstrap(make_settings(database_url, var_dir, **settings), run_migrations=False)
    container.taxonomy.load_packaged()
    try:
        yield container
    finally:
        container.close()


@contextmanager
def client_of(container: Container, address: str = "testclient") -> Iterator[TestClient]:
    """A client whose requests come from ``address`` (a label only: nothing leaves the process)."""
    with TestClient(create_app(container=container), client=(address, 50000)) as client:
        yield client
