"""Redis is an accelerator, never a point of failure: stopping it mid-run costs no 5xx and no
stale read, the degradation is reported, and the app recovers when Redis returns."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from adda_dashboard.adapters.redis_link import RETRY_AFTER_FAILURE_S
from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.domain.roles import Role
from tests.backends import reset
from tests.conftest import make_settings
from tests.factories import login, make_user, valid_entry
from tests.integration.live_servers import free_port

REDIS_SERVER = shutil.which("redis-server")


@contextmanager
def own_redis(port: int, workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Redis server of this test's own on ``port`` (so stopping it touches nothing else)."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def app_with_redis(
    database_url: str, var_dir: Path, redis_port: int
) -> Iterator[tuple[Container, TestClient]]:
    settings = make_settings(
        database_url,
        var_dir,
        redis_url=f"redis://127.0.0.1:{redis_port}/0",
        cache_prefix=f"t{uuid.uuid4().hex[:8]}",
    )
    container = bootstrap(settings, run_migrations=False)
    container.taxonomy.load_packaged()
    try:
        with TestClient(create_app(container=container)) as client:
            yield container, client
    finally:
        container.close()


def test_stopping_redis_mid_run_degrades_without_errors_and_recovers(
    database_url: str, tmp_path: Path
) -> None:
    reset(database_url)
    port = free_port()
    statuses: list[int] = []
    with (
        own_redis(port, tmp_path) as first_redis,
        app_with_redis(database_url, tmp_path, port) as (container, client),
    ):
        headers = login(client, make_user(container, Role.editor))

        def add_and_read(marker: str) -> None:
            added = client.post(
                "/api/add", json=valid_entry(**{"Editor Brief": marker}), headers=headers
            )
            statuses.append(added.status_code)
            data = client.get("/api/data", headers=headers)
            statuses.append(data.status_code)
            assert marker in {row["Editor Brief"] for row in data.json()["data"]}

        add_and_read("before")
        services = client.get("/health/detailed").json()["services"]
        assert (services["redis"], services["job_queue"]) == ("healthy", "healthy")

        first_redis.terminate()
        first_redis.wait(timeout=10)
        for i in range(5):
            add_and_read(f"during-{i}")
        health = client.get("/health/detailed")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["services"]["redis"] == "unhealthy"
        # The job queue lives in the same Redis: reported down too, still only a degradation.
        assert health.json()["services"]["job_queue"] == "unhealthy"
        assert health.json()["degraded"] == ["redis", "job_queue"]

        with own_redis(port, tmp_path):
            time.sleep(RETRY_AFTER_FAILURE_S)  # the back-off the link announces, then it retries
            health = client.get("/health/detailed").json()
            assert health["status"] == "healthy"
            assert health["services"]["redis"] == "healthy"
            assert health["services"]["job_queue"] == "healthy"
            add_and_read("after")
            # Writes made during the outage were published on recovery: Redis agrees with the
            # database, and every entry is served.
            published = redis.Redis(port=port).get(container.versions.key)
            assert int(published) == container.versions.from_database()
            rows = client.get("/api/data", headers=headers).json()["data"]
            assert len(rows) == 7
    assert all(status < 500 for status in statuses), statuses
