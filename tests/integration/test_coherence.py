"""Caches across processes and servers: a write is seen on the very next request everywhere,
and /metrics speaks for every worker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD, valid_entry
from tests.integration.live_servers import live_server, login, prepare_database, server_env
from tests.redis_support import redis_url_or_skip

pytestmark = pytest.mark.slow
WRITES = 200
ADMIN = "coherence.admin@adda247.com"


@pytest.fixture
def prepared(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    prepare_database(database_url, tmp_path, ADMIN)
    yield database_url, tmp_path


def _check_reader_sees(
    reader: httpx.Client,
    headers: dict[str, str],
    etag: str | None,
    expect_id: int,
    expect_brief: str,
) -> str:
    """Read /api/data as a browser does (If-None-Match); the write must be there."""
    sent = {**headers, **({"If-None-Match": etag} if etag else {})}
    response = reader.get("/api/data", headers=sent)
    assert response.status_code == 200, "a 304 here would be a stale read"
    rows = {row["id"]: row for row in response.json()["data"]}
    assert expect_id in rows, f"stale read: entry {expect_id} missing"
    assert rows[expect_id]["Editor Brief"] == expect_brief, "stale read: old value served"
    return response.headers["etag"]


def _write_then_read_everywhere(
    writer: httpx.Client, readers: list[httpx.Client], headers: dict[str, str]
) -> int:
    etags: list[str | None] = [None] * len(readers)
    last_id = 0
    checked = 0
    for i in range(WRITES):
        marker = f"w{i}-{uuid.uuid4().hex[:6]}"
        if i % 2 == 0 or last_id == 0:
            response = writer.post(
                "/api/add", json=valid_entry(**{"Editor Brief": marker}), headers=headers
            )
            last_id = response.json()["id"]
        else:
            response = writer.put(
                f"/api/update/{last_id}", json={"Editor Brief": marker}, headers=headers
            )
        assert response.status_code == 200, response.text
        for n, reader in enumerate(readers):
            etags[n] = _check_reader_sees(reader, headers, etags[n], last_id, marker)
            checked += 1
    return checked


@pytest.mark.parametrize("with_redis", [False, True], ids=["database", "redis"])
def test_four_workers_see_every_write_on_their_next_request(
    prepared: tuple[str, Path], with_redis: bool
) -> None:
    database_url, var_dir = prepared
    extra = {}
    if with_redis:
        extra = {
            "ADDA_REDIS_URL": redis_url_or_skip(),
            "ADDA_CACHE_PREFIX": f"t{uuid.uuid4().hex[:8]}",
        }
    env = server_env(database_url, var_dir, **extra)
    with ExitStack() as stack:
        bases = [stack.enter_context(live_server(env)) for _ in range(4)]
        clients = [stack.enter_context(httpx.Client(base_url=b, timeout=30)) for b in bases]
        headers = login(bases[0], ADMIN, PASSWORD)
        for client in clients[1:]:  # warm every worker's cache before the writes begin
            assert client.get("/api/data", headers=headers).status_code == 200
        checked = _write_then_read_everywhere(clients[0], clients[1:], headers)
    assert checked == WRITES * 3


def test_two_servers_sharing_postgres_and_redis_see_each_others_writes(
    prepared: tuple[str, Path],
) -> None:
    database_url, var_dir = prepared
    if not database_url.startswith("postgresql"):
        pytest.skip("the two-server case is the PostgreSQL + Redis deployment")
    env = server_env(
        database_url,
        var_dir,
        ADDA_REDIS_URL=redis_url_or_skip(),
        ADDA_CACHE_PREFIX=f"t{uuid.uuid4().hex[:8]}",
    )
    with ExitStack() as stack:
        server_a = stack.enter_context(live_server(env, workers=2))
        server_b = stack.enter_context(live_server(env, workers=2))
        writer = stack.enter_context(httpx.Client(base_url=server_a, timeout=30))
        # Several connections to server B, so that reads land on both of its workers.
        readers = [
            stack.enter_context(httpx.Client(base_url=server_b, timeout=30)) for _ in range(3)
        ]
        headers = login(server_a, ADMIN, PASSWORD)
        checked = _write_then_read_everywhere(writer, readers, headers)
    assert checked == WRITES * 3


def test_metrics_totals_count_requests_of_every_worker(prepared: tuple[str, Path]) -> None:
    database_url, var_dir = prepared
    with live_server(server_env(database_url, var_dir), workers=4) as base:
        # Start-up health probes were counted too: take the count before, which the reading
        # request itself then adds one to.
        before = httpx.get(f"{base}/metrics", timeout=30).json()["requests"]
        sent = 1
        headers = login(base, ADMIN, PASSWORD)
        sent += 1
        statuses: dict[int, int] = {}
        # New connections each time, so the requests spread over the workers.
        for i in range(120):
            path = "/api/data" if i % 3 else "/no-such-route"
            status = httpx.get(f"{base}{path}", headers=headers, timeout=30).status_code
            statuses[status] = statuses.get(status, 0) + 1
            sent += 1
        metrics = httpx.get(f"{base}/metrics", timeout=30).json()["requests"]
    assert statuses == {200: 80, 404: 40}
    assert metrics["total"] == before["total"] + sent
    assert metrics["successful"] == before["successful"] + 82
    assert metrics["failed"] == before["failed"] + 40
