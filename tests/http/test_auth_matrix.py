"""Every protected endpoint against every kind of token: 401 only for a missing, malformed,
forged, expired or revoked token (with the original's messages), 403 for a role that may not,
and the real answer for a valid token. Also: the open ticket endpoint, email-only sign-in and
open reads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import structlog
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import SYSTEM as SYSTEM_ACTOR
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.backends import reset
from tests.http.auth_support import bearer, client_of, headers_of, own_container, signed_in
from tests.sheet_fixtures import SheetStack
from tests.sheet_support import team_sheet, write_workbook

NEW_PASSWORD = "a different long password"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    allowed: Role
    ok: int
    forbidden: Role | None = None
    body: dict[str, Any] | None = None
    entry: str | None = None  # "live" or "deleted": the path's {id} names such an entry

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/api/data", Role.viewer, 200),
    Endpoint("GET", "/api/filters", Role.viewer, 200),
    Endpoint("GET", "/api/categories", Role.viewer, 200),
    Endpoint("GET", "/api/exams", Role.viewer, 200),
    Endpoint("GET", "/api/leaderboard", Role.viewer, 200),
    Endpoint("POST", "/api/add", Role.contributor, 200, Role.viewer, factories.valid_entry()),
    Endpoint(
        "PUT",
        "/api/update/{id}",
        Role.contributor,
        200,
        Role.viewer,
        {"Editor Brief": "changed"},
        entry="live",
    ),
    Endpoint("DELETE", "/api/delete/{id}", Role.contributor, 200, Role.viewer, entry="live"),
    Endpoint("GET", "/api/entries/{id}", Role.viewer, 200, entry="live"),
    Endpoint("GET", "/api/entries/{id}/history", Role.viewer, 200, entry="live"),
    Endpoint(
        "POST", "/api/entries/{id}/restore", Role.admin, 200, Role.contributor, entry="deleted"
    ),
    Endpoint("GET", "/api/auth/verify", Role.viewer, 200),
    Endpoint("GET", "/api/auth/me", Role.viewer, 200),
    Endpoint("POST", "/api/auth/logout", Role.viewer, 200),
    Endpoint(
        "POST",
        "/api/auth/change-password",
        Role.viewer,
        200,
        None,
        {"current_password": factories.PASSWORD, "new_password": NEW_PASSWORD},
    ),
]
READS = [
    e
    for e in ENDPOINTS
    if e.method == "GET"
    and e.path.startswith("/api/")
    and not e.path.startswith("/api/auth")
    and not e.path.endswith("/history")
]
WRITES = [
    e
    for e in ENDPOINTS
    if e.path in ("/api/add", "/api/update/{id}", "/api/delete/{id}", "/api/entries/{id}/restore")
]

# Token kinds: how the header is made from a valid token, and the 401 message it must get.
TOKEN_CASES = {
    "missing": "Token is missing",
    "scheme_only": "Invalid token format",
    "scheme_and_space": "Token is missing",
    "no_space": "Invalid token format",
    "bad_signature": "Invalid token",
    "expired": "Token has expired",
    "revoked": "Token has been revoked",
}


def _resign(token: str, secret: str, **changes: Any) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, secret, algorithm="HS256")


def _secret(container: Container) -> str:
    assert container.settings.jwt_secret is not None
    return container.settings.jwt_secret.get_secret_value()


def _header(kind: str, token: str, client: TestClient, container: Container) -> dict[str, str]:
    if kind == "missing":
        return {}
    if kind == "scheme_only":
        return {"Authorization": "Bearer"}
    if kind == "scheme_and_space":
        return {"Authorization": "Bearer "}
    if kind == "no_space":
        return {"Authorization": f"Token{token}"}
    if kind == "bad_signature":
        return {"Authorization": f"Bearer {_resign(token, 'another-secret-' + 'y' * 40)}"}
    if kind == "expired":
        past = datetime.now(UTC) - timedelta(hours=1)
        expired = _resign(token, _secret(container), iat=past - timedelta(hours=1), exp=past)
        return {"Authorization": f"Bearer {expired}"}
    if kind == "revoked":
        headers = {"Authorization": f"Bearer {token}"}
        assert client.post("/api/auth/logout", headers=headers).status_code == 200
        return headers
    return {"Authorization": f"Bearer {token}"}


def _prepare(endpoint: Endpoint, client: TestClient, container: Container) -> tuple[str, str]:
    """The path to call and a token of the endpoint's allowed role (the entry's owner's when a
    contributor may act on it)."""
    _owner, owner_token = signed_in(container, Role.contributor)
    path = endpoint.path
    if endpoint.entry:
        entry = factories.add_entry(client, bearer(owner_token))
        if endpoint.entry == "deleted":
            deleted = client.delete(f"/api/delete/{entry['id']}", headers=bearer(owner_token))
            assert deleted.status_code == 200
        path = path.replace("{id}", str(entry["id"]))
    if endpoint.allowed is Role.contributor:
        return path, owner_token
    return path, signed_in(container, endpoint.allowed)[1]


def _state(container: Container) -> tuple[Any, ...]:
    """Everything a refused call must leave alone: live entries and every user's credentials."""
    with container.db.read() as session:
        users = [
            (u.email, u.token_version, u.password_hash, u.role)
            for u in users_repo.list_all(session)
        ]
    return container.entries.legacy_list()["data"], users


