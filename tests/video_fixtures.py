"""Fixtures for the video tests: sample files, and an application with its own storage,
queue and settings over the (emptied) test database."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from adda_dashboard.adapters.address_guard import Resolver, system_resolver
from adda_dashboard.adapters.queue import BackgroundWorker
from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.db.models import User
from adda_dashboard.domain.roles import Role
from tests.conftest import make_settings
from tests.video_support import Samples, make_samples

_serial = itertools.count(1)


@dataclass
class VideoStack:
    container: Container
    client: TestClient
    root: Path
    stack: ExitStack

    @property
    def video_dir(self) -> Path:
        return self.root / "var" / "videos"

    def headers(self, role: Role = Role.contributor) -> dict[str, str]:
        """A new user's Authorization header, from the real token signer.

        The account has no password, so no password hash is computed: sign-in itself is
        tested elsewhere, and hashing would dominate these tests' time.
        """
        email = f"video{next(_serial)}.{role.value}@adda247.com"
        self.container.users.create(email=email, role=role, password=None)
        with self.container.db.read() as session:
            user = session.execute(select(User).where(User.email == email)).scalar_one()
            session.expunge_all()
        token = self.container.auth.session_for(user, "password")["token"]
        return {"Authorization": f"Bearer {token}"}

    def worker(self, threads: int = 2) -> BackgroundWorker:
        """A queue consumer on threads of this process; stopped with the stack."""
        worker = BackgroundWorker(self.container.queue, workers=threads, periodic=False)
        self.stack.callback(worker.stop)
        return worker.start()


def video_settings(root: Path, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "log_dir": root / "logs",
        "video_min_free_disk_mb": 0,
        "download_allow_loopback": True,  # the stand-in video hosts listen on 127.0.0.1
        "download_retry_wait_seconds": 0.01,
        "job_heartbeat_seconds": 0.2,
        "worker_poll_seconds": 0.1,
        "public_base_url": "http://testserver",
        "rate_limits_enabled": False,  # tests poll status far faster than people do
    }
    values.update(overrides)
    return values


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    return make_samples(tmp_path_factory.mktemp("samples"))


@pytest.fixture
def video_stack(
    container: Container, database_url: str, tmp_path: Path
) -> Iterator[Callable[..., VideoStack]]:
    """``video_stack(resolver=..., **settings)``: an app with its own var dir over the emptied
    database; ``resolver`` stands in for DNS in the download address guard."""
    with ExitStack() as stack:
        count = 0

        def build(*, resolver: Resolver = system_resolver, **overrides: Any) -> VideoStack:
            nonlocal count
            count += 1
            root = tmp_path / f"app{count}"
            settings = make_settings(
                database_url, root / "var", **video_settings(root, **overrides)
            )
            own = bootstrap(settings, run_migrations=False, resolver=resolver)
            own.taxonomy.load_packaged()
            stack.callback(own.close)
            client = stack.enter_context(TestClient(create_app(container=own)))
            return VideoStack(container=own, client=client, root=root, stack=stack)

        yield build
