"""Login CSRF: another site must not be able to sign a visitor's browser in to its account."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.http.browser_support import form_token, post_sign_in

EVIL = "https://evil.example"


def _signup_fields(token: str) -> dict[str, str]:
    return {
        "username": "mallory",
        "email": "mallory@adda247.com",
        "password": "a-long-password-1",
        "confirmPassword": "a-long-password-1",
        "csrf_token": token,
    }


def test_a_cross_origin_sign_in_post_is_refused_without_a_session(
    client: TestClient, container: Container
) -> None:
    email = factories.make_user(container, Role.contributor)
    response = client.post(
        "/ui/login",
        data={"email": email, "password": factories.PASSWORD},
        headers={"Origin": EVIL},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "adda_session" not in response.headers.get("set-cookie", "")
    assert "did not come from this dashboard" in response.text or "another site" in response.text


def test_a_sign_in_post_without_the_forms_token_is_refused(
    client: TestClient, container: Container
) -> None:
    email = factories.make_user(container, Role.contributor)
    form_token(client)  # the browser has the cookie, but the post does not carry the token
    response = client.post(
        "/ui/login", data={"email": email, "password": factories.PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "adda_session" not in response.headers.get("set-cookie", "")


def test_a_token_of_another_browser_is_refused(client: TestClient, container: Container) -> None:
    email = factories.make_user(container, Role.contributor)
    token = form_token(client)
    client.cookies.clear()
    form_token(client)  # a new nonce: the old token no longer matches
    response = client.post(
        "/ui/login",
        data={"email": email, "password": factories.PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_a_genuine_form_posted_with_a_foreign_origin_is_refused(
    client: TestClient, container: Container
) -> None:
    email = factories.make_user(container, Role.contributor)
    token = form_token(client)
    response = client.post(
        "/ui/login",
        data={"email": email, "password": factories.PASSWORD, "csrf_token": token},
        headers={"Origin": EVIL},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "another site" in response.text


def test_the_form_from_this_dashboard_signs_in(client: TestClient, container: Container) -> None:
    email = factories.make_user(container, Role.contributor)
    response = post_sign_in(client, email, factories.PASSWORD)
    assert response.status_code == 303
    assert "adda_session=" in response.headers["set-cookie"]


def test_the_forms_cookie_is_strict_and_http_only(client: TestClient) -> None:
    response = client.get("/ui/login")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("adda_form=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


@pytest.mark.parametrize("origin", [EVIL, None])
def test_a_forged_sign_up_post_creates_no_account(
    client: TestClient, container: Container, origin: str | None
) -> None:
    headers = {"Origin": origin} if origin else {}
    response = client.post(
        "/ui/signup", data=_signup_fields("0" * 64), headers=headers, follow_redirects=False
    )
    assert response.status_code == 403
    login = client.post(
        "/api/auth/login",
        json={"email": "mallory@adda247.com", "password": "a-long-password-1"},
    )
    assert login.status_code == 401
