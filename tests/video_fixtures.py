"""Fixtures for the video tests: sample files, and an application with its own storage,
queue and settings over the (emptied) test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from adda_dashboard.adapters.queue import BackgroundWorker
from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.conftest import make_settings
from tests.video_support import Samples, make_samples


@dataclass
class VideoStack:
    container: Container
    client: TestClient
    root: Path
    stack: ExitStack

    @property
    def video_dir(self) -> Path:
        return self.root / "var" / "videos"

    def headers(self, role: Role = Role.contributor, email: str | None = None) -> dict[str, str]:
        return factories.user_headers(self.client, self.container, role, email)

    def worker(self, threads: int = 2) -> BackgroundWorker:
        """A queue consumer on threads of this process; stopped with the stack."""
        worker = BackgroundWorker(self.container.queue, workers=threads, periodic=False)
        self.stack.callback(worker.stop)
        return worker.start()


def video_settings(root: Path, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "log_dir": root / "logs",
        "video_min_free_disk_mb": 0,
        "download_allow_private": True,
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
    """``video_stack(**settings)``: an app with its own var dir over the emptied database."""
    with ExitStack() as stack:
        count = 0

        def build(**overrides: Any) -> VideoStack:
            nonlocal count
            count += 1
            root = tmp_path / f"app{count}"
            settings = make_settings(database_url, root / "var", **video_settings(root, **overrides))
            own = bootstrap(settings, run_migrations=False)
            own.taxonomy.load_packaged()
            stack.callback(own.close)
            client = stack.enter_context(TestClient(create_app(container=own)))
            return VideoStack(container=own, client=client, root=root, stack=stack)

        yield build
