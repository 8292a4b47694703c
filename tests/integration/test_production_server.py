"""``serve --prod``, on either server: every answer counted once in /metrics whichever worker
gave it (the lean path's too), one access-log line per request, and a graceful restart on HUP
that replaces the workers while the server keeps answering."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD, valid_entry
from tests.integration.live_servers import live_server, login, prepare_database, server_env

pytestmark = pytest.mark.slow
ADMIN = "server.admin@adda247.com"


@pytest.fixture(params=["gunicorn", "granian"])
def server_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def prepared(database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a server over a database with the admin in it."""
    prepare_database(database_url, tmp_path, ADMIN)
    yield server_env(database_url, tmp_path)


def workers_of(master: int) -> set[int]:
    tasks = Path(f"/proc/{master}/task")
    return {int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()}


def get_on_new_connection(url: str, headers: dict[str, str]) -> int:
    return httpx.get(url, headers=headers, timeout=30).status_code


def test_metrics_and_access_log_count_each_request_once(
    prepared: dict[str, str], server_name: str
) -> None:
    env = prepared
    with live_server(env, workers=2, server=server_name) as base:
        headers = login(base, ADMIN, PASSWORD)
        httpx.post(f"{base}/api/add", json=valid_entry(), headers=headers, timeout=30)
        before = httpx.get(f"{base}/metrics", timeout=30).json()["requests"]
        paths = ["/api/filters", "/api/data", "/api/data?limit=5", "/api/leaderboard", "/nope"]
        urls = [f"{base}{paths[i % len(paths)]}" for i in range(150)]
        # Many connections at once, so both workers and the lean path answer some.
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda u: get_on_new_connection(u, headers), urls))
        after = httpx.get(f"{base}/metrics", timeout=30).json()["requests"]
    assert statuses.count(200) == 120 and statuses.count(404) == 30
    assert after["total"] == before["total"] + 150 + 1  # and the reading request itself
    assert after["successful"] == before["successful"] + 121
    assert after["failed"] == before["failed"] + 30
    lines = Path(env["ADDA_ACCESS_LOG"]).read_text().splitlines()
    assert sum('"GET /api/data?limit=5 HTTP/1.1" 200' in line for line in lines) == 30
    assert sum('"GET /nope HTTP/1.1" 404' in line for line in lines) == 30


def test_hup_replaces_the_workers_while_the_server_keeps_answering(
    prepared: dict[str, str], server_name: str
) -> None:
    env = prepared
    with live_server(env, workers=2, server=server_name) as base:
        pid_file = Path(env["ADDA_VAR_DIR"]) / f"server-{base.rsplit(':', 1)[1]}.pid"
        headers = login(base, ADMIN, PASSWORD)
        # Read once: Gunicorn rewrites its pid file on reload, briefly leaving none.
        master = int(pid_file.read_text().strip())
        old = workers_of(master)
        assert len(old) == 2
        os.kill(master, signal.SIGHUP)
        deadline = time.monotonic() + 60
        answered = 0
        while time.monotonic() < deadline and workers_of(master) & old:
            # Sequential requests on new connections all through the restart.
            assert get_on_new_connection(f"{base}/api/filters", headers) == 200
            answered += 1
        new = workers_of(master)
        assert not new & old, "the old workers are still there after a minute"
        assert answered > 0
        assert get_on_new_connection(f"{base}/api/filters", headers) == 200
