"""The lean path for the hot reads answers exactly as the full application does.

The same request is answered once through every layer (an ``Origin`` header, or a page not
cached yet, sends it there) and once by the lean path; status, body and headers must agree, apart
from the request id (new each time) and what CORS adds for a cross-origin request.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from adda_dashboard.adapters.metrics import sample_totals
from adda_dashboard.bootstrap import Container
from tests.factories import valid_entry

ORIGIN = "http://localhost:5173"  # an allowed origin: the request goes through CORS


def comparable(response: Any) -> dict[str, str]:
    headers = {k.lower(): v for k, v in response.headers.items()}
    for name in ("x-request-id", "date", "server", "access-control-allow-origin"):
        headers.pop(name, None)
    if "access-control-allow-credentials" in headers:  # only on the cross-origin answer
        headers.pop("access-control-allow-credentials")
        headers.pop("access-control-expose-headers", None)
    return headers


@pytest.mark.parametrize("path", ["/api/data", "/api/filters", "/api/leaderboard"])
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_lean_answer_equals_the_full_answer(
    client: TestClient, editor: dict[str, str], path: str, encoding: str
) -> None:
    client.post("/api/add", json=valid_entry(), headers=editor)
    asked = {**editor, "Accept-Encoding": encoding}
    full = client.get(path, headers={**asked, "Origin": ORIGIN})
    lean = client.get(path, headers=asked)
    assert full.status_code == lean.status_code == 200
    assert lean.content == full.content
    assert comparable(lean) == comparable(full)
    assert lean.headers["vary"] == "Accept-Encoding, Origin"
    assert len(lean.headers["x-request-id"]) == 32


def test_a_filtered_page_is_the_routes_answer_on_every_request(
    client: TestClient, editor: dict[str, str]
) -> None:
    client.post("/api/add", json=valid_entry(**{"Vertical Name": "SSC"}), headers=editor)
    url = "/api/data?vertical=SSC&limit=50&_=123"
    first = client.get(url, headers=editor)  # not cached yet: the route builds and caches it
    again = client.get(url, headers=editor)  # served from the cache by the lean path
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert comparable(again) == comparable(first)
    # The same query in another order is the same page; another query is another page.
    reordered = client.get("/api/data?limit=50&vertical=SSC", headers=editor)
    assert reordered.content == first.content
    other = client.get("/api/data?vertical=SSC&limit=1", headers=editor)
    assert other.json()["count"] == 1 and other.content != first.content


def test_a_write_is_seen_by_the_next_lean_read_of_a_page(
    client: TestClient, editor: dict[str, str]
) -> None:
    url = "/api/data?vertical=SSC&limit=200"
    before = client.get(url, headers=editor)
    client.get(url, headers=editor)  # cached now
    added = client.post(
        "/api/add", json=valid_entry(**{"Vertical Name": "SSC"}), headers=editor
    ).json()["id"]
    after = client.get(url, headers={**editor, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200, "a 304 here would be a stale read"
    assert added in {row["id"] for row in after.json()["data"]}


def test_conditional_and_head_requests_on_the_lean_path(
    client: TestClient, editor: dict[str, str]
) -> None:
    plain = {**editor, "Accept-Encoding": "identity"}
    first = client.get("/api/filters", headers=plain)
    held = client.get("/api/filters", headers={**plain, "If-None-Match": first.headers["etag"]})
    assert held.status_code == 304 and held.content == b""
    assert held.headers["etag"] == first.headers["etag"]
    head = client.head("/api/filters", headers=plain)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(first.content))


def test_the_lean_path_echoes_a_sane_request_id_and_replaces_a_bad_one(
    client: TestClient, editor: dict[str, str]
) -> None:
    client.get("/api/filters", headers=editor)
    sane = client.get("/api/filters", headers={**editor, "X-Request-ID": "trace-42.a_b"})
    assert sane.headers["x-request-id"] == "trace-42.a_b"
    bad = client.get("/api/filters", headers={**editor, "X-Request-ID": "no spaces <here>"})
    assert bad.headers["x-request-id"] != "no spaces <here>"
    assert len(bad.headers["x-request-id"]) == 32


def test_bad_tokens_and_missing_tokens_get_the_full_paths_answers(client: TestClient) -> None:
    missing = client.get("/api/data")
    assert missing.status_code == 401 and missing.json()["success"] is False
    forged = client.get("/api/data", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401 and forged.json()["error"] == "Invalid token"


def test_lean_answers_are_counted_in_the_metrics(
    client: TestClient, editor: dict[str, str], container: Container
) -> None:
    client.get("/api/filters", headers=editor)
    before = sample_totals()
    for _ in range(5):
        assert client.get("/api/filters", headers=editor).status_code == 200
    after = sample_totals()
    assert after["requests"] - before["requests"] == 5
    assert after["successful"] - before["successful"] == 5


def test_concurrent_reads_after_a_write_share_one_build(
    container: Container,
    editor: dict[str, str],
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Waiting reads await the one build on the event loop instead of each holding a thread
    (which starved writes of threads), and one build serves them all."""
    import asyncio
    import concurrent.futures
    import threading
    import time

    import httpx

    client.get("/api/data", headers=editor)
    client.post("/api/add", json=valid_entry(), headers=editor)  # every snapshot is stale now
    misses = container.snapshots.stats.misses
    inside, most = 0, 0
    lock = threading.Lock()
    real_get = container.snapshots.get

    def counting_get(*args: Any, **kwargs: Any) -> Any:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        try:
            time.sleep(0.2)  # a slow build: every other read arrives meanwhile
            return real_get(*args, **kwargs)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(container.snapshots, "get", counting_get)

    async def read_all() -> list[int]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            answers = await asyncio.gather(
                *(http.get("/api/data", headers=editor) for _ in range(40))
            )
        return [answer.status_code for answer in answers]

    # A loop of its own on a thread of its own: this worker may already run one (the browser
    # tests' Playwright keeps its loop for the whole session).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        statuses = pool.submit(asyncio.run, read_all()).result(timeout=60)
    assert statuses == [200] * 40
    assert most == 1, f"{most} threads were busy with one snapshot at once"
    assert container.snapshots.stats.misses == misses + 1
