"""The bad-input table: what each endpoint is sent, and the status and field it must answer.

Each row is (method, path, payload, status, field). Paths may hold ``{live}`` and ``{deleted}``,
the ids of the entries the test module sets up.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from adda_dashboard.http.body import MAX_JSON_BODY_BYTES
from tests import factories
from tests.factories import valid_entry

SQL = "' OR 1=1; DROP TABLE entries; --"
SCRIPT = "<script>alert(1)</script>"
MB = 1024 * 1024
ADMIN = "admin@adda247.com"
LONG_EMAIL = "a" * 9_987 + "@adda247.com"  # 10,000 characters
BAD_IDS = {
    "letters": "abc",
    "negative": "-1",
    "zero": "0",
    "decimal": "1.5",
    "huge": "99999999999999999999",
    "above-int32": str(2**31),
    "sql": SQL,
}
REQUIRED = ("Vertical Name", "Exam Name", "Type of Content", "Video Link", "Edit")
CONSTRAINED = (
    *("Email", "Vertical Name", "Exam Name", "Subject", "Type of Content", "Sub category"),
    *("Video Link", "Edit", "Final Edited Link", "VideoId"),
)
FILTERS = ("vertical", "exam", "subject", "content_type", "sub_category", "status", "contributor")
# How a message may name a field whose key is not a plain word.
MESSAGE_NAMES = {
    "file": ("file", "workbook", ".xlsx"),
    "checked": ("check", "fingerprint"),
    "body": ("body", "data", "json", "form"),
    "id": ("entry",),
    "new_password": ("password",),
    "current_password": ("current password", "current_password"),
    "token": ("token", "link"),
}


@dataclass(frozen=True)
class Json:
    """A JSON body, sent as application/json (no body at all for ``None``)."""

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


@dataclass(frozen=True)
class Upload:
    """A multipart form as a browser sends it: a file part named ``file`` (none when ``filename``
    is None) and plain fields. ``content`` ``"workbook"`` is a valid four-tab workbook, and
    ``"three tabs"`` one lacking its Tickets tab; both are built by the test."""

    filename: str | None = "team.xlsx"
    content: bytes | str = "workbook"
    fields: dict[str, str] = field(default_factory=dict)


Payload = Json | Raw | Query | Upload | None


def row(method: str, path: str, payload: Payload, status: int, fld: str, case_id: str) -> Any:
    return pytest.param(method, path, payload, status, fld, id=case_id)


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


# Every endpoint that reads a JSON body, with the field named for `{}` and for `null`/empty.
BODY_ENDPOINTS = {
    "add": ("POST", "/api/add", "body", "body"),
    "update": ("PUT", "/api/update/{live}", "body", "body"),
    "ticket": ("POST", "/api/ticket", "body", "body"),
    "login": ("POST", "/api/auth/login", "body", "body"),
    "signup": ("POST", "/api/auth/signup", "body", "body"),
    "refresh": ("POST", "/api/auth/refresh", "refresh_token", "refresh_token"),
    "change-password": ("POST", "/api/auth/change-password", "new_password", "body"),
    "verify-email": ("POST", "/api/auth/verify-email", "body", "body"),
    "resend-verification": ("POST", "/api/auth/resend-verification", "body", "body"),
}
MALFORMED = {
    "malformed-json": (Raw(b"{bad"), 400, "body"),
    "truncated-json": (Raw(b'{"Email": "a@adda247.com"'), 400, "body"),
    "json-array": (Raw(b'[{"Email": "a@adda247.com"}]'), 400, "body"),
    "json-string": (Raw(b'"Email"'), 400, "body"),
    "json-number": (Raw(b"42"), 400, "body"),
    "json-boolean": (Raw(b"true"), 400, "body"),
    "nan-literal": (Raw(b'{"x": NaN}'), 400, "body"),
    "invalid-utf8": (Raw(b'{"Editor Brief": "\xff\xfe"}'), 400, "body"),
    "byte-order-mark": (Raw(b'\xef\xbb\xbf{"x": "y"}'), 400, "body"),
    "lone-surrogate": (Raw(b'{"Editor Brief": "\\ud800"}'), 400, "body"),
    "nested-too-deep": (Raw(b"[" * 5000 + b"]" * 5000), 400, "body"),
    "over-the-limit": (Raw(b'{"x": "' + b"a" * MAX_JSON_BODY_BYTES + b'"}'), 413, "body"),
    "text-plain": (Raw(b'{"email": "x"}', "text/plain"), 415, "Content-Type"),
    "form-urlencoded": (
        Raw(b"email=a%40adda247.com", "application/x-www-form-urlencoded"),
        415,
        "Content-Type",
    ),
    "multipart": (
        Raw(
            b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
        415,
        "Content-Type",
    ),
}


def body_cases() -> list[Any]:
    """The same malformed bodies against every endpoint that reads one."""
    cases = []
    for name, (method, path, empty_object_field, null_field) in BODY_ENDPOINTS.items():
        for kind, (raw, status, fld) in MALFORMED.items():
            cases.append(row(method, path, raw, status, fld, f"{name}-{kind}"))
        cases += [
            row(method, path, Raw(b"null"), 400, null_field, f"{name}-json-null"),
            row(method, path, Raw(b""), 400, null_field, f"{name}-empty-body"),
            row(method, path, Raw(b" \n "), 400, null_field, f"{name}-blank-body"),
            row(method, path, Json({}), 400, empty_object_field, f"{name}-empty-object"),
        ]
    return cases


def entry_field_cases(method: str, path: str, name: str) -> list[Any]:
    """Column values refused by add (in a whole valid entry) and update (sent alone) alike."""

    def case(change: dict[str, Any], status: int, fld: str, case_id: str) -> Any:
        body = valid_entry(**change) if method == "POST" else change
        return row(method, path, Json(body), status, fld, f"{name}-{case_id}")

    base = valid_entry(Email=ADMIN)
    cases = []
    wrong_types = {"number": 7, "boolean": True, "null": None, "array": ["SSC"], "object": {}}
    for type_name, value in wrong_types.items():
        for column in ("Email", "Vertical Name", "Editor Brief", "VideoId"):
            cases.append(case({column: value}, 400, column, f"{column}-is-{type_name}"))
    for column in ("Exam Name", "Subject", "Type of Content", "Sub category", "Final Edited Link"):
        cases.append(case({column: 12.5}, 400, column, f"{column}-is-number"))
    for column in REQUIRED:
        cases.append(case({column: " \t "}, 400, column, f"{column}-blank"))
    for column in ("Vertical Name", "Email", "Subject", "Video Link", "VideoId"):
        for char_name, char in (("nul", "\x00"), ("bell", "\x07"), ("escape", "\x1b")):
            value = f"{base[column][:2]}{char}{base[column][2:]}"
            cases.append(case({column: value}, 400, column, f"{column}-{char_name}"))
    for column in CONSTRAINED:
        cases.append(case({column: SQL}, 400, column, f"{column}-sql"))
        cases.append(case({column: SCRIPT}, 400, column, f"{column}-script"))
    brief, link = "Editor Brief", "Video Link"
    cases += [
        case({brief: "x" * MB}, 413, "body", "editor-brief-1MB"),
        case({brief: "x" * 100_000}, 400, brief, "editor-brief-100k-chars"),
        case({brief: "é" * 5001}, 400, brief, "editor-brief-5001-chars"),
        case({brief: "ok\x00there"}, 400, brief, "editor-brief-nul"),
        case({brief: "bell\x07"}, 400, brief, "editor-brief-bell"),
        case({brief: "del\x7f"}, 400, brief, "editor-brief-delete"),
        case({"Email": LONG_EMAIL}, 400, "Email", "email-10000-chars"),
        case({"Vertical Name": "S" * 300}, 400, "Vertical Name", "vertical-300-chars"),
        case({"Subject": "M" * 201}, 400, "Subject", "subject-201-chars"),
        case({link: "https://youtube.com/" + "a" * 2048}, 400, link, "video-link-over-2048"),
        case({"VideoId": "a" * 129}, 400, "VideoId", "video-id-129-chars"),
        case({"Colour": "red"}, 400, "Colour", "unknown-field"),
        case({"vertical name": "SSC"}, 400, "vertical name", "unknown-field-wrong-case"),
        case({"Vertical Name": "SS\nC"}, 400, "Vertical Name", "vertical-inner-newline"),
        case({"Vertical Name": "SSC\x1f"}, 400, "Vertical Name", "vertical-unit-separator"),
        case({"Exam Name": "All\x85"}, 400, "Exam Name", "exam-c1-control"),
        case({link: f"https://youtube.com/shorts/{SCRIPT}"}, 400, link, "video-link-markup"),
        case({link: "javascript:alert(1)"}, 400, link, "video-link-javascript"),
    ]
    return cases


def add_cases() -> list[Any]:
    cases = entry_field_cases("POST", "/api/add", "add")
    # Subject and Sub category are required when the type is Content, as it is here.
    for column in (*REQUIRED, "Subject", "Sub category"):
        body = Json(without(valid_entry(), column))
        cases.append(row("POST", "/api/add", body, 400, column, f"add-missing-{column}"))
    return cases


def id_cases(method: str, template: str, name: str, body: Json | None = None) -> list[Any]:
    cases = [
        row(method, template.format(id=bad), body, 400, "entry_id", f"{name}-id-{kind}")
        for kind, bad in BAD_IDS.items()
    ]
    cases.append(row(method, template.format(id="999"), body, 404, "id", f"{name}-unknown-id"))
    return cases


def update_cases() -> list[Any]:
    path = "/api/update/{live}"
    brief = {"Editor Brief": "x"}
    return [
        *entry_field_cases("PUT", path, "update"),
        *id_cases("PUT", "/api/update/{id}", "update", Json(brief)),
        row("PUT", "/api/update/{deleted}", Json(brief), 404, "id", "update-deleted-entry"),
        row(
            "PUT", path, Json({"Vertical Name": ""}), 400, "Vertical Name", "update-clears-vertical"
        ),
        *(
            row("PUT", path, Json({**brief, "version": bad}), 400, "version", f"update-version-{k}")
            for k, bad in {"letters": "abc", "boolean": True, "zero": 0, "decimal": 1.5}.items()
        ),
        row("PUT", path, Json(brief, {"If-Match": SQL}), 400, "If-Match", "update-if-match-sql"),
    ]


def other_entry_cases() -> list[Any]:
    return [
        *id_cases("DELETE", "/api/delete/{id}", "delete"),
        *id_cases("GET", "/api/entries/{id}", "get"),
        *id_cases("GET", "/api/entries/{id}/history", "history"),
        *id_cases("POST", "/api/entries/{id}/restore", "restore"),
        row("DELETE", "/api/delete/{deleted}", None, 404, "id", "delete-deleted"),
        row(
            "DELETE",
            "/api/delete/{live}",
            Json(None, {"If-Match": "abc"}),
            400,
            "If-Match",
            "delete-if-match-letters",
        ),
        row("GET", "/api/entries/{deleted}", None, 404, "id", "get-deleted"),
        row("POST", "/api/entries/{live}/restore", None, 404, "id", "restore-live-entry"),
    ]


def query_cases() -> list[Any]:
    def q(params: dict[str, str], fld: str, case_id: str) -> Any:
        return row("GET", "/api/data", Query(params), 400, fld, f"data-{case_id}")

    cases = [
        q({"colour": "red"}, "colour", "unknown-param"),
        q({"Vertical": "SSC"}, "Vertical", "unknown-param-wrong-case"),
        q({"limit": "abc"}, "limit", "limit-letters"),
        q({"limit": "0"}, "limit", "limit-zero"),
        q({"limit": "-1"}, "limit", "limit-negative"),
        q({"limit": "501"}, "limit", "limit-above-max"),
        q({"limit": "1.5"}, "limit", "limit-decimal"),
        q({"limit": "1_0"}, "limit", "limit-underscore"),
        q({"limit": "١٢"}, "limit", "limit-arabic-digits"),
        q({"limit": "9" * 30}, "limit", "limit-huge"),
        q({"limit": SQL}, "limit", "limit-sql"),
        q({"sort": "colour"}, "sort", "sort-unknown"),
        q({"sort": "--id"}, "sort", "sort-double-minus"),
        q({"sort": SQL}, "sort", "sort-sql"),
        q({"cursor": "!!!"}, "cursor", "cursor-garbage"),
        q({"cursor": SQL}, "cursor", "cursor-sql"),
        q({"cursor": base64.urlsafe_b64encode(b"42").decode()}, "cursor", "cursor-number"),
        q({"cursor": cursor("id", False, 1)}, "cursor", "cursor-three-parts"),
        q({"cursor": cursor("vertical", False, "SSC", 1)}, "cursor", "cursor-other-sort"),
        q({"cursor": cursor("id", False, "abc", 1)}, "cursor", "cursor-text-for-id"),
        q({"cursor": cursor("id", False, 1, 2**70)}, "cursor", "cursor-huge-id"),
        q({"cursor": cursor("id", False, 1, True)}, "cursor", "cursor-boolean-id"),
        q(
            {"cursor": cursor("vertical", False, {"a": 1}, 1), "sort": "vertical"},
            "cursor",
            "cursor-object-value",
        ),
        q(
            {"cursor": cursor("created_at", False, "today", 1), "sort": "created_at"},
            "cursor",
            "cursor-bad-timestamp",
        ),
        q({"vertical": "S" * 300}, "vertical", "vertical-300-chars"),
        q({"vertical": "SS\x00C"}, "vertical", "vertical-nul"),
        q({"exam": "All\x1b"}, "exam", "exam-escape"),
        q({"q": "brief\x07"}, "q", "q-bell"),
        q({"q": "x" * 201}, "q", "q-201-chars"),
        q({"status": "Done"}, "status", "status-unknown"),
        q({"content_type": "Video"}, "content_type", "content-type-unknown"),
        q({"contributor": "nobody"}, "contributor", "contributor-not-an-email"),
    ]
    for name in FILTERS:
        cases += [q({name: SQL}, name, f"{name}-sql"), q({name: SCRIPT}, name, f"{name}-script")]
    return cases


def ticket_cases() -> list[Any]:
    def t(body: dict[str, Any], status: int, fld: str, case_id: str) -> Any:
        return row("POST", "/api/ticket", Json(body), status, fld, f"ticket-{case_id}")

    cases = []
    for col in valid_ticket():
        cases += [
            t(without(valid_ticket(), col), 400, col, f"missing-{col}"),
            t(valid_ticket(**{col: None}), 400, col, f"{col}-null"),
            t(valid_ticket(**{col: "  "}), 400, col, f"{col}-blank"),
            t(valid_ticket(**{col: 5}), 400, col, f"{col}-number"),
            t(valid_ticket(**{col: ["x"]}), 400, col, f"{col}-array"),
            t(valid_ticket(**{col: {"x": 1}}), 400, col, f"{col}-object"),
            t(valid_ticket(**{col: "a\x00b"}), 400, col, f"{col}-nul"),
        ]
        if col != "Issue Text":  # the one free-text column; see the byte-exact tests
            cases += [
                t(valid_ticket(**{col: SQL}), 400, col, f"{col}-sql"),
                t(valid_ticket(**{col: SCRIPT}), 400, col, f"{col}-script"),
                t(valid_ticket(**{col: "S" * 300}), 400, col, f"{col}-300-chars"),
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


SIGNUP = {
    "username": "newperson",
    "email": "new.person@adda247.com",
    "password": "long enough pw",
    "confirm_password": "long enough pw",
}
NEW = {"current_password": factories.PASSWORD, "new_password": "another long pw"}
LOGIN = {"email": "someone@adda247.com", "password": "whatever pw"}


def auth_cases() -> list[Any]:
    def a(path: str, body: dict[str, Any], status: int, fld: str, case_id: str) -> Any:
        return row("POST", f"/api/auth/{path}", Json(body), status, fld, f"{path}-{case_id}")

    login, signup, change = "login", "signup", "change-password"
    return [
        a(login, {"password": "whatever pw"}, 400, "email", "missing-email"),
        # 401 by the sign-in rules: email-only sign-in is off unless ADDA_LEGACY_EMAIL_LOGIN.
        a(login, {"email": "someone@adda247.com"}, 401, "password", "missing-password"),
        a(login, {**LOGIN, "email": 5}, 400, "email", "email-number"),
        a(login, {**LOGIN, "email": ["a@adda247.com"]}, 400, "email", "email-array"),
        a(login, {**LOGIN, "password": 5}, 400, "password", "password-number"),
        a(login, {**LOGIN, "password": True}, 400, "password", "password-boolean"),
        a(login, {**LOGIN, "password": {"a": 1}}, 400, "password", "password-object"),
        a(login, {**LOGIN, "password": "p" * 1025}, 400, "password", "password-1025-chars"),
        a(login, {**LOGIN, "email": LONG_EMAIL}, 400, "email", "email-10000-chars"),
        a(login, {**LOGIN, "email": "a\x00b@adda247.com"}, 400, "email", "email-nul"),
        a(login, {**LOGIN, "email": "a\x07b@adda247.com"}, 400, "email", "email-bell"),
        a(login, {**LOGIN, "email": "a\x1bb@adda247.com"}, 400, "email", "email-escape"),
        a(login, {**LOGIN, "email": SQL}, 400, "email", "email-sql"),
        a(login, {**LOGIN, "email": SCRIPT}, 400, "email", "email-script"),
        a(login, {**LOGIN, "email": f"x{SQL}@adda247.com"}, 400, "email", "email-sql-at"),
        a(login, {**LOGIN, "remember": True}, 400, "remember", "unknown-field"),
        a(signup, without(SIGNUP, "username"), 400, "username", "missing-username"),
        a(signup, without(SIGNUP, "email"), 400, "email", "missing-email"),
        a(signup, without(SIGNUP, "password"), 400, "password", "missing-password"),
        a(signup, {**SIGNUP, "username": 5}, 400, "username", "username-number"),
        a(signup, {**SIGNUP, "email": ["x"]}, 400, "email", "email-array"),
        a(signup, {**SIGNUP, "email": LONG_EMAIL}, 400, "email", "email-10000-chars"),
        a(signup, {**SIGNUP, "username": "u" * 300}, 400, "username", "username-300-chars"),
        a(signup, {**SIGNUP, "username": "new\x00person"}, 400, "username", "username-nul"),
        a(signup, {**SIGNUP, "email": "new\x1b@adda247.com"}, 400, "email", "email-escape"),
        a(signup, {**SIGNUP, "email": SQL}, 400, "email", "email-sql"),
        a(signup, {**SIGNUP, "email": SCRIPT}, 400, "email", "email-script"),
        a(signup, {**SIGNUP, "username": SQL}, 400, "username", "username-sql"),
        a(signup, {**SIGNUP, "username": SCRIPT}, 400, "username", "username-script"),
        a(signup, {**SIGNUP, "role": "admin"}, 400, "role", "unknown-field"),
        a(
            signup,
            {**SIGNUP, "password": "short", "confirm_password": "short"},
            400,
            "password",
            "password-too-short",
        ),
        a("refresh", {"refresh_token": 5}, 400, "refresh_token", "token-number"),
        a("refresh", {"refresh_token": ""}, 400, "refresh_token", "token-empty"),
        a("refresh", {"refresh_token": "x", "token": "y"}, 400, "token", "unknown-field"),
        a(change, {**NEW, "new_password": 12345678}, 400, "new_password", "new-number"),
        a(change, {**NEW, "new_password": "short"}, 400, "new_password", "new-too-short"),
        a(change, {**NEW, "new_password": "p" * 1025}, 400, "new_password", "new-1025-chars"),
        a(change, {**NEW, "current_password": 5}, 400, "current_password", "current-number"),
        a(change, without(NEW, "current_password"), 400, "current_password", "current-missing"),
        a(change, {**NEW, "confirm": "x"}, 400, "confirm", "unknown-field"),
        *verification_cases(),
    ]


def verification_cases() -> list[Any]:
    """The emailed link's token with the sign-up's password, and the address a new link is
    asked for."""

    def a(path: str, body: dict[str, Any], status: int, fld: str, case_id: str) -> Any:
        return row("POST", f"/api/auth/{path}", Json(body), status, fld, f"{path}-{case_id}")

    def link(token: Any, **more: Any) -> dict[str, Any]:
        return {"token": token, "password": "a long enough password", **more}

    verify, resend = "verify-email", "resend-verification"
    unknown_token = "A" * 43  # the shape of a real token, matching no link
    return [
        a(verify, link(None), 400, "token", "token-null"),
        a(verify, link(""), 400, "token", "token-empty"),
        a(verify, link(5), 400, "token", "token-number"),
        a(verify, link(["x" * 43]), 400, "token", "token-array"),
        a(verify, link("short"), 400, "token", "token-too-short"),
        a(verify, link("t" * 200), 400, "token", "token-200-chars"),
        a(verify, link(SQL), 400, "token", "token-sql"),
        a(verify, link(SCRIPT), 400, "token", "token-script"),
        a(verify, link("a\x00" + "b" * 40), 400, "token", "token-nul"),
        a(verify, link(unknown_token), 400, "token", "token-unknown"),
        a(verify, {"password": "a long enough password"}, 400, "token", "token-missing"),
        a(verify, {"token": unknown_token}, 400, "password", "password-missing"),
        a(verify, link(unknown_token, password=None), 400, "password", "password-null"),
        a(verify, link(unknown_token, password=""), 400, "password", "password-empty"),
        a(verify, link(unknown_token, password=12345678), 400, "password", "password-number"),
        a(verify, link(unknown_token, password=["x" * 8]), 400, "password", "password-array"),
        a(verify, link(unknown_token, password="p" * 1025), 400, "password", "password-1025"),
        a(verify, link(unknown_token, email=ADMIN), 400, "email", "unknown-field"),
        a(resend, {"email": None}, 400, "email", "email-null"),
        a(resend, {"email": ""}, 400, "email", "email-empty"),
        a(resend, {"email": 5}, 400, "email", "email-number"),
        a(resend, {"email": [ADMIN]}, 400, "email", "email-array"),
        a(resend, {"email": LONG_EMAIL}, 400, "email", "email-10000-chars"),
        a(resend, {"email": "a\x1bb@adda247.com"}, 400, "email", "email-escape"),
        a(resend, {"email": SQL}, 400, "email", "email-sql"),
        a(resend, {"email": SCRIPT}, 400, "email", "email-script"),
        a(resend, {"email": "someone@gmail.com"}, 400, "email", "email-other-domain"),
        a(resend, {"email": ADMIN, "username": "admin"}, 400, "username", "unknown-field"),
    ]


def sheet_page_cases() -> list[Any]:
    """The admin's spreadsheet import pages (HTML answers: the field is in ``data-field``)."""
    check, upload = "/ui/admin/sheets/xlsx/check", "/ui/admin/sheets/xlsx/import"
    sheet = "/ui/admin/sheets/import"
    form = "application/x-www-form-urlencoded"
    stale = "0" * 64  # the shape of a fingerprint, of nothing ever checked
    oversize = Raw(b"--b\r\n" + b"x" * (25 * MB), "multipart/form-data; boundary=b")
    return [
        row("POST", check, None, 400, "body", "xlsx-check-no-body"),
        row("POST", check, Raw(b'{"file": "team.xlsx"}'), 400, "body", "xlsx-check-json"),
        row("POST", check, Raw(b"file=team.xlsx", form), 400, "body", "xlsx-check-form"),
        row("POST", check, Upload(filename=None), 400, "file", "xlsx-check-no-file"),
        row("POST", check, Upload(filename=""), 400, "file", "xlsx-check-nothing-chosen"),
        row("POST", check, Upload(filename="team.csv"), 400, "file", "xlsx-check-csv"),
        row("POST", check, Upload(content=b"PK\x03\x04 no zip"), 400, "file", "xlsx-check-damaged"),
        row("POST", check, Upload(content=SCRIPT.encode()), 400, "file", "xlsx-check-html"),
        row("POST", check, Upload(filename="../../x.xlsx", content=b"x"), 400, "file", "xlsx-path"),
        row("POST", check, Upload(content="three tabs"), 400, "workbook", "xlsx-check-three-tabs"),
        row("POST", check, oversize, 413, "file", "xlsx-check-over-25MB"),
        row("POST", upload, Upload(), 400, "checked", "xlsx-import-unchecked"),
        row(
            "POST", upload, Upload(fields={"checked": "abc"}), 400, "checked", "xlsx-checked-short"
        ),
        row("POST", upload, Upload(fields={"checked": SQL}), 400, "checked", "xlsx-checked-sql"),
        row("POST", upload, Upload(fields={"checked": "A" * 64}), 400, "checked", "xlsx-upper"),
        row("POST", upload, Upload(fields={"checked": stale}), 409, "checked", "xlsx-import-stale"),
        row("POST", sheet, None, 400, "body", "sheet-import-no-body"),
        row("POST", sheet, Raw(b'{"checked": "x"}'), 400, "body", "sheet-import-json"),
        row("POST", sheet, Raw(b"", form), 400, "checked", "sheet-import-unchecked"),
        row(
            "POST", sheet, Raw(b"checked=" + SCRIPT.encode(), form), 400, "checked", "sheet-script"
        ),
        row("POST", sheet, Raw(b"checked=" + stale.encode(), form), 409, "checked", "sheet-stale"),
        row("POST", sheet, Raw(b"checked=" + b"a" * MB, form), 413, "body", "sheet-import-1MB"),
    ]


SHEET_PAGE_CASES = sheet_page_cases()
CASES = [
    *body_cases(),
    *add_cases(),
    *update_cases(),
    *other_entry_cases(),
    *query_cases(),
    *ticket_cases(),
    *auth_cases(),
]
