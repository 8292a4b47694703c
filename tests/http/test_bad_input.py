"""Bad input on every endpoint: a precise 4xx JSON error naming the field, and nothing written.

The table below sends malformed bodies, wrong types, missing and oversize values, unknown
fields, control characters, bad ids and query parameters, and injection strings in constrained
fields. Each case checks the status, the error shape, the field named, and that every table of
the database is exactly as before. Free text (Editor Brief, Issue Text) is the other side: any
Unicode, SQL or HTML in it is stored and returned byte for byte.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from adda_dashboard.adapters.passwords import hash_password
from adda_dashboard.bootstrap import Container
from adda_dashboard.db.base import Base
from adda_dashboard.db.models import Entry, Ticket, User
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from adda_dashboard.http.body import MAX_JSON_BODY_BYTES
from tests import factories
from tests.factories import valid_entry

SQL = "' OR 1=1; DROP TABLE entries; --"
SCRIPT = "<script>alert(1)</script>"
MB = 1024 * 1024
ADMIN = "admin@adda247.com"
BAD_IDS = {
    "letters": "abc",
    "negative": "-1",
    "zero": "0",
    "decimal": "1.5",
    "huge": "99999999999999999999",
    "above-int32": str(2**31),
}


@dataclass(frozen=True)
class Json:
    """A JSON body, sent as application/json."""

    value: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Raw:
    """Bytes sent as they are, with the given Content-Type (none when ``None``)."""

    data: bytes
    content_type: str | None = "application/json"


@dataclass(frozen=True)
class Query:
    params: dict[str, str]


@dataclass
class World:
    """The rows every case runs against: an admin, a live and a soft-deleted entry."""

    headers: dict[str, str]
    live: int
    deleted: int


def valid_ticket(**overrides: Any) -> dict[str, Any]:
    body = {
        "Ticket ID": "TKT-1712345678901-42",
        "Vertical": "SSC",
        "Exam Name": "CGL",
        "Subject": "Maths",
        "Issue Type": "Wrong Data Entry",
        "Status": "Open",
        "Issue Text": "Row 4 has the wrong exam",
    }
    body.update(overrides)
    return body


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


SIGNUP = {
    "username": "newperson",
    "email": "new.person@adda247.com",
    "password": "long enough pw",
    "confirm_password": "long enough pw",
}
NEW_PASSWORD = {"current_password": factories.PASSWORD, "new_password": "another long pw"}
LOGIN = {"email": "someone@adda247.com", "password": "whatever pw"}

# Every endpoint that reads a JSON body, with the field named for `{}` and for `null`/empty.
BODY_ENDPOINTS = {
    "add": ("POST", "/api/add", "body", "body"),
    "update": ("PUT", "/api/update/{live}", "body", "body"),
    "ticket": ("POST", "/api/ticket", "body", "body"),
    "login": ("POST", "/api/auth/login", "body", "body"),
    "signup": ("POST", "/api/auth/signup", "body", "body"),
    "refresh": ("POST", "/api/auth/refresh", "refresh_token", "refresh_token"),
    "change-password": ("POST", "/api/auth/change-password", "new_password", "body"),
}
MALFORMED: dict[str, Raw] = {
    "malformed-json": Raw(b"{bad"),
    "truncated-json": Raw(b'{"Email": "a@adda247.com"'),
    "json-array": Raw(b'[{"Email": "a@adda247.com"}]'),
    "json-string": Raw(b'"Email"'),
    "json-number": Raw(b"42"),
    "json-boolean": Raw(b"true"),
    "nan-literal": Raw(b'{"x": NaN}'),
    "invalid-utf8": Raw(b'{"Editor Brief": "\xff\xfe"}'),
    "byte-order-mark": Raw(b'\xef\xbb\xbf{"x": "y"}'),
    "lone-surrogate": Raw(b'{"Editor Brief": "\\ud800"}'),
    "nested-too-deep": Raw(b"[" * 5000 + b"]" * 5000),
}


def body_cases() -> list[Any]:
    """The same malformed bodies against every endpoint that reads one."""
    cases = []
    for name, (method, path, empty_object_field, null_field) in BODY_ENDPOINTS.items():
        for kind, raw in MALFORMED.items():
            cases.append(pytest.param(method, path, raw, 400, "body", id=f"{name}-{kind}"))
        cases += [
            pytest.param(method, path, Raw(b"null"), 400, null_field, id=f"{name}-json-null"),
            pytest.param(method, path, Raw(b""), 400, null_field, id=f"{name}-empty-body"),
            pytest.param(method, path, Raw(b" \n "), 400, null_field, id=f"{name}-blank-body"),
            pytest.param(method, path, Json({}), 400, empty_object_field, id=f"{name}-empty-object"),
            pytest.param(
                method, path, Raw(b'{"email": "x"}', "text/plain"), 415, "Content-Type",
                id=f"{name}-text-plain",
            ),
            pytest.param(
                method, path,
                Raw(b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--b--\r\n',
                    "multipart/form-data; boundary=b"),
                415, "Content-Type", id=f"{name}-multipart",
            ),
            pytest.param(
                method, path, Raw(b"email=a%40adda247.com", "application/x-www-form-urlencoded"),
                415, "Content-Type", id=f"{name}-form-urlencoded",
            ),
            pytest.param(
                method, path, Raw(b'{"x": "' + b"a" * (MAX_JSON_BODY_BYTES + 1) + b'"}'),
                413, "body", id=f"{name}-body-over-limit",
            ),
        ]
    return cases


def entry_field_cases(method: str, path: str, name: str) -> list[Any]:
    """Column values refused by add (in a whole valid entry) and update (sent alone) alike."""

    def case(change: dict[str, Any], status: int, fld: str, case_id: str) -> Any:
        body = valid_entry(**change) if method == "POST" else change
        return pytest.param(method, path, Json(body), status, fld, id=f"{name}-{case_id}")

    base = valid_entry(Email="admin@adda247.com")
    cases = []
    wrong_types = {"number": 7, "boolean": True, "null": None, "array": ["SSC"], "object": {}}
    for type_name, value in wrong_types.items():
        for column in ("Email", "Vertical Name", "Editor Brief", "VideoId"):
            cases.append(case({column: value}, 400, column, f"{column}-is-{type_name}"))
    for column in ("Exam Name", "Subject", "Type of Content", "Sub category", "Video Link",
                   "Edit", "Final Edited Link"):
        cases.append(case({column: 12.5}, 400, column, f"{column}-is-number"))
    for column in ("Vertical Name", "Exam Name", "Type of Content", "Video Link", "Edit"):
        cases.append(case({column: " \t "}, 400, column, f"{column}-blank"))
    for column in ("Vertical Name", "Email", "Subject", "Video Link", "VideoId"):
        for char_name, char in (("nul", "\x00"), ("bell", "\x07"), ("escape", "\x1b")):
            value = f"{base[column][:2]}{char}{base[column][2:]}"
            cases.append(case({column: value}, 400, column, f"{column}-{char_name}"))
    for column in ("Email", "Vertical Name", "Exam Name", "Subject", "Type of Content",
                   "Sub category", "Video Link", "Edit", "Final Edited Link", "VideoId"):
        cases.append(case({column: SQL}, 400, column, f"{column}-sql"))
        cases.append(case({column: SCRIPT}, 400, column, f"{column}-script"))
    markup_link = "https://youtube.com/shorts/<script>alert(1)</script>"
    cases += [
        case({"Editor Brief": "x" * MB}, 413, "body", "editor-brief-1MB"),
        case({"Editor Brief": "x" * 100_000}, 400, "Editor Brief", "editor-brief-100k-chars"),
        case({"Editor Brief": "é" * 5001}, 400, "Editor Brief", "editor-brief-5001-chars"),
        case({"Email": "a" * 9_987 + "@adda247.com"}, 400, "Email", "email-10000-chars"),
        case({"Vertical Name": "S" * 300}, 400, "Vertical Name", "vertical-300-chars"),
        case({"Subject": "M" * 201}, 400, "Subject", "subject-201-chars"),
        case({"Video Link": "https://youtube.com/" + "a" * 2048}, 400, "Video Link",
             "video-link-over-2048"),
        case({"VideoId": "a" * 129}, 400, "VideoId", "video-id-129-chars"),
        case({"Colour": "red"}, 400, "Colour", "unknown-field"),
        case({"vertical name": "SSC"}, 400, "vertical name", "unknown-field-wrong-case"),
        case({"Editor Brief": "ok\x00there"}, 400, "Editor Brief", "editor-brief-nul"),
        case({"Editor Brief": "bell\x07"}, 400, "Editor Brief", "editor-brief-bell"),
        case({"Editor Brief": "del\x7f"}, 400, "Editor Brief", "editor-brief-delete"),
        case({"Vertical Name": "SS\nC"}, 400, "Vertical Name", "vertical-inner-newline"),
        case({"Vertical Name": "SSC\x1f"}, 400, "Vertical Name", "vertical-unit-separator"),
        case({"Exam Name": "All\x85"}, 400, "Exam Name", "exam-c1-control"),
        case({"Video Link": markup_link}, 400, "Video Link", "video-link-with-markup"),
        case({"Video Link": "javascript:alert(1)"}, 400, "Video Link", "video-link-javascript"),
    ]
    return cases


def add_cases() -> list[Any]:
    cases = entry_field_cases("POST", "/api/add", "add")
    for column in ("Vertical Name", "Exam Name", "Type of Content", "Video Link", "Edit"):
        cases.append(pytest.param("POST", "/api/add", Json(without(valid_entry(), column)), 400,
                                  column, id=f"add-missing-{column}"))
    for column in ("Subject", "Sub category"):  # required when the type is Content
        cases.append(pytest.param("POST", "/api/add", Json(without(valid_entry(), column)), 400,
                                  column, id=f"add-content-missing-{column}"))
    return cases


def id_cases(method: str, template: str, name: str, body: Json | None = None) -> list[Any]:
    cases = [
        pytest.param(method, template.format(id=bad), body, 400, "entry_id", id=f"{name}-id-{k}")
        for k, bad in BAD_IDS.items()
    ]
    cases.append(pytest.param(method, template.format(id="999"), body, 404, "id",
                              id=f"{name}-unknown-id"))
    cases.append(pytest.param(method, template.format(id=f"{SQL}"), body, 400, "entry_id",
                              id=f"{name}-id-sql"))
    return cases


def update_cases() -> list[Any]:
    path = "/api/update/{live}"
    cases = entry_field_cases("PUT", path, "update")
    cases += id_cases("PUT", "/api/update/{id}", "update", Json({"Editor Brief": "x"}))
    cases += [
        pytest.param("PUT", "/api/update/{deleted}", Json({"Editor Brief": "x"}), 404, "id",
                     id="update-deleted-entry"),
        pytest.param("PUT", path, Json({"Vertical Name": ""}), 400, "Vertical Name",
                     id="update-clears-required"),
        pytest.param("PUT", path, Json({"Editor Brief": "x", "version": "abc"}), 400, "version",
                     id="update-version-letters"),
        pytest.param("PUT", path, Json({"Editor Brief": "x", "version": True}), 400, "version",
                     id="update-version-boolean"),
        pytest.param("PUT", path, Json({"Editor Brief": "x", "version": 0}), 400, "version",
                     id="update-version-zero"),
        pytest.param("PUT", path, Json({"Editor Brief": "x", "version": 1.5}), 400, "version",
                     id="update-version-decimal"),
        pytest.param("PUT", path, Json({"Editor Brief": "x"}, {"If-Match": SQL}), 400,
                     "If-Match", id="update-if-match-sql"),
    ]
    return cases


def other_entry_cases() -> list[Any]:
    cases = id_cases("DELETE", "/api/delete/{id}", "delete")
    cases += id_cases("GET", "/api/entries/{id}", "get")
    cases += id_cases("GET", "/api/entries/{id}/history", "history")
    cases += id_cases("POST", "/api/entries/{id}/restore", "restore")
    cases += [
        pytest.param("DELETE", "/api/delete/{deleted}", None, 404, "id", id="delete-deleted"),
        pytest.param("DELETE", "/api/delete/{live}", Json(None, {"If-Match": "abc"}), 400,
                     "If-Match", id="delete-if-match-letters"),
        pytest.param("GET", "/api/entries/{deleted}", None, 404, "id", id="get-deleted"),
        pytest.param("POST", "/api/entries/{live}/restore", None, 404, "id",
                     id="restore-live-entry"),
    ]
    return cases


def query_cases() -> list[Any]:
    def q(params: dict[str, str], status: int, fld: str, case_id: str) -> Any:
        return pytest.param("GET", "/api/data", Query(params), status, fld, id=f"data-{case_id}")

    cases = [
        q({"colour": "red"}, 400, "colour", "unknown-param"),
        q({"Vertical": "SSC"}, 400, "Vertical", "unknown-param-wrong-case"),
        q({"limit": "abc"}, 400, "limit", "limit-letters"),
        q({"limit": "0"}, 400, "limit", "limit-zero"),
        q({"limit": "-1"}, 400, "limit", "limit-negative"),
        q({"limit": "501"}, 400, "limit", "limit-above-max"),
        q({"limit": "1.5"}, 400, "limit", "limit-decimal"),
        q({"limit": "1_0"}, 400, "limit", "limit-underscore"),
        q({"limit": "١٢"}, 400, "limit", "limit-arabic-digits"),
        q({"limit": "9" * 30}, 400, "limit", "limit-huge"),
        q({"limit": SQL}, 400, "limit", "limit-sql"),
        q({"sort": "colour"}, 400, "sort", "sort-unknown"),
        q({"sort": "--id"}, 400, "sort", "sort-double-minus"),
        q({"sort": SQL}, 400, "sort", "sort-sql"),
        q({"cursor": "!!!"}, 400, "cursor", "cursor-garbage"),
        q({"cursor": SQL}, 400, "cursor", "cursor-sql"),
        q({"cursor": base64.urlsafe_b64encode(b"42").decode()}, 400, "cursor", "cursor-number"),
        q({"cursor": cursor("id", False, 1)}, 400, "cursor", "cursor-three-parts"),
        q({"cursor": cursor("vertical", False, "SSC", 1)}, 400, "cursor", "cursor-other-sort"),
        q({"cursor": cursor("id", False, "abc", 1)}, 400, "cursor", "cursor-text-for-id"),
        q({"cursor": cursor("id", False, 1, 2**70)}, 400, "cursor", "cursor-huge-id"),
        q({"cursor": cursor("id", False, 1, True)}, 400, "cursor", "cursor-boolean-id"),
        q({"cursor": cursor("vertical", False, {"a": 1}, 1), "sort": "vertical"}, 400, "cursor",
          "cursor-object-value"),
        q({"cursor": cursor("created_at", False, "yesterday", 1), "sort": "created_at"}, 400,
          "cursor", "cursor-bad-timestamp"),
        q({"vertical": "S" * 300}, 400, "vertical", "vertical-300-chars"),
        q({"vertical": "SS\x00C"}, 400, "vertical", "vertical-nul"),
        q({"exam": "All\x1b"}, 400, "exam", "exam-escape"),
        q({"q": "brief\x07"}, 400, "q", "q-bell"),
        q({"q": "x" * 201}, 400, "q", "q-201-chars"),
        q({"status": "Done"}, 400, "status", "status-unknown"),
        q({"content_type": "Video"}, 400, "content_type", "content-type-unknown"),
        q({"contributor": "nobody"}, 400, "contributor", "contributor-not-an-email"),
    ]
    for name in ("vertical", "exam", "subject", "content_type", "sub_category", "status",
                 "contributor"):
        cases.append(q({name: SQL}, 400, name, f"{name}-sql"))
        cases.append(q({name: SCRIPT}, 400, name, f"{name}-script"))
    return cases


def ticket_cases() -> list[Any]:
    def t(body: dict[str, Any], status: int, fld: str, case_id: str) -> Any:
        return pytest.param("POST", "/api/ticket", Json(body), status, fld,
                            id=f"ticket-{case_id}")

    cases = []
    for column in valid_ticket():
        cases += [
            t(without(valid_ticket(), column), 400, column, f"missing-{column}"),
            t(valid_ticket(**{column: None}), 400, column, f"{column}-null"),
            t(valid_ticket(**{column: "  "}), 400, column, f"{column}-blank"),
            t(valid_ticket(**{column: 5}), 400, column, f"{column}-number"),
            t(valid_ticket(**{column: ["x"]}), 400, column, f"{column}-array"),
            t(valid_ticket(**{column: {"x": 1}}), 400, column, f"{column}-object"),
            t(valid_ticket(**{column: "a\x00b"}), 400, column, f"{column}-nul"),
        ]
        if column != "Issue Text":  # the one free-text column; see the byte-exact tests
            cases += [
                t(valid_ticket(**{column: SQL}), 400, column, f"{column}-sql"),
                t(valid_ticket(**{column: SCRIPT}), 400, column, f"{column}-script"),
                t(valid_ticket(**{column: "S" * 300}), 400, column, f"{column}-300-chars"),
            ]
    cases += [
        t(valid_ticket(**{"Ticket ID": False}), 400, "Ticket ID", "ticket-id-boolean"),
        t(valid_ticket(**{"Issue Text": "x" * 5001}), 400, "Issue Text", "issue-text-5001-chars"),
        t(valid_ticket(**{"Issue Text": "x" * MB}), 413, "body", "issue-text-1MB"),
        t(valid_ticket(Priority="high"), 400, "Priority", "unknown-field"),
        t(valid_ticket(Subject="Ma\x07ths"), 400, "Subject", "subject-bell"),
        t(valid_ticket(**{"Exam Name": "CG\x1bL"}), 400, "Exam Name", "exam-escape"),
        t(valid_ticket(**{"Issue Text": "bell \x07"}), 400, "Issue Text", "issue-text-bell"),
    ]
    return cases


def auth_cases() -> list[Any]:
    def a(path: str, body: dict[str, Any], status: int, fld: str, case_id: str) -> Any:
        return pytest.param("POST", f"/api/auth/{path}", Json(body), status, fld,
                            id=f"{path}-{case_id}")

    return [
        a("login", {"password": "whatever pw"}, 400, "email", "missing-email"),
        # 401 by the sign-in rules: email-only sign-in is off unless ADDA_LEGACY_EMAIL_LOGIN.
        a("login", {"email": "someone@adda247.com"}, 401, "password", "missing-password"),
        a("login", {**LOGIN, "email": 5}, 400, "email", "email-number"),
        a("login", {**LOGIN, "email": ["a@adda247.com"]}, 400, "email", "email-array"),
        a("login", {**LOGIN, "password": 5}, 400, "password", "password-number"),
        a("login", {**LOGIN, "password": True}, 400, "password", "password-boolean"),
        a("login", {**LOGIN, "password": {"a": 1}}, 400, "password", "password-object"),
        a("login", {**LOGIN, "password": "p" * 1025}, 400, "password", "password-1025-chars"),
        a("login", {**LOGIN, "email": "a" * 9_987 + "@adda247.com"}, 400, "email",
          "email-10000-chars"),
        a("login", {**LOGIN, "email": "a\x00b@adda247.com"}, 400, "email", "email-nul"),
        a("login", {**LOGIN, "email": "a\x07b@adda247.com"}, 400, "email", "email-bell"),
        a("login", {**LOGIN, "email": "a\x1bb@adda247.com"}, 400, "email", "email-escape"),
        a("login", {**LOGIN, "email": SQL}, 400, "email", "email-sql"),
        a("login", {**LOGIN, "email": SCRIPT}, 400, "email", "email-script"),
        a("login", {**LOGIN, "email": f"x{SQL}@adda247.com"}, 400, "email", "email-sql-at"),
        a("login", {**LOGIN, "remember": True}, 400, "remember", "unknown-field"),
        a("signup", without(SIGNUP, "username"), 400, "username", "missing-username"),
        a("signup", without(SIGNUP, "email"), 400, "email", "missing-email"),
        a("signup", without(SIGNUP, "password"), 400, "password", "missing-password"),
        a("signup", {**SIGNUP, "username": 5}, 400, "username", "username-number"),
        a("signup", {**SIGNUP, "email": ["x"]}, 400, "email", "email-array"),
        a("signup", {**SIGNUP, "email": "a" * 9_987 + "@adda247.com"}, 400, "email",
          "email-10000-chars"),
        a("signup", {**SIGNUP, "username": "u" * 300}, 400, "username", "username-300-chars"),
        a("signup", {**SIGNUP, "username": "new\x00person"}, 400, "username", "username-nul"),
        a("signup", {**SIGNUP, "email": "new\x1b@adda247.com"}, 400, "email", "email-escape"),
        a("signup", {**SIGNUP, "email": SQL}, 400, "email", "email-sql"),
        a("signup", {**SIGNUP, "email": SCRIPT}, 400, "email", "email-script"),
        a("signup", {**SIGNUP, "username": SQL}, 400, "username", "username-sql"),
        a("signup", {**SIGNUP, "username": SCRIPT}, 400, "username", "username-script"),
        a("signup", {**SIGNUP, "role": "admin"}, 400, "role", "unknown-field"),
        a("signup", {**SIGNUP, "password": "short", "confirm_password": "short"}, 400,
          "password", "password-too-short"),
        a("refresh", {"refresh_token": 5}, 400, "refresh_token", "token-number"),
        a("refresh", {"refresh_token": ""}, 400, "refresh_token", "token-empty"),
        a("refresh", {"refresh_token": "x", "token": "y"}, 400, "token", "unknown-field"),
        a("change-password", {**NEW_PASSWORD, "new_password": 12345678}, 400, "new_password",
          "new-password-number"),
        a("change-password", {**NEW_PASSWORD, "new_password": "short"}, 400, "new_password",
          "new-password-too-short"),
        a("change-password", {**NEW_PASSWORD, "new_password": "p" * 1025}, 400, "new_password",
          "new-password-1025-chars"),
        a("change-password", {**NEW_PASSWORD, "current_password": 5}, 400, "current_password",
          "current-password-number"),
        a("change-password", without(NEW_PASSWORD, "current_password"), 400, "current_password",
          "current-password-missing"),
        a("change-password", {**NEW_PASSWORD, "confirm": "x"}, 400, "confirm", "unknown-field"),
    ]


CASES = [
    *body_cases(), *add_cases(), *update_cases(), *other_entry_cases(), *query_cases(),
    *ticket_cases(), *auth_cases(),
]
# How a message may name a field whose key is not a plain word.
MESSAGE_NAMES = {
    "body": ("body", "data", "json"),
    "id": ("entry",),
    "new_password": ("password",),
    "current_password": ("current password", "current_password"),
}


@functools.cache
def password_hash() -> str:
    """Hashed once: argon2 per case would dominate a thousand-case table."""
    return hash_password(factories.PASSWORD)


def admin_headers(container: Container) -> dict[str, str]:
    """A real admin row with a real password hash, signed in through the auth service."""
    with container.db.write() as session:
        user = users_repo.insert(
            session,
            User(email=ADMIN, username="admin", password_hash=password_hash(),
                 role=Role.admin.value, auth_source="password"),
        )
        token = container.auth.session_for(user, "Password")["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(client: TestClient, container: Container) -> World:
    headers = admin_headers(container)
    live = factories.add_entry(client, headers)
    deleted = factories.add_entry(client, headers)
    assert client.delete(f"/api/delete/{deleted['id']}", headers=headers).status_code == 200
    return World(headers, live["id"], deleted["id"])


def table_digests(container: Container) -> dict[str, str]:
    """A digest of every row of every table, so any write shows up."""
    digests = {}
    with container.db.read() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
            digests[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return digests


def send(client: TestClient, world: World, method: str, path: str,
         payload: Json | Raw | Query | None) -> Any:
    url = path.format(live=world.live, deleted=world.deleted)
    headers = dict(world.headers)
    kwargs: dict[str, Any] = {}
    if isinstance(payload, Json):
        headers.update(payload.headers)
        if payload.value is not None:
            kwargs["content"] = orjson.dumps(payload.value)
            headers["Content-Type"] = "application/json"
    elif isinstance(payload, Raw):
        kwargs["content"] = payload.data
        if payload.content_type is not None:
            headers["Content-Type"] = payload.content_type
    elif isinstance(payload, Query):
        kwargs["params"] = payload.params
    return client.request(method, url, headers=headers, **kwargs)


@pytest.mark.parametrize(("method", "path", "payload", "status", "field"), CASES)
def test_bad_input_gets_a_precise_4xx_naming_the_field_and_writes_nothing(
    client: TestClient, container: Container, world: World, method: str, path: str,
    payload: Json | Raw | Query | None, status: int, field: str,
) -> None:
    before = table_digests(container)
    response = send(client, world, method, path, payload)

    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    assert body["field"] == field, body
    names = MESSAGE_NAMES.get(field, (field,))
    assert any(name.lower() in body["message"].lower() for name in names), body["message"]
    assert table_digests(container) == before


# The other side: what is accepted is stored and returned exactly ---------------------------------

FREE_TEXTS = {
    "hindi": "हिंदी में संपादन: पहले 5 सेकंड में प्रश्न दिखाएँ",
    "emoji": "🎬 Cut at 0:05 👍🏽 family 👨‍👩‍👧 flag 🇮🇳",
    "sql": SQL,
    "script": f'{SCRIPT} <img src=x onerror="alert(2)"> &amp; &lt;',
    "mixed-scripts-and-marks": "e\u0301 Ω ß ﬁ \u200d \u202eRTL\u202c العربية 中文",
    "whitespace-kept": "  leading spaces\n\tindented line\r\nlast line with trailing spaces  \n\n",
    "backslashes-and-quotes": 'C:\\path\\"quoted"\\ \'single\' `tick` %_ wildcard',
}


@pytest.mark.parametrize("text", FREE_TEXTS.values(), ids=FREE_TEXTS.keys())
def test_editor_brief_is_stored_and_returned_byte_exact(
    client: TestClient, container: Container, world: World, text: str
) -> None:
    added = client.post("/api/add", json=valid_entry(**{"Editor Brief": text}),
                        headers=world.headers)
    assert added.status_code == 200, added.text
    entry_id = added.json()["id"]
    assert added.json()["data"]["Editor Brief"] == text
    fetched = client.get(f"/api/entries/{entry_id}", headers=world.headers)
    assert fetched.json()["data"]["Editor Brief"] == text
    listed = client.get("/api/data", headers=world.headers).json()["data"]
    assert [r["Editor Brief"] for r in listed if r["id"] == entry_id] == [text]
    with container.db.read() as session:
        stored = session.execute(select(Entry.editor_brief).where(Entry.id == entry_id)).scalar()
    assert stored == text

    updated = client.put(f"/api/update/{world.live}", json={"Editor Brief": text},
                         headers=world.headers)
    assert updated.status_code == 200, updated.text
    assert client.get(f"/api/entries/{world.live}", headers=world.headers).json()["data"][
        "Editor Brief"] == text
    with container.db.read() as session:
        live_count = session.execute(select(Entry.id).where(Entry.deleted_at.is_(None))).all()
    assert len(live_count) == 2  # the entries table is intact


@pytest.mark.parametrize("text", FREE_TEXTS.values(), ids=FREE_TEXTS.keys())
def test_ticket_issue_text_is_stored_byte_exact(
    client: TestClient, container: Container, text: str
) -> None:
    response = client.post("/api/ticket", json=valid_ticket(**{"Issue Text": text}))
    assert response.status_code == 201, response.text
    with container.db.read() as session:
        stored = session.execute(select(Ticket.issue_text)).scalars().all()
    assert stored == [text]


def test_searching_for_injection_text_finds_only_the_entry_holding_it(
    client: TestClient, container: Container, world: World
) -> None:
    holder = factories.add_entry(client, world.headers, **{"Editor Brief": f"see {SQL}"})
    for text in (SQL, "' OR '1'='1", "%", "_"):
        response = client.get("/api/data", params={"q": text}, headers=world.headers)
        assert response.status_code == 200, response.text
        expected = [holder["id"]] if text in holder["Editor Brief"] else []
        assert [r["id"] for r in response.json()["data"]] == expected, text
    with container.db.read() as session:
        assert len(session.execute(select(Entry.id)).all()) == 3


def test_single_line_fields_are_trimmed_and_the_email_lower_cased(
    client: TestClient, container: Container, world: World
) -> None:
    brief = "  keep my spaces\nand lines  \n"
    body = valid_entry(**{
        "Email": "  Someone.Else@ADDA247.com\t",
        "Vertical Name": " SSC ",
        "Exam Name": "\tAll\n",
        "Subject": "Maths  ",
        "Video Link": "  https://youtube.com/shorts/abcdefghijk  ",
        "VideoId": " abcdefghijk ",
        "Editor Brief": brief,
    })
    response = client.post("/api/add", json=body, headers=world.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["Email"] == "someone.else@adda247.com"
    assert (data["Vertical Name"], data["Exam Name"], data["Subject"]) == ("SSC", "All", "Maths")
    assert data["Video Link"] == "https://youtube.com/shorts/abcdefghijk"
    assert data["VideoId"] == "abcdefghijk"
    assert data["Editor Brief"] == brief
    with container.db.read() as session:
        row = session.execute(select(Entry).where(Entry.id == data["id"])).scalar_one()
        assert (row.email, row.vertical, row.editor_brief) == (
            "someone.else@adda247.com", "SSC", brief)


def test_ticket_values_are_trimmed_except_the_issue_text(
    client: TestClient, container: Container
) -> None:
    text = "\n  the first row is wrong  \n"
    body = valid_ticket(**{"Ticket ID": " TKT-9 ", "Vertical": "SSC\n", "Issue Text": text})
    response = client.post("/api/ticket", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["ticket_id"] == "TKT-9"
    with container.db.read() as session:
        row = session.execute(select(Ticket)).scalar_one()
        assert (row.ticket_id, row.vertical, row.issue_text) == ("TKT-9", "SSC", text)


def test_add_without_email_credits_the_signed_in_user(
    client: TestClient, world: World
) -> None:
    data = factories.add_entry(client, world.headers, Email="")
    assert data["Email"] == ADMIN


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
     "application/merge-patch+json", None],
)
def test_json_is_read_under_any_json_content_type_or_none(
    client: TestClient, world: World, content_type: str | None
) -> None:
    headers = dict(world.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.post("/api/add", content=orjson.dumps(valid_entry()), headers=headers)
    assert response.status_code == 200, response.text


def test_a_streamed_body_over_the_limit_is_refused_without_a_declared_length(
    client: TestClient, container: Container, world: World
) -> None:
    def chunks() -> Any:
        yield b'{"Editor Brief": "'
        for _ in range(MB // 65536):
            yield b"x" * 65536
        yield b'"}'

    before = table_digests(container)
    response = client.post(
        "/api/add", content=chunks(), headers={**world.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["field"] == "body"
    assert table_digests(container) == before


def test_filters_accept_every_value_a_stored_entry_can_hold(
    client: TestClient, world: World
) -> None:
    factories.add_entry(client, world.headers, **{"Sub category": "Tricks & Formulas"})
    params = {
        "vertical": "SSC", "exam": "All", "subject": "Maths", "content_type": "Content",
        "sub_category": "Tricks & Formulas", "status": "Final",
        "contributor": "ADMIN@adda247.com", "sort": "-id", "limit": "500",
    }
    response = client.get("/api/data", params=params, headers=world.headers)
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 1
