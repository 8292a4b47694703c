"""Every HTML answer tells the browser what may run, who may frame it and what it may leak;
HSTS and the cookie's Secure flag follow the scheme the browser really used."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.conftest import make_settings
from tests.http.browser_support import post_sign_in, sign_in_browser

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def routes_of(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)  # an included router's own routes
        yield from routes_of(included.routes) if included is not None else (route,)


def ui_pages(client: TestClient) -> list[str]:
    """Every dashboard page a browser opens by address (routes without path parameters)."""
    paths = {
        route.path
        for route in routes_of(client.app.routes)  # type: ignore[attr-defined]
        if getattr(route, "path", "").startswith("/ui")
        and "GET" in (getattr(route, "methods", None) or ())
        and "{" not in route.path
    }
    assert len(paths) >= 10, paths
    return sorted(paths)


def assert_defended(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src == "script-src 'self'"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_every_dashboard_page_carries_the_headers_and_no_inline_script(
    client: TestClient, container: Container
) -> None:
    sign_in_browser(client, container, Role.admin)
    for path in ui_pages(client):
        response = client.get(path, follow_redirects=False)
        if response.status_code in (303, 307):  # sign-in pages send a signed-in browser on
            continue
        # A page that needs a parameter (a confirmation link's token) says so, as a page too.
        assert response.status_code in (200, 400), (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), path
        assert_defended(response)
        assert not INLINE_SCRIPT.search(response.text), path
        assert not INLINE_HANDLER.search(response.text), path


@pytest.mark.parametrize("path", ["/ui/login", "/ui/signup", "/ui/no-such-page"])
def test_signed_out_pages_and_errors_carry_the_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["content-type"].startswith("text/html")
    assert_defended(response)
    assert "strict-transport-security" not in response.headers


def test_json_answers_are_left_lean(client: TestClient, contributor: dict[str, str]) -> None:
    response = client.get("/api/data", headers=contributor)
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers


def test_over_https_pages_ask_for_https_and_the_cookie_is_secure(container: Container) -> None:
    assert not container.settings.public_base_url.startswith("https")
    email = factories.make_user(container, Role.viewer)
    with TestClient(create_app(container=container), base_url="https://testserver") as client:
        page = client.get("/ui/login")
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "Secure" in page.headers["set-cookie"]
        signed = post_sign_in(client, email, factories.PASSWORD)
        assert signed.status_code == 303
        assert "Secure" in signed.headers["set-cookie"]


@pytest.fixture
def behind_proxy(container: Container, database_url: str, var_dir: Path) -> Iterator[Container]:
    """A container whose settings trust the proxies of 10.0.0.0/24."""
    settings = make_settings(database_url, var_dir, trusted_proxies="10.0.0.0/24")
    proxied = bootstrap(settings, run_migrations=False)
    yield proxied
    proxied.close()


@pytest.mark.parametrize(
    ("peer", "expected"),
    [
        ("10.0.0.7", True),  # the proxy said https, and it is believed
        ("10.0.9.7", False),  # anyone else may not say so
    ],
)
def test_a_forwarded_https_counts_only_from_a_trusted_proxy(
    behind_proxy: Container, peer: str, expected: bool
) -> None:
    app = create_app(container=behind_proxy)
    with TestClient(app, client=(peer, 40000)) as client:
        response = client.get("/ui/login", headers={"X-Forwarded-Proto": "https"})
    assert ("strict-transport-security" in response.headers) is expected
    assert ("Secure" in response.headers["set-cookie"]) is expected
    assert response.headers["x-frame-options"] == "DENY"


def test_no_proxy_is_trusted_by_default(client: TestClient) -> None:
    response = client.get("/ui/login", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in response.headers
    assert "Secure" not in response.headers["set-cookie"]


def test_google_sign_in_is_allowed_only_its_own_script(container: Container) -> None:
    from adda_dashboard.http.security_headers import content_security_policy

    policy = content_security_policy(google_sign_in=True)
    assert "script-src 'self' https://accounts.google.com/gsi/client;" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
