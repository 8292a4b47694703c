"""An application of its own for tests that need settings the shared container does not have
(open reads, legacy sign-in, tight sign-in limits, Redis)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container, bootstrap
from tests.conftest import make_settings


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
def client_of(
    container: Container, address: str = "testclient"
) -> Iterator[TestClient]:
    """A client whose requests come from ``address`` (a label only: nothing leaves the process)."""
    with TestClient(create_app(container=container), client=(address, 50000)) as client:
        yield client