def _call(client: TestClient, endpoint: Endpoint, path: str, headers: dict[str, str]) -> Any:
    return client.request(endpoint.method, path, json=endpoint.body, headers=headers)


@pytest.mark.parametrize("kind", list(TOKEN_CASES))
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_a_bad_token_gets_401_with_its_message_and_changes_nothing(
    client: TestClient, container: Container, endpoint: Endpoint, kind: str
) -> None:
    path, token = _prepare(endpoint, client, container)
    headers = _header(kind, token, client, container)
    before = _state(container)
    response = _call(client, endpoint, path, headers)
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["success"] is False
    assert body["message"] == body["error"] == TOKEN_CASES[kind]
    assert _state(container) == before


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.forbidden], ids=str)
def test_a_role_that_may_not_gets_403_and_changes_nothing(
    client: TestClient, container: Container, endpoint: Endpoint
) -> None:
    path, _ = _prepare(endpoint, client, container)
    assert endpoint.forbidden is not None
    headers = headers_of(container, endpoint.forbidden)
    before = _state(container)
    response = _call(client, endpoint, path, headers)
    assert response.status_code == 403, response.text
    assert response.json()["success"] is False
    assert _state(container) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_a_valid_token_of_an_allowed_role_gets_the_answer(
    client: TestClient, container: Container, endpoint: Endpoint
) -> None:
    path, token = _prepare(endpoint, client, container)
    response = _call(client, endpoint, path, bearer(token))
    assert response.status_code == endpoint.ok, response.text
    assert response.json().get("success", True) is not False


# Tickets ----------------------------------------------------------------------------------------

TICKET = {
    "Ticket ID": "TKT-1700000000000-1",
    "Vertical": "SSC",
    "Exam Name": "GD",
    "Subject": "English",
    "Issue Type": "Wrong Data Entry",
    "Status": "Open",
    "Issue Text": "The link is wrong",
}


def test_a_ticket_needs_no_token(client: TestClient) -> None:
    response = client.post("/api/ticket", json=TICKET)
    assert response.status_code == 201, response.text
    assert response.json()["ticket_id"] == TICKET["Ticket ID"]


@pytest.mark.parametrize("kind", ["scheme_only", "bad_signature", "expired", "revoked"])
def test_a_ticket_with_a_bad_token_gets_401(
    client: TestClient, container: Container, kind: str
) -> None:
    _email, token = signed_in(container, Role.contributor)
    headers = _header(kind, token, client, container)
    response = client.post("/api/ticket", json=TICKET, headers=headers)
    assert response.status_code == 401
    assert response.json()["message"] == TOKEN_CASES[kind]
    assert client.post("/api/ticket", json=TICKET).status_code == 201  # nothing was stored


# Email-only sign-in -----------------------------------------------------------------------------


def test_email_only_sign_in_is_refused_by_default(client: TestClient, container: Container) -> None:
    email, _token = signed_in(container, Role.contributor)
    response = client.post("/api/auth/login", json={"email": email})
    assert response.status_code == 401
    assert response.json()["field"] == "password"
    assert "token" not in response.json()


