"""The dashboard's cookie session: who it admits, and what it refuses without the
anti-forgery token."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.http.browser_support import post_sign_in, sign_in_browser


def sign_in_through_form(client: TestClient, container: Container, role: Role) -> str:
    """Sign in as a browser does; returns the page's anti-forgery token."""
    _email, csrf = sign_in_browser(client, container, role)
    cookie = client.cookies.get("adda_session")
    assert cookie, "signing in sets the session cookie"
    return csrf


def test_the_session_cookie_is_http_only_and_same_site(
    client: TestClient, container: Container
) -> None:
    email = factories.make_user(container, Role.viewer)
    response = post_sign_in(client, email, factories.PASSWORD)
    cookie = response.headers["set-cookie"]
    assert "adda_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_signed_out_browser_is_sent_to_sign_in_with_its_destination(client: TestClient) -> None:
    response = client.get("/ui/?view=weekly", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=%2Fui%2F%3Fview%3Dweekly"


def test_root_redirects_a_browser_and_answers_json_to_the_frontend(client: TestClient) -> None:
    browser = client.get(
        "/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, follow_redirects=False
    )
    assert browser.status_code == 303
    assert browser.headers["location"] == "/ui/"
    for accept in ("application/json", "*/*", "application/json, text/html"):
        answer = client.get("/", headers={"Accept": accept})
        assert answer.status_code == 200
        assert answer.json()["message"] == "Adda Education Dashboard API"


def test_the_cookie_opens_pages_but_not_the_api_without_the_token(
    client: TestClient, container: Container
) -> None:
    csrf = sign_in_through_form(client, container, Role.contributor)
    # Cross-site scripts cannot add the header: a cookie alone is no credential for the API.
    assert client.get("/api/auth/me").status_code == 401
    me = client.get("/api/auth/me", headers={"X-CSRF-Token": csrf})
    assert me.status_code == 200
    assert me.json()["user"]["role"] == "contributor"
    assert client.get("/api/auth/me", headers={"X-CSRF-Token": "0" * 64}).status_code == 401


def test_a_page_write_without_the_anti_forgery_token_is_refused_and_changes_nothing(
    client: TestClient, container: Container
) -> None:
    csrf = sign_in_through_form(client, container, Role.contributor)
    refused = client.post("/ui/logout", follow_redirects=False)
    assert refused.status_code == 403
    assert refused.json()["field"] == "X-CSRF-Token"
    forged = client.post("/ui/logout", headers={"X-CSRF-Token": "f" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/ui/").status_code == 200, "the session is still signed in"
    out = client.post("/ui/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    # Signing out revokes the token itself, not just the cookie.
    assert client.get("/ui/", follow_redirects=False).status_code == 303


def test_an_anti_forgery_token_of_another_session_is_refused(
    client: TestClient, container: Container
) -> None:
    other = sign_in_through_form(client, container, Role.viewer)
    sign_in_through_form(client, container, Role.viewer)
    response = client.post("/ui/logout", headers={"X-CSRF-Token": other}, follow_redirects=False)
    assert response.status_code == 403


@pytest.mark.parametrize("cookie", ["adda_session=not-a-token", "adda_session=", 'a="b; c'])
def test_a_broken_session_cookie_is_a_sign_in_redirect_not_an_error(
    client: TestClient, cookie: str
) -> None:
    response = client.get("/ui/", headers={"Cookie": cookie}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login")


def test_sign_in_goes_only_to_dashboard_paths(client: TestClient, container: Container) -> None:
    email = factories.make_user(container, Role.viewer)
    for target in ("https://evil.example/", "//evil.example/ui", "/api/data"):
        response = post_sign_in(client, email, factories.PASSWORD, next=target)
        assert response.headers["location"] == "/ui/"


def test_htmx_requests_of_an_expired_session_are_told_to_sign_in(client: TestClient) -> None:
    response = client.get("/ui/", headers={"HX-Request": "true", "Cookie": "adda_session=expired"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/ui/login"
