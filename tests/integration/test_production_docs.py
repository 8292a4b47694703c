"""``serve --prod`` publishes no map of its API unless told to, and its pages carry the
browser defences like the development server's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.live_servers import live_server, prepare_database, server_env

pytestmark = pytest.mark.slow
ADMIN = "docs.admin@adda247.com"
DOCS = ("/docs", "/redoc", "/openapi.json")


@pytest.fixture
def prepared(database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    prepare_database(database_url, tmp_path, ADMIN)
    yield server_env(database_url, tmp_path)


def test_the_production_server_hides_its_docs_and_defends_its_pages(
    prepared: dict[str, str],
) -> None:
    with live_server(prepared, workers=1) as base:
        statuses = {path: httpx.get(base + path, timeout=30).status_code for path in DOCS}
        page = httpx.get(f"{base}/ui/login", timeout=30)
    assert statuses == dict.fromkeys(DOCS, 404)
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_docs_can_be_published_in_production_on_purpose(prepared: dict[str, str]) -> None:
    env = {**prepared, "ADDA_DOCS_IN_PRODUCTION": "true"}
    with live_server(env, workers=1) as base:
        statuses = {path: httpx.get(base + path, timeout=30).status_code for path in DOCS}
    assert statuses == dict.fromkeys(DOCS, 200)


def test_the_development_server_keeps_its_docs(prepared: dict[str, str]) -> None:
    with live_server(prepared) as base:
        assert httpx.get(f"{base}/openapi.json", timeout=30).status_code == 200
