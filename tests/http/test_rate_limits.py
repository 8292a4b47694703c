"""Request budgets: 429 with Retry-After and RateLimit headers on each kind of limited route,
per user and per client address, shared across processes through Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.domain.roles import Role
from tests.backends import reset
from tests.conftest import make_settings
from tests.factories import login, make_user, valid_entry
from tests.redis_support import redis_url_or_skip

TIGHT = {
    "rate_limits_enabled": True,
    "rate_limit_read_user": "3/minute",
    "rate_limit_read_address": "100/minute",
    "rate_limit_write_user": "2/minute",
    "rate_limit_write_address": "100/minute",
    "rate_limit_expensive_user": "1/minute",
    "rate_limit_expensive_address": "100/minute",
}


@contextmanager
def limited_app(
    database_url: str, var_dir: Path, address: str = "10.1.1.1", **overrides: Any
) -> Iterator[tuple[Container, TestClient]]:
    container = bootstrap(
        make_settings(database_url, var_dir, **{**TIGHT, **overrides}), run_migrations=False
    )
    container.taxonomy.load_packaged()
    try:
        with TestClient(create_app(container=container), client=(address, 40000)) as client:
            yield container, client
    finally:
        container.close()


@pytest.fixture
def fresh(database_url: str, tmp_path: Path) -> tuple[str, Path]:
    reset(database_url)
    return database_url, tmp_path


def assert_limited(response: Any, kind: str) -> None:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["success"] is False and kind in body["error"] and body["message"]
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["ratelimit-limit"]
    assert response.headers["ratelimit-remaining"] == "0"
    assert int(response.headers["ratelimit-reset"]) >= 1


@pytest.mark.parametrize(
    ("kind", "method", "path", "allowed"),
    [
        ("read", "GET", "/api/data", 3),
        ("read", "GET", "/api/leaderboard", 3),
        ("read", "GET", "/api/filters", 3),
        ("write", "POST", "/api/add", 2),
        ("expensive", "POST", "/api/download-youtube", 1),
        ("expensive", "POST", "/api/upload-video", 1),
    ],
)
def test_each_kind_of_route_is_limited_per_user(
    fresh: tuple[str, Path], kind: str, method: str, path: str, allowed: int
) -> None:
    with limited_app(*fresh) as (container, client):
        headers = login(client, make_user(container, Role.editor))
        body = valid_entry() if path == "/api/add" else {}
        for _ in range(allowed):
            response = client.request(method, path, headers=headers, json=body)
            assert response.status_code != 429, response.text
        assert_limited(client.request(method, path, headers=headers, json=body), kind)
        # Another user from the same address still has a budget of their own.
        other = login(client, make_user(container, Role.editor))
        assert client.request(method, path, headers=other, json=body).status_code != 429


def test_address_budget_holds_whoever_asks(fresh: tuple[str, Path]) -> None:
    with limited_app(
        *fresh, rate_limit_read_user="100/minute", rate_limit_read_address="4/minute"
    ) as (container, client):
        users = [login(client, make_user(container, Role.viewer)) for _ in range(5)]
        statuses = [client.get("/api/exams", headers=h).status_code for h in users]
        assert statuses[:4] == [200] * 4
        assert_limited(client.get("/api/exams", headers=users[4]), "read")
        assert client.get("/health").status_code == 200  # service endpoints are not limited


def test_limits_hold_across_two_processes_sharing_redis(fresh: tuple[str, Path]) -> None:
    shared = {"redis_url": redis_url_or_skip(), "cache_prefix": f"t{uuid.uuid4().hex[:8]}"}
    with (
        limited_app(*fresh, **shared) as (container_a, client_a),
        limited_app(*fresh, **shared) as (_container_b, client_b),
    ):
        headers = login(client_a, make_user(container_a, Role.editor))
        assert client_a.post("/api/add", headers=headers, json=valid_entry()).status_code == 200
        assert client_b.post("/api/add", headers=headers, json=valid_entry()).status_code == 200
        assert_limited(client_a.post("/api/add", headers=headers, json=valid_entry()), "write")
        assert_limited(client_b.post("/api/add", headers=headers, json=valid_entry()), "write")
        container_a.request_limiter.reset()  # type: ignore[union-attr]


def test_dashboard_pages_draw_on_the_same_budgets_and_say_so_in_the_page(
    fresh: tuple[str, Path],
) -> None:
    with limited_app(*fresh) as (container, client):
        headers = login(client, make_user(container, Role.editor))
        for _ in range(3):
            assert client.get("/ui/entries", headers=headers).status_code == 200
        refused = client.get("/ui/entries", headers={**headers, "HX-Request": "true"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["hx-retarget"] == "#flash"
        assert 'role="alert"' in refused.text and "Too many read requests" in refused.text
        # Sign-in pages and static files are not counted against the budget.
        assert client.get("/ui/login").status_code == 200
        assert client.get("/ui/static/app.css").status_code == 200
