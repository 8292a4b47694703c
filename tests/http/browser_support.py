"""Acting as the dashboard's browser in HTTP tests: the session cookie and its anti-forgery
token, obtained through the sign-in form as a person would."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import Role
from tests import factories

CSRF = re.compile(r'data-csrf="([0-9a-f]+)"')
HTMX = {"HX-Request": "true"}


def page_csrf(client: TestClient, path: str = "/ui/") -> str:
    """The anti-forgery token a page of the signed-in session carries."""
    match = CSRF.search(client.get(path).text)
    assert match, "the page must carry its anti-forgery token"
    return match.group(1)


def sign_in_browser(client: TestClient, container: Container, role: Role) -> tuple[str, str]:
    """A new user of ``role`` signed in through the form; returns (email, csrf token)."""
    email = factories.make_user(container, role)
    response = client.post(
        "/ui/login",
        data={"email": email, "password": factories.PASSWORD, "next": "/ui/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ui/"
    return email, page_csrf(client)
