"""The service endpoints (/, /health, /api/test, /api/health), the JSON error shape of routing
failures, request ids and CORS.

The original answered unknown routes and wrong methods with 500, and reflected any origin that
merely contained ``.vercel.app`` with credentials (S8); both are checked here as fixed.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from adda_dashboard import __version__
from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container
from adda_dashboard.settings import StorageBackend

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
LOCAL_FRONTEND = "http://localhost:3000"


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """Run with a local zone 5:30 ahead of UTC, so UTC and local timestamps tell apart."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# Service endpoints ------------------------------------------------------------------------------


def test_root_names_the_service_and_the_configured_storage(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {
        "message": "Adda Education Dashboard API",
        "status": "running",
        "version": __version__,
        "storage": "Local disk",
    }


def test_root_reports_drive_storage_when_videos_go_to_drive(container: Container) -> None:
    settings = container.settings.model_copy(update={"storage_backend": StorageBackend.gdrive})
    on_drive = dataclasses.replace(container, settings=settings)
    with TestClient(create_app(container=on_drive)) as client:
        assert client.get("/").json()["storage"] == "Google Drive"


def test_options_on_root_is_an_empty_204(client: TestClient) -> None:
    response = client.options("/")
    assert response.status_code == 204
    assert response.content == b""


def test_health_gives_a_utc_timestamp_without_zone_suffix(
    client: TestClient, far_from_utc: None
) -> None:
    before = utc_now()
    response = client.get("/health")
    after = utc_now()
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["status", "timestamp"]
    assert body["status"] == "healthy"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?", body["timestamp"])
    stamp = datetime.fromisoformat(body["timestamp"])
    assert stamp.tzinfo is None
    assert before <= stamp <= after


def test_api_test_gives_a_local_timestamp_in_str_format(
    client: TestClient, far_from_utc: None
) -> None:
    before = datetime.now()
    response = client.get("/api/test")
    after = datetime.now()
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["status", "message", "timestamp"]
    assert (body["status"], body["message"]) == ("ok", "Backend is running!")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", body["timestamp"])
    assert before <= datetime.strptime(body["timestamp"], "%Y-%m-%d %H:%M:%S.%f") <= after


def test_api_health_has_the_contract_keys_and_a_connected_database(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "status",
        "google_credentials_configured",
        "jwt_secret_configured",
        "credentials_gid",
        "google_sheets_connection",
        "database",
    }
    assert body["status"] == "running"
    assert body["jwt_secret_configured"] is True
    assert isinstance(body["google_credentials_configured"], bool)
    assert isinstance(body["credentials_gid"], bool)
    assert body["database"] == "connected"


# Routing failures -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/api/nope", "/api/data/extra"])
def test_unknown_route_is_a_json_404_not_a_500(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["error"] == body["message"] == f"No route GET {path}"
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("method", "path"), [("DELETE", "/health"), ("POST", "/api/data"), ("PUT", "/api/ticket")]
)
def test_wrong_method_is_a_json_405(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    body = response.json()
    assert body["success"] is False
    assert body["error"] == body["message"] == "Method Not Allowed"
    assert body["request_id"] == response.headers["x-request-id"]


# Request ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/health"),
        ("GET", "/api/test"),
        ("GET", "/api/data"),
        ("GET", "/nope"),
        ("OPTIONS", "/"),
    ],
)
def test_every_response_carries_a_request_id(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert GENERATED_ID.match(response.headers["x-request-id"])


def test_each_request_gets_its_own_id(client: TestClient) -> None:
    ids = {client.get("/health").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize("sent", ["abc-123", "trace.42_A", "x" * 64])
def test_a_sane_incoming_request_id_is_echoed(client: TestClient, sent: str) -> None:
    response = client.get("/nope", headers={"X-Request-ID": sent})
    assert response.headers["x-request-id"] == sent
    assert response.json()["request_id"] == sent


@pytest.mark.parametrize(
    "sent", ["has space", "x" * 65, "<script>", "a\tb", "semi;colon", "new\\line"]
)
def test_an_insane_incoming_request_id_is_replaced(client: TestClient, sent: str) -> None:
    response = client.get("/nope", headers={"X-Request-ID": sent})
    replaced = response.headers["x-request-id"]
    assert replaced != sent and GENERATED_ID.match(replaced)
    assert response.json()["request_id"] == replaced


# CORS -------------------------------------------------------------------------------------------


def test_frontend_preflight_is_allowed_with_credentials(client: TestClient) -> None:
    response = client.options(
        "/api/data",
        headers={
            "Origin": LOCAL_FRONTEND,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == LOCAL_FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "DELETE", "OPTIONS"} <= methods
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    allowed = {h.strip() for h in allowed_headers.split(",")}
    assert {"authorization", "content-type"} <= allowed


def test_frontend_origin_is_reflected_on_an_actual_request(client: TestClient) -> None:
    response = client.get("/api/test", headers={"Origin": LOCAL_FRONTEND})
    assert response.headers["access-control-allow-origin"] == LOCAL_FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize(
    "origin", ["https://a.vercel.app.evil.test", "https://evil.vercel.app", "http://localhost:3001"]
)
def test_an_origin_outside_the_list_is_not_reflected(client: TestClient, origin: str) -> None:
    preflight = client.options(
        "/api/data",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    actual = client.get("/api/test", headers={"Origin": origin})
    assert actual.status_code == 200
    assert "access-control-allow-origin" not in actual.headers
