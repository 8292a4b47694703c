"""Plain functions that persist real rows and sign real users in."""

from __future__ import annotations

import itertools
from typing import Any

from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import Role

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


def valid_entry(**overrides: Any) -> dict[str, Any]:
    """A body exactly as the team's frontend sends it for a Final entry."""
    body = {
        "Sr no.": "1",
        "Email": "",
        "Vertical Name": "SSC",
        "Exam Name": "All",
        "Subject": "Maths",
        "Type of Content": "Content",
        "Sub category": "Question",
        "Video Link": "https://youtube.com/shorts/abcdefghijk",
        "Edit": "Final",
        "Editor Brief": "",
        "Final Edited Link": "",
        "VideoId": "abcdefghijk",
    }
    body.update(overrides)
    return body


def reedit_entry(**overrides: Any) -> dict[str, Any]:
    link = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view?usp=sharing"
    body = valid_entry(**{"Edit": "Re-edit", "Video Link": link, "VideoId": ""})
    body.update(overrides)
    return body


def make_user(container: Container, role: Role = Role.contributor, email: str | None = None) -> str:
    """Create a user; returns its email."""
    email = email or f"user{next(_serial)}.{role.value}@adda247.com"
    container.users.create(email=email, role=role, password=PASSWORD)
    return email


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in through the API; returns the Authorization header."""
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def user_headers(
    client: TestClient,
    container: Container,
    role: Role = Role.contributor,
    email: str | None = None,
) -> dict[str, str]:
    return login(client, make_user(container, role, email))


def add_entry(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/add", json=valid_entry(**overrides), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]
