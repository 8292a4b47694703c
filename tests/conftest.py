"""Fixtures: every API test runs on SQLite and on PostgreSQL, on a migrated real database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.domain.roles import Role
from adda_dashboard.settings import Settings
from tests import factories
from tests.backends import BACKENDS, fresh_database, reset

pytest_plugins = ["tests.video_fixtures", "tests.sheet_fixtures"]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


def make_settings(database_url: str, var_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "var_dir": var_dir,
        "environment": "test",
        "jwt_secret": "test-secret-" + "x" * 40,
        "db_pool_size": 5,
        # Request budgets are exercised by their own tests; elsewhere they would only couple
        # unrelated tests that share a process and a client address.
        "rate_limits_enabled": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def session_container(database_url: str, var_dir: Path) -> Iterator[Container]:
    container = bootstrap(make_settings(database_url, var_dir), run_migrations=False)
    yield container
    container.close()


@pytest.fixture
def container(session_container: Container, database_url: str) -> Container:
    """The shared container over a database emptied before each test."""
    reset(database_url)
    # The database was emptied behind the app's back: versions restart, so drop cached answers.
    session_container.snapshots.clear_local()
    session_container.snapshots.clear_shared()
    assert session_container.live is not None
    session_container.live.forget()
    session_container.taxonomy.load_packaged()
    # Failed sign-ins and links asked for are state too: one test's must not limit the next.
    session_container.login_throttle.reset()
    session_container.verification.throttle.reset()
    return session_container


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container=container)) as test_client:
        yield test_client


@pytest.fixture
def contributor(client: TestClient, container: Container) -> dict[str, str]:
    return factories.user_headers(client, container, Role.contributor)


@pytest.fixture
def editor(client: TestClient, container: Container) -> dict[str, str]:
    return factories.user_headers(client, container, Role.editor)


@pytest.fixture
def admin(client: TestClient, container: Container) -> dict[str, str]:
    return factories.user_headers(client, container, Role.admin)


@pytest.fixture
def viewer(client: TestClient, container: Container) -> dict[str, str]:
    return factories.user_headers(client, container, Role.viewer)
