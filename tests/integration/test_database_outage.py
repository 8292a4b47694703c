"""``serve --prod``, on either server, while its PostgreSQL stops and starts again under
load: every answer is a 2xx or a 503 naming the database with ``Retry-After`` (JSON for the
API, a page for the dashboard), no connection is dropped, and writes succeed again soon after
the restart, with nothing restarted but the database."""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from adda_dashboard.db import migrate
from tests.factories import PASSWORD, valid_entry
from tests.integration.live_servers import live_server, login, prepare_database, server_env
from tests.integration.own_postgres import OwnCluster, own_cluster

pytestmark = pytest.mark.slow
ADMIN = "outage.admin@adda247.com"
THREADS = 4
WORKERS = 2
UP_BEFORE_S = 2.5
DOWN_FOR_S = 3.0
RECOVERY_LIMIT_S = 15.0
UP_AFTER_S = 2.0


@pytest.fixture(params=["gunicorn", "granian"])
def server_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cluster() -> Iterator[OwnCluster]:
    with own_cluster() as started:
        migrate.upgrade(started.url)
        yield started


@dataclass
class Tally:
    """What the load threads saw; appended to under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: list[tuple[float, str, int]] = field(default_factory=list)
    bad_unavailable: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    connections_opened: int = 0

    def count_connects(self, event: str, _info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            with self.lock:
                self.connections_opened += 1

    def first_write_after(self, moment: float) -> float | None:
        with self.lock:
            times = [t for t, kind, s in self.answers if kind == "write" and s < 300 and t > moment]
        return min(times) if times else None


def unavailable_problem(kind: str, response: httpx.Response) -> str | None:
    """Why a 503 is not the database-unavailable answer, or None when it is."""
    if response.headers.get("retry-after") != "5":
        return f"{kind}: no Retry-After: 5 ({response.headers})"
    if kind == "page":
        if "text/html" not in response.headers.get("content-type", ""):
            return f"page: not HTML ({response.headers.get('content-type')})"
        return None if "database is unavailable" in response.text else f"page: {response.text}"
    body = response.json()
    if body.get("success") is not False or "database is unavailable" not in body.get("error", ""):
        return f"{kind}: {body}"
    return None if body.get("request_id") else f"{kind}: no request id: {body}"


def load(
    base: str, headers: dict[str, str], entry_id: int, tally: Tally, stop: threading.Event
) -> None:
    """Reads (the lean list, one entry, a dashboard page) and writes on one kept connection."""
    requests = [
        ("list", "GET", "/api/data"),
        ("entry", "GET", f"/api/entries/{entry_id}"),
        ("write", "POST", "/api/add"),
        ("page", "GET", "/ui/"),
    ]
    extensions = {"trace": tally.count_connects}
    with httpx.Client(base_url=base, headers=headers, timeout=20) as client:
        step = 0
        while not stop.is_set():
            kind, method, path = requests[step % len(requests)]
            step += 1
            body = None
            if method == "POST":
                video = secrets.token_urlsafe(8)[:11]
                link = f"https://youtube.com/shorts/{video}"
                body = valid_entry(**{"Video Link": link, "VideoId": video})
            try:
                response = client.request(method, path, json=body, extensions=extensions)
            except httpx.TransportError as exc:
                with tally.lock:
                    tally.transport_errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            problem = unavailable_problem(kind, response) if response.status_code == 503 else None
            with tally.lock:
                tally.answers.append((time.monotonic(), kind, response.status_code))
                if problem is not None:
                    tally.bad_unavailable.append(problem)
            time.sleep(0.01)


def test_database_stop_answers_503_keeps_connections_and_recovers_by_itself(
    cluster: OwnCluster, server_name: str, tmp_path: Path
) -> None:
    prepare_database(cluster.url, tmp_path, ADMIN)
    with live_server(
        server_env(cluster.url, tmp_path), workers=WORKERS, server=server_name
    ) as base:
        headers = login(base, ADMIN, PASSWORD)
        added = httpx.post(f"{base}/api/add", json=valid_entry(), headers=headers, timeout=30)
        assert added.status_code == 200, added.text
        entry_id = int(added.json()["id"])
        tally, stop = Tally(), threading.Event()
        threads = [
            threading.Thread(target=load, args=(base, headers, entry_id, tally, stop))
            for _ in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(UP_BEFORE_S)
            cluster.stop("fast")
            time.sleep(DOWN_FOR_S)
            cluster.start()
            back = time.monotonic()
            deadline = back + RECOVERY_LIMIT_S
            while tally.first_write_after(back) is None and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(UP_AFTER_S)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
    # The server's output and its error log, read once it has exited.
    logs = "".join(path.read_text() for path in sorted(tmp_path.glob("*.log")))
    by_status = Counter(status for _t, _kind, status in tally.answers)
    by_kind = Counter((kind, status) for _t, kind, status in tally.answers)
    print(f"\nanswers by status: {dict(by_status)}; by kind: {dict(by_kind)}")
    print(f"connections opened: {tally.connections_opened} by {THREADS} clients")
    recovered = tally.first_write_after(back)
    if recovered is not None:
        print(f"first write after the restart: {recovered - back:.2f} s")
    assert not tally.transport_errors, tally.transport_errors[:5]
    assert tally.connections_opened == THREADS  # no connection was closed under a client
    assert set(by_status) <= {200, 201, 503}, by_status
    assert by_status[503] > 0  # the stop was felt
    assert not tally.bad_unavailable, tally.bad_unavailable[:5]
    assert recovered is not None, f"no write succeeded in {RECOVERY_LIMIT_S} s after the restart"
    # One line per burst and worker, and no stack trace.
    assert "Traceback" not in logs, logs[-3000:]
    assert 1 <= logs.count("database_unavailable") <= 2 * WORKERS, logs[-3000:]
