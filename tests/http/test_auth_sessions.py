"""Passwords and sessions: argon2id at rest, legacy bcrypt upgraded on sign-in, and every way a
token stops working (logout, password change, role change) or may not be used (access as
refresh, refresh as access)."""

from __future__ import annotations

import bcrypt
from sqlalchemy import text
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests.factories import PASSWORD, make_user
from tests.http.auth_support import bearer, signed_in

LOGIN = "/api/auth/login"
NEW_PASSWORD = "an entirely new passphrase"


def stored_hashes(container: Container) -> dict[str, str | None]:
    with container.db.read() as session:
        rows = session.execute(text("SELECT email, password_hash FROM users")).all()
    return {email: password_hash for email, password_hash in rows}


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, object]:
    response = client.post(LOGIN, json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_way_of_setting_a_password_stores_an_argon2id_hash(
    client: TestClient, container: Container
) -> None:
    made = make_user(container, Role.contributor)  # the CLI and admin path
    signup = client.post(
        "/api/auth/signup",
        json={
            "username": "newcomer",
            "email": "newcomer@adda247.com",
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert signup.status_code == 201, signup.text
    changed = client.post(
        "/api/auth/change-password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(str(sign_in(client, made)["token"])),
    )
    assert changed.status_code == 200, changed.text
    hashes = stored_hashes(container)
    assert set(hashes) == {made, "newcomer@adda247.com"}
    for email, password_hash in hashes.items():
        assert password_hash is not None and password_hash.startswith("$argon2id$"), email
        assert PASSWORD not in password_hash and NEW_PASSWORD not in password_hash


def test_an_imported_bcrypt_hash_verifies_and_is_upgraded_to_argon2id_on_sign_in(
    client: TestClient, container: Container
) -> None:
    email, _token = signed_in(container, Role.contributor)
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    with container.db.write() as session:
        user = users_repo.get_by_email(session, email)
        assert user is not None
        user.password_hash = legacy
    wrong = client.post(LOGIN, json={"email": email, "password": "not it at all"})
    assert wrong.status_code == 401
    assert stored_hashes(container)[email] == legacy  # a failure upgrades nothing

    sign_in(client, email)
    upgraded = stored_hashes(container)[email]
    assert upgraded is not None and upgraded.startswith("$argon2id$")
    sign_in(client, email)  # and the upgraded hash verifies the same password
    assert stored_hashes(container)[email] == upgraded


def test_logout_revokes_every_token_of_the_user_and_only_theirs(
    client: TestClient, container: Container
) -> None:
    email, _token = signed_in(container, Role.contributor)
    _other, other_token = signed_in(container, Role.contributor)
    first, second = sign_in(client, email), sign_in(client, email)
    assert client.post("/api/auth/logout", headers=bearer(str(first["token"]))).status_code == 200
    for session in (first, second):
        response = client.get("/api/auth/verify", headers=bearer(str(session["token"])))
        assert response.status_code == 401
        assert response.json()["message"] == "Token has been revoked"
        refreshed = client.post(
            "/api/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert refreshed.status_code == 401
        assert refreshed.json()["message"] == "Token has been revoked"
    assert client.get("/api/auth/verify", headers=bearer(other_token)).status_code == 200
    assert (
        client.get(
            "/api/auth/verify", headers=bearer(str(sign_in(client, email)["token"]))
        ).status_code
        == 200
    )


def test_changing_the_password_revokes_old_tokens_and_the_old_password(
    client: TestClient, container: Container
) -> None:
    email, old_token = signed_in(container, Role.contributor)
    response = client.post(
        "/api/auth/change-password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(old_token),
    )
    assert response.status_code == 200, response.text
    old = client.get("/api/auth/me", headers=bearer(old_token))
    assert old.status_code == 401
    assert old.json()["message"] == "Token has been revoked"
    assert client.get("/api/auth/me", headers=bearer(response.json()["token"])).status_code == 200
    assert client.post(LOGIN, json={"email": email, "password": PASSWORD}).status_code == 401
    sign_in(client, email, NEW_PASSWORD)


def test_a_wrong_current_password_is_403_and_changes_nothing(
    client: TestClient, container: Container
) -> None:
    email, token = signed_in(container, Role.contributor)
    before = stored_hashes(container)[email]
    response = client.post(
        "/api/auth/change-password",
        json={"current_password": "a wrong guess", "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert response.status_code == 403  # not 401: the frontend would sign the user out
    assert response.json()["field"] == "current_password"
    assert stored_hashes(container)[email] == before
    assert client.get("/api/auth/verify", headers=bearer(token)).status_code == 200


def test_a_role_change_revokes_tokens_and_the_next_sign_in_carries_the_new_role(
    client: TestClient, container: Container
) -> None:
    email, token = signed_in(container, Role.viewer)
    container.users.set_role(email, Role.editor)
    assert client.get("/api/auth/me", headers=bearer(token)).json()["message"] == (
        "Token has been revoked"
    )
    assert sign_in(client, email)["user"] == {
        "username": email.split("@")[0],
        "email": email,
        "role": "editor",
    }


def test_a_refresh_token_gives_a_working_access_token(
    client: TestClient, container: Container
) -> None:
    email, _token = signed_in(container, Role.contributor)
    session = sign_in(client, email)
    response = client.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert response.status_code == 200, response.text
    renewed = response.json()
    assert renewed["user"]["email"] == email
    assert client.get("/api/auth/verify", headers=bearer(renewed["token"])).status_code == 200
    assert client.get("/api/data", headers=bearer(renewed["token"])).status_code == 200


def test_an_access_token_is_refused_as_a_refresh_token_and_vice_versa(
    client: TestClient, container: Container
) -> None:
    email, _token = signed_in(container, Role.contributor)
    session = sign_in(client, email)
    as_refresh = client.post("/api/auth/refresh", json={"refresh_token": session["token"]})
    assert as_refresh.status_code == 401
    assert as_refresh.json()["message"] == "Invalid token"
    for path in ("/api/auth/verify", "/api/data", "/api/entries/1"):
        as_access = client.get(path, headers=bearer(str(session["refresh_token"])))
        assert as_access.status_code == 401, path
        assert as_access.json()["message"] == "Invalid token"
    refused_write = client.post("/api/add", json={}, headers=bearer(str(session["refresh_token"])))
    assert refused_write.status_code == 401