def test_email_only_sign_in_works_with_the_legacy_setting(database_url: str, var_dir: Path) -> None:
    reset(database_url)
    with (
        own_container(database_url, var_dir, legacy_email_login=True) as legacy,
        client_of(legacy) as client,
    ):
        response = client.post("/api/auth/login", json={"email": "New.Person@adda247.com "})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["auth_source"] == "Domain-based"
        assert body["user"]["role"] == "contributor"
        headers = {"Authorization": f"Bearer {body['token']}"}
        assert client.get("/api/auth/verify", headers=headers).status_code == 200
        outsider = client.post("/api/auth/login", json={"email": "someone@gmail.com"})
        assert outsider.status_code == 403


# The sign-up link's endpoints ------------------------------------------------------------------

UNKNOWN_LINK_TOKEN = "A" * 43


@pytest.mark.parametrize("kind", ["missing", "bad_signature", "expired", "revoked"])
def test_the_sign_up_link_endpoints_need_no_token_and_ignore_one_sent(
    client: TestClient, container: Container, kind: str
) -> None:
    """Whoever opens the emailed link is signed out by definition: a token, good or bad, neither
    helps nor hinders; each request is answered on its own merits."""
    _email, token = signed_in(container, Role.contributor)
    headers = _header(kind, token, client, container)
    link = client.post(
        "/api/auth/verify-email",
        json={"token": UNKNOWN_LINK_TOKEN, "password": factories.PASSWORD},
        headers=headers,
    )
    assert link.status_code == 400, link.text
    assert link.json()["field"] == "token"
    resend = client.post(
        "/api/auth/resend-verification", json={"email": f"{kind}@adda247.com"}, headers=headers
    )
    assert resend.status_code == 202, resend.text


def test_a_genuine_sign_up_link_confirms_without_a_token(
    client: TestClient, container: Container
) -> None:
    email = "link.opener@adda247.com"
    with structlog.testing.capture_logs() as logs:
        signup = client.post(
            "/api/auth/signup",
            json={
                "username": "link.opener",
                "email": email,
                "password": factories.PASSWORD,
                "confirm_password": factories.PASSWORD,
            },
        )
    assert signup.status_code == 201, signup.text
    [mail] = [e for e in logs if e["event"] == "mail_not_sent_no_smtp"]
    token = mail["text"].split("token=", 1)[1].split()[0]
    body = {"token": token, "password": factories.PASSWORD}
    assert client.post("/api/auth/verify-email", json=body).status_code == 200
    assert factories.login(client, email)


# Open reads -------------------------------------------------------------------------------------


@pytest.fixture
def open_reads(database_url: str, var_dir: Path) -> Any:
    reset(database_url)
    with (
        own_container(database_url, var_dir, open_reads=True) as container,
        client_of(container) as client,
    ):
        yield client, container


@pytest.mark.parametrize("endpoint", READS, ids=str)
def test_open_reads_let_reads_through_without_a_token(
    open_reads: tuple[TestClient, Container], endpoint: Endpoint
) -> None:
    client, container = open_reads
    path, token = _prepare(endpoint, client, container)
    response = client.get(path)
    assert response.status_code == 200, response.text
    forged = _header("bad_signature", token, client, container)
    assert client.get(path, headers=forged).status_code == 401  # a token sent is still checked


@pytest.mark.parametrize("endpoint", WRITES, ids=str)
def test_open_reads_never_open_writes(
    open_reads: tuple[TestClient, Container], endpoint: Endpoint
) -> None:
    client, container = open_reads
    path, _ = _prepare(endpoint, client, container)
    before = _state(container)
    response = _call(client, endpoint, path, {})
    assert response.status_code == 401
    assert response.json()["message"] == "Token is missing"
    assert _state(container) == before


def test_open_reads_do_not_open_history_or_account_endpoints(
    open_reads: tuple[TestClient, Container],
) -> None:
    client, _container = open_reads
    for path in ("/api/entries/1/history", "/api/auth/verify", "/api/auth/me"):
        assert client.get(path).status_code == 401, path


# The spreadsheet import's dashboard routes -------------------------------------------------------

