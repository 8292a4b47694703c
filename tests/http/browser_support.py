"""Acting as the dashboard's browser in HTTP tests: the session cookie and its anti-forgery
token, obtained through the sign-in form as a person would."""

from __future__ import annotations

import re

from httpx import Response
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import Role
from tests import factories

CSRF = re.compile(r'data-csrf="([0-9a-f]+)"')
FORM_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
HTMX = {"HX-Request": "true"}


def page_csrf(client: TestClient, path: str = "/ui/") -> str:
    """The anti-forgery token a page of the signed-in session carries."""
    match = CSRF.search(client.get(path).text)
    assert match, "the page must carry its anti-forgery token"
    return match.group(1)


def form_token(client: TestClient, path: str = "/ui/login") -> str:
    """The anti-forgery token of a sign-in or sign-up form, as the browser receives it (with the
    cookie it is tied to, kept by the client)."""
    match = FORM_TOKEN.search(client.get(path).text)
    assert match, "the form must carry its anti-forgery token"
    return match.group(1)


def post_sign_in(
    client: TestClient, email: str, password: str, next: str | None = None
) -> Response:
    """The sign-in form posted as a browser does: the page first, then the form."""
    data = {"email": email, "password": password, "csrf_token": form_token(client)}
    if next is not None:
        data["next"] = next
    return client.post("/ui/login", data=data, follow_redirects=False)


def sign_in_browser(client: TestClient, container: Container, role: Role) -> tuple[str, str]:
    """A new user of ``role`` signed in through the form; returns (email, csrf token)."""
    email = factories.make_user(container, role)
    response = post_sign_in(client, email, factories.PASSWORD, next="/ui/")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ui/"
    return email, page_csrf(client)
