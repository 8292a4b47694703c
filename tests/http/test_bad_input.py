"""Bad input on every endpoint: a precise 4xx JSON error naming the field, and nothing written.

The table (bad_input_cases.py) sends malformed bodies, wrong types, missing and oversize values,
unknown fields, control characters, bad ids and query parameters, and injection strings in
constrained fields. Each case checks the status, the error shape, the field named, and that
every table of the database is exactly as before. Free text (Editor Brief, Issue Text) is the
other side: any Unicode, SQL or HTML in it is stored and returned byte for byte.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from adda_dashboard.adapters.passwords import hash_password
from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container
from adda_dashboard.db.base import Base, utcnow
from adda_dashboard.db.models import Entry, Ticket, User
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.factories import valid_entry
from tests.http.bad_input_cases import (
    ADMIN,
    CASES,
    MB,
    MESSAGE_NAMES,
    SCRIPT,
    SHEET_PAGE_CASES,
    SQL,
    Json,
    Payload,
    Query,
    Raw,
    Upload,
    valid_ticket,
)
from tests.sheet_fixtures import SheetStack
from tests.sheet_support import team_sheet, write_workbook


@dataclass
class World:
    """The rows every case runs against: an admin, a live and a soft-deleted entry."""

    headers: dict[str, str]
    live: int
    deleted: int


@functools.cache
def password_hash() -> str:
    """Hashed once: argon2 per case would dominate a thousand-case table."""
    return hash_password(factories.PASSWORD)


def admin_headers(container: Container) -> dict[str, str]:
    """A real admin row with a real password hash, signed in through the auth service."""
    with container.db.write() as session:
        user = users_repo.insert(
            session,
            User(
                email=ADMIN,
                username="admin",
                password_hash=password_hash(),
                role=Role.admin.value,
                auth_source="password",
                email_verified_at=utcnow(),
            ),
        )
        token = container.auth.session_for(user, "Password")["token"]
    return {"Authorization": f"Bearer {token}"}


def build_world(client: TestClient, container: Container) -> World:
    headers = admin_headers(container)
    live = factories.add_entry(client, headers)
    deleted = factories.add_entry(client, headers)
    assert client.delete(f"/api/delete/{deleted['id']}", headers=headers).status_code == 200
    return World(headers, live["id"], deleted["id"])


@pytest.fixture
def world(client: TestClient, container: Container) -> World:
    return build_world(client, container)


# The world of the table, per database, with the digests it was left at.
_TABLE_WORLDS: dict[str, tuple[World, dict[str, str]]] = {}


@pytest.fixture
def table_world(
    request: pytest.FixtureRequest, session_container: Container, database_url: str
) -> Iterator[tuple[TestClient, World]]:
    """The table's cases write nothing (each asserts it), so one world serves them all.

    It is rebuilt on an emptied database whenever the tables differ from how the last build
    left them: after another test, or after a case that wrongly wrote.
    """
    cached = _TABLE_WORLDS.get(database_url)
    if cached is None or table_digests(session_container) != cached[1]:
        container = request.getfixturevalue("container")  # empties the database
        with TestClient(create_app(container=container)) as client:
            world = build_world(client, container)
        cached = _TABLE_WORLDS[database_url] = (world, table_digests(container))
    with TestClient(create_app(container=session_container)) as client:
        yield client, cached[0]


def table_digests(container: Container) -> dict[str, str]:
    """A digest of every row of every table, so any write shows up."""
    digests = {}
    with container.db.read() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
            digests[table.name] = hashlib.sha256(
                repr([tuple(r) for r in rows]).encode()
            ).hexdigest()
    return digests


def send(client: TestClient, world: World, method: str, path: str, payload: Payload) -> Any:
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
    session_container: Container,
    table_world: tuple[TestClient, World],
    method: str,
    path: str,
    payload: Payload,
    status: int,
    field: str,
) -> None:
    client, world = table_world
    before = table_digests(session_container)
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
    assert table_digests(session_container) == before


# The other side: what is accepted is stored and returned exactly ---------------------------------

FREE_TEXTS = {
    "hindi": "हिंदी में संपादन: पहले 5 सेकंड में प्रश्न दिखाएँ",
    "emoji": "🎬 Cut at 0:05 👍🏽 family 👨‍👩‍👧 flag 🇮🇳",
    "sql": SQL,
    "script": f'{SCRIPT} <img src=x onerror="alert(2)"> &amp; &lt;',
    "mixed-scripts-and-marks": "e\u0301 Ω ß ﬁ \u200d \u202eRTL\u202c العربية 中文",
    "whitespace-kept": "  leading spaces\n\tindented line\r\nlast line with trailing spaces  \n\n",
    "backslashes-and-quotes": "C:\\path\\\"quoted\"\\ 'single' `tick` %_ wildcard",
}


@pytest.mark.parametrize("text", FREE_TEXTS.values(), ids=FREE_TEXTS.keys())
def test_editor_brief_is_stored_and_returned_byte_exact(
    client: TestClient, container: Container, world: World, text: str
) -> None:
    added = client.post(
        "/api/add", json=valid_entry(**{"Editor Brief": text}), headers=world.headers
    )
    assert added.status_code == 200, added.text
    entry_id = added.json()["id"]
    assert added.json()["data"]["Editor Brief"] == text
    fetched = client.get(f"/api/entries/{entry_id}", headers=world.headers)
    assert fetched.json()["data"]["Editor Brief"] == text
    assert orjson.dumps(text) in fetched.content  # the UTF-8 itself, not an escaped rewrite
    listed = client.get("/api/data", headers=world.headers).json()["data"]
    assert [r["Editor Brief"] for r in listed if r["id"] == entry_id] == [text]
    with container.db.read() as session:
        stored = session.execute(select(Entry.editor_brief).where(Entry.id == entry_id)).scalar()
    assert stored == text

    updated = client.put(
        f"/api/update/{world.live}", json={"Editor Brief": text}, headers=world.headers
    )
    assert updated.status_code == 200, updated.text
    assert (
        client.get(f"/api/entries/{world.live}", headers=world.headers).json()["data"][
            "Editor Brief"
        ]
        == text
    )
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
    body = valid_entry(
        **{
            "Email": "  Someone.Else@ADDA247.com\t",
            "Vertical Name": " SSC ",
            "Exam Name": "\tAll\n",
            "Subject": "Maths  ",
            "Video Link": "  https://youtube.com/shorts/abcdefghijk  ",
            "VideoId": " abcdefghijk ",
            "Editor Brief": brief,
        }
    )
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
            "someone.else@adda247.com",
            "SSC",
            brief,
        )


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


def test_add_without_email_credits_the_signed_in_user(client: TestClient, world: World) -> None:
    data = factories.add_entry(client, world.headers, Email="")
    assert data["Email"] == ADMIN


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/merge-patch+json",
        None,
    ],
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
        "vertical": "SSC",
        "exam": "All",
        "subject": "Maths",
        "content_type": "Content",
        "sub_category": "Tricks & Formulas",
        "status": "Final",
        "contributor": "ADMIN@adda247.com",
        "sort": "-id",
        "limit": "500",
    }
    response = client.get("/api/data", params=params, headers=world.headers)
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 1


# The spreadsheet import's pages: HTML answers, the same rules ------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERROR_ALERT = re.compile(
    r'<div class="alert alert-error"[^>]*data-status="(\d+)" data-field="([^"]+)">'
)


def upload_parts(payload: Upload, folder: Path) -> dict[str, Any]:
    """``files`` and ``data`` for the client: the workbook named by ``content`` built here."""
    content = payload.content
    if isinstance(content, str):
        sheet = team_sheet(finals=2, reedits=1, users=1, tickets=1)
        if content == "three tabs":
            del sheet.tabs["Tickets"]
        content = write_workbook(folder / "built.xlsx", sheet).read_bytes()
    files = {} if payload.filename is None else {"file": (payload.filename, content, XLSX)}
    return {"files": files or {"note": (None, b"no file here")}, "data": payload.fields}


@pytest.mark.parametrize(("method", "path", "payload", "status", "field"), SHEET_PAGE_CASES)
def test_bad_input_to_the_spreadsheet_pages_is_named_and_writes_nothing(
    sheet_stack: SheetStack,
    tmp_path: Path,
    method: str,
    path: str,
    payload: Payload,
    status: int,
    field: str,
) -> None:
    sheet_stack.load(team_sheet(finals=2, reedits=1, users=1, tickets=1))
    headers = {**sheet_stack.headers(), "HX-Request": "true"}
    before = table_digests(sheet_stack.container)
    kwargs: dict[str, Any] = {}
    if isinstance(payload, Upload):
        kwargs = upload_parts(payload, tmp_path)
    elif isinstance(payload, Raw):
        kwargs["content"] = payload.data
        if payload.content_type is not None:
            headers["Content-Type"] = payload.content_type
    response = sheet_stack.client.request(method, path, headers=headers, **kwargs)

    assert response.status_code == status, response.text
    assert response.headers["HX-Retarget"] == "#flash"
    alert = ERROR_ALERT.search(response.text)
    assert alert is not None, response.text
    assert alert.groups() == (str(status), field)
    message = re.search(r"<strong>(.*?)</strong>", response.text, re.S)
    assert message is not None
    names = MESSAGE_NAMES.get(field, (field,))
    assert any(name.lower() in message.group(1).lower() for name in names), message.group(1)
    assert table_digests(sheet_stack.container) == before
    assert [m for m in sheet_stack.standin.methods() if m != "values.batchGet"] in (
        [],
        ["spreadsheets.get"],  # the stale import read the sheet before it refused
    )