SHEET_ROUTES = [
    ("GET", "/ui/admin/sheets"),
    ("POST", "/ui/admin/sheets/check"),
    ("POST", "/ui/admin/sheets/import"),
    ("POST", "/ui/admin/sheets/xlsx/check"),
    ("POST", "/ui/admin/sheets/xlsx/import"),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet_call(
    stack: SheetStack, method: str, path: str, headers: dict[str, str], workbook: Path
) -> Any:
    """One route with a body it would accept from an admin (a workbook, a checked digest)."""
    kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
    if path.endswith("/import"):
        kwargs["data"] = {"checked": "0" * 64}
    if "/xlsx/" in path:
        kwargs["files"] = {"file": (workbook.name, workbook.read_bytes(), XLSX)}
    return stack.client.request(method, path, **kwargs)


def _sheet_state(stack: SheetStack) -> tuple[Any, ...]:
    return _state(stack.container), stack.container.tickets.listing(SYSTEM_ACTOR, {})["total"]


@pytest.fixture
def sheet_routes(sheet_stack: SheetStack, tmp_path: Path) -> tuple[SheetStack, Path]:
    sheet = team_sheet(finals=3, reedits=1, users=1, tickets=1)
    sheet_stack.load(sheet)
    return sheet_stack, write_workbook(tmp_path / "team.xlsx", sheet)


@pytest.mark.parametrize("kind", list(TOKEN_CASES))
def test_a_bad_token_on_a_spreadsheet_route_goes_to_sign_in_and_changes_nothing(
    sheet_routes: tuple[SheetStack, Path], kind: str
) -> None:
    stack, workbook = sheet_routes
    for method, path in SHEET_ROUTES:
        _email, token = signed_in(stack.container, Role.admin)
        headers = _header(kind, token, stack.client, stack.container)
        before = _sheet_state(stack)
        page = _sheet_call(stack, method, path, headers, workbook)
        assert page.status_code == 303, (path, page.text)
        assert page.headers["location"].startswith("/ui/login")
        swap = _sheet_call(stack, method, path, {**headers, "HX-Request": "true"}, workbook)
        assert swap.status_code == 401 and swap.headers["HX-Redirect"] == "/ui/login", path
        assert _sheet_state(stack) == before
    assert stack.standin.calls == []  # Google was never asked


@pytest.mark.parametrize("role", [Role.viewer, Role.contributor, Role.editor])
def test_a_role_other_than_admin_is_refused_every_spreadsheet_route(
    sheet_routes: tuple[SheetStack, Path], role: Role
) -> None:
    stack, workbook = sheet_routes
    headers = headers_of(stack.container, role)
    before = _sheet_state(stack)
    for method, path in SHEET_ROUTES:
        for extra in ({}, {"HX-Request": "true"}):
            response = _sheet_call(stack, method, path, {**headers, **extra}, workbook)
            assert response.status_code == 403, (path, extra, response.text)
            assert "Only an admin may import the team&#39;s spreadsheet" in response.text
            if extra:
                assert response.headers["HX-Retarget"] == "#flash"
    assert _sheet_state(stack) == before
    assert stack.standin.calls == []


def test_an_admin_gets_every_spreadsheet_route(sheet_routes: tuple[SheetStack, Path]) -> None:
    stack, workbook = sheet_routes
    headers = {**headers_of(stack.container, Role.admin), "HX-Request": "true"}
    for method, path in SHEET_ROUTES:
        response = _sheet_call(stack, method, path, headers, workbook)
        if path.endswith("/import"):  # the digest of nothing checked: refused as stale
            assert response.status_code == 409, (path, response.text)
            assert "changed since it was checked" in response.text
            continue
        assert response.status_code == 200, (path, response.text)
        digest = re.search(r'name="checked" value="([0-9a-f]{64})"', response.text)
        if digest is None:
            continue
        imported = stack.client.request(
            method,
            path.replace("/check", "/import"),
            headers=headers,
            data={"checked": digest.group(1)},
            files={"file": (workbook.name, workbook.read_bytes(), XLSX)}
            if "/xlsx/" in path
            else None,
        )
        assert imported.status_code == 200, (path, imported.text)
        assert 'data-outcome="imported"' in imported.text
