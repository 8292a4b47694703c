"""The email-only legacy sign-in (ADDA_LEGACY_EMAIL_LOGIN): typing an address proves nothing, so
its tokens carry at most contributor rights whatever the account's role, refreshing keeps the
cap, and such a session cannot buy itself a password."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import LEGACY_REFUSAL, Role
from tests import factories
from tests.backends import reset
from tests.http.auth_support import bearer, client_of, own_container, signed_in

ADMIN_EMAIL = "admin@adda247.com"
REFUSAL = (
    "signed in by email only (legacy sign-in): sign in with a password or Google for editor or "
    "admin actions"
)

TICKET = {
    "Ticket ID": "TKT-1700000000000-7",
    "Vertical": "SSC",
    "Exam Name": "GD",
    "Subject": "English",
    "Issue Type": "Wrong Data Entry",
    "Status": "Open",
    "Issue Text": "The link is wrong",
}


@pytest.fixture
def legacy(database_url: str, var_dir: Path) -> Iterator[tuple[TestClient, Container]]:
    reset(database_url)
    with (
        own_container(database_url, var_dir, legacy_email_login=True) as container,
        client_of(container) as client,
    ):
        yield client, container


def email_only(client: TestClient, email: str) -> dict[str, Any]:
    response = client.post("/api/auth/login", json={"email": email})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_message_is_the_one_the_services_give() -> None:
    assert LEGACY_REFUSAL == REFUSAL


def test_a_legacy_token_of_the_admin_may_not_clear_caches_but_may_add_and_read(
    legacy: tuple[TestClient, Container],
) -> None:
    client, container = legacy
    signed_in(container, Role.admin, ADMIN_EMAIL)
    session = email_only(client, ADMIN_EMAIL)
    assert session["legacy_sign_in"] is True
    assert session["user"]["role"] == "contributor"
    headers = bearer(session["token"])

    refused = client.post("/cache/clear", headers=headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["message"] == REFUSAL

    entry = factories.add_entry(client, headers)
    assert entry["Email"] == ADMIN_EMAIL
    data = client.get("/api/data", headers=headers)
    assert data.status_code == 200
    assert [row["id"] for row in data.json()["data"]] == [entry["id"]]
    assert client.get("/api/auth/me", headers=headers).json()["user"]["role"] == "contributor"


def test_a_password_sign_in_of_the_same_admin_keeps_full_rights(
    legacy: tuple[TestClient, Container],
) -> None:
    client, container = legacy
    signed_in(container, Role.admin, ADMIN_EMAIL)
    headers = factories.login(client, ADMIN_EMAIL)
    assert client.post("/cache/clear", headers=headers).status_code == 200


def test_editor_and_admin_actions_name_the_legacy_sign_in_as_the_reason(
    legacy: tuple[TestClient, Container],
) -> None:
    client, container = legacy
    author, author_token = signed_in(container, Role.contributor)
    entry = factories.add_entry(client, bearer(author_token))
    signed_in(container, Role.admin, ADMIN_EMAIL)
    headers = bearer(email_only(client, ADMIN_EMAIL)["token"])
    ticket = client.post("/api/ticket", json=TICKET)
    assert ticket.status_code == 201, ticket.text

    attempts = [
        client.put(f"/api/update/{entry['id']}", json={"Editor Brief": "x"}, headers=headers),
        client.patch(
            f"/api/tickets/{TICKET['Ticket ID']}", json={"status": "Resolved"}, headers=headers
        ),
        client.delete(f"/api/delete/{entry['id']}", headers=headers),
        client.post("/api/add", json=factories.valid_entry(Email=author), headers=headers),
        client.get("/ui/admin/users", headers=headers),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert REFUSAL in response.text
    assert client.post("/cache/clear", headers=headers).json()["message"] == REFUSAL


def test_a_legacy_contributor_is_refused_for_its_role_not_for_the_sign_in(
    legacy: tuple[TestClient, Container],
) -> None:
    client, container = legacy
    email, _token = signed_in(container, Role.contributor)
    response = client.post("/cache/clear", headers=bearer(email_only(client, email)["token"]))
    assert response.status_code == 403
    assert response.json()["message"] == "Only an admin may clear caches"


def test_refreshing_a_legacy_session_keeps_the_cap(legacy: tuple[TestClient, Container]) -> None:
    client, container = legacy
    signed_in(container, Role.admin, ADMIN_EMAIL)
    session = email_only(client, ADMIN_EMAIL)
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["legacy_sign_in"] is True
    response = client.post("/cache/clear", headers=bearer(refreshed.json()["token"]))
    assert response.status_code == 403
    assert response.json()["message"] == REFUSAL


def test_a_legacy_session_cannot_set_a_password_on_an_account_without_one(
    legacy: tuple[TestClient, Container],
) -> None:
    client, container = legacy
    container.users.create(email=ADMIN_EMAIL, role=Role.admin, password=None)
    headers = bearer(email_only(client, ADMIN_EMAIL)["token"])
    response = client.post(
        "/api/auth/change-password",
        json={"new_password": "chosen by whoever typed it"},
        headers=headers,
    )
    assert response.status_code == 403, response.text
    assert response.json()["field"] == "current_password"
    assert REFUSAL in response.json()["message"]
    refused = client.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": "chosen by whoever typed it"}
    )
    assert refused.status_code == 401


def test_health_still_says_legacy_sign_in_is_on(legacy: tuple[TestClient, Container]) -> None:
    client, _container = legacy
    body = client.get("/health/detailed").json()
    assert body["auth"]["legacy_email_login"] is True
