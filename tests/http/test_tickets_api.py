"""POST /api/ticket: the frontend's ticket body is stored in the tickets table, open to anyone;
GET /api/tickets lists them for signed-in users and PATCH /api/tickets/{id} lets editors and
admins move a ticket's status.

Every refusal carries both ``error`` and ``message`` (the frontend shows ``error``; the original
sent only ``message`` on a 400) and writes nothing. Tickets never land among the entries, where
the original's last fallback put them (C9).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.models import AuditRecord, Entry, Ticket
from adda_dashboard.domain.roles import Role
from tests.factories import add_entry
from tests.http.auth_support import signed_in

CONTRACT_ORDER = [
    "Ticket ID",
    "Vertical",
    "Exam Name",
    "Subject",
    "Issue Type",
    "Status",
    "Issue Text",
]


def frontend_ticket(**overrides: Any) -> dict[str, Any]:
    """A body exactly as TicketModal sends it."""
    body = {
        "Ticket ID": "TKT-1731660000123-417",
        "Vertical": "Teaching",
        "Exam Name": "CTET",
        "Subject": "EVS",
        "Issue Type": "Incorrect Video Link",
        "Status": "Open",
        "Issue Text": "Sr no. 12 links to the wrong Short.\nPlease fix.",
    }
    body.update(overrides)
    return body


def stored_tickets(container: Container) -> list[dict[str, Any]]:
    with container.db.read() as session:
        rows = session.execute(select(Ticket).order_by(Ticket.id)).scalars().all()
        return [
            {
                "Ticket ID": t.ticket_id,
                "Vertical": t.vertical,
                "Exam Name": t.exam,
                "Subject": t.subject,
                "Issue Type": t.issue_type,
                "Status": t.status,
                "Issue Text": t.issue_text,
                "reporter": t.reporter_email,
            }
            for t in rows
        ]


def assert_refused(response: Any, status: int, message: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"] == body["message"] == message
    if field is not None:
        assert body["field"] == field


# Success ----------------------------------------------------------------------------------------


def test_frontend_ticket_is_stored_and_answered_with_201(
    client: TestClient, container: Container
) -> None:
    response = client.post("/api/ticket", json=frontend_ticket())
    assert response.status_code == 201
    assert response.json() == {
        "success": True,
        "message": "Ticket raised successfully",
        "ticket_id": "TKT-1731660000123-417",
    }
    assert stored_tickets(container) == [{**frontend_ticket(), "reporter": None}]


def test_a_signed_in_reporter_is_recorded(client: TestClient, container: Container) -> None:
    email, token = signed_in(container, Role.viewer)
    response = client.post(
        "/api/ticket", json=frontend_ticket(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201
    assert [t["reporter"] for t in stored_tickets(container)] == [email]


@pytest.mark.parametrize("status", ["Open", "In Progress", "Resolved", "Closed"])
def test_an_editor_may_raise_a_ticket_in_any_status(
    client: TestClient, container: Container, editor: dict[str, str], status: str
) -> None:
    response = client.post("/api/ticket", json=frontend_ticket(Status=status), headers=editor)
    assert response.status_code == 201
    assert [t["Status"] for t in stored_tickets(container)] == [status]


@pytest.mark.parametrize("who", ["anonymous", "contributor"])
@pytest.mark.parametrize("status", ["In Progress", "Resolved", "Closed"])
def test_a_ticket_raised_by_anyone_else_starts_open(
    client: TestClient,
    container: Container,
    contributor: dict[str, str],
    who: str,
    status: str,
) -> None:
    headers = contributor if who == "contributor" else {}
    response = client.post("/api/ticket", json=frontend_ticket(Status=status), headers=headers)
    assert response.status_code == 201
    assert [t["Status"] for t in stored_tickets(container)] == ["Open"]


def test_every_issue_type_and_a_normalised_vertical_are_accepted(
    client: TestClient, container: Container
) -> None:
    issue_types = [
        "Wrong Data Entry",
        "Duplicate Entry",
        "Missing Information",
        "Incorrect Video Link",
        "Wrong Category/Subject",
        "Other",
    ]
    for n, issue_type in enumerate(issue_types):
        body = frontend_ticket(
            **{
                "Ticket ID": f"TKT-1731660000123-{n}",
                "Issue Type": issue_type,
                "Vertical": "UGC",
                "Exam Name": "Paper 1",
                "Subject": "General Paper",
            }
        )
        assert client.post("/api/ticket", json=body).status_code == 201, issue_type
    assert [t["Issue Type"] for t in stored_tickets(container)] == issue_types


def test_tickets_never_touch_the_entries(
    client: TestClient, container: Container, contributor: dict[str, str]
) -> None:
    add_entry(client, contributor)
    before = client.get("/api/data", headers=contributor).json()
    for n in range(3):
        body = frontend_ticket(**{"Ticket ID": f"TKT-1731660000123-{n}"})
        assert client.post("/api/ticket", json=body).status_code == 201
    assert client.get("/api/data", headers=contributor).json() == before
    with container.db.read() as session:
        assert session.execute(select(func.count()).select_from(Entry)).scalar_one() == 1
    assert len(stored_tickets(container)) == 3


# Refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, None])
def test_an_empty_body_is_no_ticket_data(
    client: TestClient, container: Container, body: Any
) -> None:
    response = client.post("/api/ticket", json=body)
    assert_refused(response, 400, "No ticket data provided")
    assert stored_tickets(container) == []


def test_a_missing_field_is_named(client: TestClient, container: Container) -> None:
    body = frontend_ticket()
    del body["Issue Type"]
    assert_refused(
        client.post("/api/ticket", json=body),
        400,
        "Missing required fields: Issue Type",
        "Issue Type",
    )
    assert stored_tickets(container) == []


def test_missing_fields_are_listed_in_contract_order(
    client: TestClient, container: Container
) -> None:
    # Given in reverse order, blank, null, or absent: all count as missing.
    body = {
        "Issue Text": "   ",
        "Status": None,
        "Issue Type": "Other",
        "Vertical": "SSC",
        "Ticket ID": "",
    }
    assert_refused(
        client.post("/api/ticket", json=body),
        400,
        "Missing required fields: Ticket ID, Exam Name, Subject, Status, Issue Text",
        "Ticket ID",
    )
    only_one = {"Ticket ID": "TKT-1-1"}
    assert_refused(
        client.post("/api/ticket", json=only_one),
        400,
        f"Missing required fields: {', '.join(CONTRACT_ORDER[1:])}",
    )
    assert stored_tickets(container) == []


def test_status_is_required_as_in_the_original(client: TestClient, container: Container) -> None:
    body = frontend_ticket()
    del body["Status"]
    assert_refused(
        client.post("/api/ticket", json=body), 400, "Missing required fields: Status", "Status"
    )
    assert stored_tickets(container) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"Issue Type": "Typo"}, "Issue Type"),
        ({"Issue Type": "other"}, "Issue Type"),
        ({"Status": "Done"}, "Status"),
        ({"Status": "open"}, "Status"),
        ({"Vertical": "Atlantis"}, "Vertical"),
        ({"Vertical": "ugc"}, "Vertical"),  # the served key; the frontend sends it normalised
        ({"Exam Name": "CGL"}, "Exam Name"),  # an SSC exam, not a Teaching one
        ({"Exam Name": "All"}, "Exam Name"),  # no "All" in the ticket form
        ({"Subject": "Shorthand"}, "Subject"),
        ({"Ticket ID": "TKT 1"}, "Ticket ID"),
        ({"Ticket ID": "T" * 101}, "Ticket ID"),
        ({"Issue Text": 42}, "Issue Text"),
        ({"Priority": "High"}, "Priority"),
    ],
)
def test_an_invalid_value_is_a_400_naming_its_field(
    client: TestClient, container: Container, overrides: dict[str, Any], field: str
) -> None:
    response = client.post("/api/ticket", json=frontend_ticket(**overrides))
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["success"], body["field"]) == (False, field)
    assert body["error"] == body["message"] and field in body["message"]
    assert stored_tickets(container) == []


def test_a_duplicate_ticket_id_is_a_409_and_the_first_ticket_stays(
    client: TestClient, container: Container
) -> None:
    assert client.post("/api/ticket", json=frontend_ticket()).status_code == 201
    again = frontend_ticket(**{"Issue Text": "another text", "Status": "Closed"})
    assert_refused(
        client.post("/api/ticket", json=again),
        409,
        "Ticket ID 'TKT-1731660000123-417' already exists",
        "Ticket ID",
    )
    assert stored_tickets(container) == [{**frontend_ticket(), "reporter": None}]


def test_a_non_json_body_is_refused_without_a_500(client: TestClient, container: Container) -> None:
    not_json = client.post(
        "/api/ticket", content=b"{broken", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert not_json.json()["field"] == "body"
    form = client.post(
        "/api/ticket", content=b"a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 415
    assert stored_tickets(container) == []


def test_a_bad_token_is_refused_even_though_none_is_needed(
    client: TestClient, container: Container
) -> None:
    response = client.post(
        "/api/ticket", json=frontend_ticket(), headers={"Authorization": "Bearer forged"}
    )
    assert response.status_code == 401
    assert stored_tickets(container) == []


def test_a_ticket_id_taken_by_a_concurrent_writer_is_a_409_not_a_500(
    client: TestClient, container: Container
) -> None:
    """The uniqueness check and the insert race: another transaction inserts the same id after
    our check and commits while our insert waits on the unique index (PostgreSQL)."""
    if container.db.is_sqlite:
        pytest.skip("SQLite runs one writer at a time, so the check and insert cannot interleave")
    with ThreadPoolExecutor(max_workers=1) as pool, container.db.write() as session:
        session.add(
            Ticket(
                ticket_id="TKT-1731660000123-417",
                vertical="SSC",
                exam="CGL",
                subject="Maths",
                issue_type="Other",
                status="Open",
                issue_text="x",
            )
        )
        session.flush()
        pending = pool.submit(client.post, "/api/ticket", json=frontend_ticket())
        wait_for_a_blocked_insert(container)
    response = pending.result(timeout=30)
    assert_refused(response, 409, "Ticket ID 'TKT-1731660000123-417' already exists", "Ticket ID")
    assert [t["Issue Text"] for t in stored_tickets(container)] == ["x"]


def wait_for_a_blocked_insert(container: Container) -> None:
    """Return once a session of this database waits for a lock (our request's insert)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with container.db.read() as session:
            waiting = session.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError("the request never reached its insert")


# Listing: GET /api/tickets ----------------------------------------------------------------------


def raise_as(client: TestClient, headers: dict[str, str] | None, **overrides: Any) -> str:
    """Raise a ticket (as the holder of ``headers``, or anonymously); returns its id."""
    body = frontend_ticket(**overrides)
    response = client.post("/api/ticket", json=body, headers=headers or {})
    assert response.status_code == 201, response.text
    return str(body["Ticket ID"])


def listed(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/tickets", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return dict(body)


def ids(page: dict[str, Any]) -> list[str]:
    return [t["Ticket ID"] for t in page["tickets"]]


def test_tickets_are_listed_newest_first_under_the_contract_names(
    client: TestClient, container: Container, viewer: dict[str, str], editor: dict[str, str]
) -> None:
    first = raise_as(client, None, **{"Ticket ID": "TKT-1-1"})
    second = raise_as(client, editor, **{"Ticket ID": "TKT-2-2", "Status": "In Progress"})
    page = listed(client, viewer)
    assert ids(page) == [second, first]
    assert (page["count"], page["total"], page["offset"], page["next_offset"]) == (2, 2, 0, None)
    newest = page["tickets"][0]
    assert set(newest) == {*CONTRACT_ORDER, "reporter", "created_at", "updated_at"}
    assert {k: newest[k] for k in CONTRACT_ORDER} == frontend_ticket(
        **{"Ticket ID": "TKT-2-2", "Status": "In Progress"}
    )
    me = client.get("/api/auth/me", headers=editor).json()["user"]["email"]
    assert newest["reporter"] == me
    assert page["tickets"][1]["reporter"] is None
    assert newest["created_at"] == newest["updated_at"]
    assert moment(newest["created_at"]) >= moment(page["tickets"][1]["created_at"])


def test_listing_needs_a_signed_in_user(client: TestClient) -> None:
    assert client.get("/api/tickets").status_code == 401
    forged = client.get("/api/tickets", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401


def test_each_filter_narrows_the_list(
    client: TestClient, viewer: dict[str, str], contributor: dict[str, str], editor: dict[str, str]
) -> None:
    open_teaching = raise_as(client, contributor, **{"Ticket ID": "TKT-10-1"})
    closed_ssc = raise_as(
        client,
        editor,
        **{
            "Ticket ID": "TKT-10-2",
            "Vertical": "SSC",
            "Exam Name": "CGL",
            "Subject": "Maths",
            "Issue Type": "Duplicate Entry",
            "Status": "Closed",
            "Issue Text": "Sr no. 40 appears twice (100% sure)",
        },
    )
    me = client.get("/api/auth/me", headers=contributor).json()["user"]["email"]
    assert ids(listed(client, viewer, status="Closed")) == [closed_ssc]
    assert ids(listed(client, viewer, status="Open")) == [open_teaching]
    assert ids(listed(client, viewer, issue_type="Duplicate Entry")) == [closed_ssc]
    assert ids(listed(client, viewer, vertical="Teaching")) == [open_teaching]
    assert ids(listed(client, viewer, reporter=me.upper())) == [open_teaching]
    # q: case-insensitive text in the ticket id or the issue text; wildcards are literal.
    assert ids(listed(client, viewer, q="APPEARS TWICE")) == [closed_ssc]
    assert ids(listed(client, viewer, q="10-1")) == [open_teaching]
    assert ids(listed(client, viewer, q="100%")) == [closed_ssc]
    assert ids(listed(client, viewer, q="%")) == [closed_ssc]
    assert ids(listed(client, viewer, q="_")) == []
    # Filters combine.
    both = listed(client, viewer, status="Closed", vertical="Teaching")
    assert (ids(both), both["total"]) == ([], 0)


def test_pages_walk_every_ticket_once_with_the_total(
    client: TestClient, viewer: dict[str, str]
) -> None:
    raised = [raise_as(client, None, **{"Ticket ID": f"TKT-20-{n}"}) for n in range(5)]
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = listed(client, viewer, limit=2, offset=offset)
        assert page["total"] == 5 and page["limit"] == 2
        assert page["count"] == len(page["tickets"]) <= 2
        seen += ids(page)
        offset = page["next_offset"]
    assert seen == list(reversed(raised))
    past_the_end = listed(client, viewer, limit=2, offset=10)
    assert (past_the_end["tickets"], past_the_end["total"]) == ([], 5)
    assert ids(listed(client, viewer, status="Open", limit=200)) == list(reversed(raised))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "Done"}, "status"),
        ({"status": "open"}, "status"),
        ({"status": ""}, "status"),
        ({"issue_type": "Typo"}, "issue_type"),
        ({"vertical": "<script>"}, "vertical"),
        ({"vertical": ""}, "vertical"),
        ({"reporter": "not-an-email"}, "reporter"),
        ({"q": "x" * 201}, "q"),
        ({"q": "tab\there"}, "q"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"sort": "id"}, "sort"),
        ({"Status": "Open"}, "Status"),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(
    client: TestClient, viewer: dict[str, str], params: dict[str, str], field: str
) -> None:
    raise_as(client, None)
    response = client.get("/api/tickets", params=params, headers=viewer)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["success"], body["field"]) == (False, field)
    assert f"'{field}'" in body["message"]


# Status changes: PATCH /api/tickets/{ticket_id} -------------------------------------------------


def audit_of(container: Container, ticket_id: str) -> list[dict[str, Any]]:
    with container.db.read() as session:
        row = session.execute(select(Ticket).where(Ticket.ticket_id == ticket_id)).scalar_one()
        records = session.execute(
            select(AuditRecord)
            .where(AuditRecord.entity == "ticket", AuditRecord.entity_id == row.id)
            .order_by(AuditRecord.id)
        ).scalars()
        return [{"action": r.action, "actor": r.actor_email, "changes": r.changes} for r in records]


def status_of(client: TestClient, headers: dict[str, str], ticket_id: str) -> dict[str, Any]:
    (ticket,) = [t for t in listed(client, headers, q=ticket_id)["tickets"]]
    return dict(ticket)


@pytest.mark.parametrize("role", [Role.editor, Role.admin])
def test_an_editor_or_admin_changes_the_status_and_it_is_audited(
    client: TestClient, container: Container, role: Role
) -> None:
    email, token = signed_in(container, role)
    headers = {"Authorization": f"Bearer {token}"}
    ticket_id = raise_as(client, None)
    before = status_of(client, headers, ticket_id)
    response = client.patch(
        f"/api/tickets/{ticket_id}", json={"status": "Resolved"}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["success"], body["changed"]) == (True, True)
    assert body["ticket"]["Status"] == "Resolved"
    assert body["ticket"]["Ticket ID"] == ticket_id
    assert moment(body["ticket"]["updated_at"]) > moment(before["updated_at"])
    assert body["ticket"]["created_at"] == before["created_at"]
    after = status_of(client, headers, ticket_id)
    assert after == body["ticket"]
    assert {k: after[k] for k in CONTRACT_ORDER} == frontend_ticket(Status="Resolved")
    assert audit_of(container, ticket_id) == [
        {
            "action": "update",
            "actor": email,
            "changes": {"Status": {"from": "Open", "to": "Resolved"}},
        }
    ]


def test_setting_the_same_status_again_changes_nothing(
    client: TestClient, container: Container, editor: dict[str, str]
) -> None:
    ticket_id = raise_as(client, None)
    before = status_of(client, editor, ticket_id)
    response = client.patch(f"/api/tickets/{ticket_id}", json={"status": "Open"}, headers=editor)
    assert response.status_code == 200
    assert response.json()["changed"] is False
    assert status_of(client, editor, ticket_id) == before
    assert audit_of(container, ticket_id) == []


@pytest.mark.parametrize("role", [Role.viewer, Role.contributor])
def test_viewers_and_contributors_may_not_change_a_status(
    client: TestClient, container: Container, role: Role
) -> None:
    _, token = signed_in(container, role)
    headers = {"Authorization": f"Bearer {token}"}
    ticket_id = raise_as(client, headers)
    before = status_of(client, headers, ticket_id)
    response = client.patch(f"/api/tickets/{ticket_id}", json={"status": "Closed"}, headers=headers)
    assert response.status_code == 403, response.text
    assert response.json()["success"] is False
    assert status_of(client, headers, ticket_id) == before
    assert audit_of(container, ticket_id) == []


def test_changing_a_status_needs_a_signed_in_user(client: TestClient) -> None:
    ticket_id = raise_as(client, None)
    response = client.patch(f"/api/tickets/{ticket_id}", json={"status": "Closed"})
    assert response.status_code == 401


@pytest.mark.parametrize("ticket_id", ["TKT-404-404", "no such ticket", "x" * 150])
def test_an_unknown_ticket_is_a_404(
    client: TestClient, editor: dict[str, str], ticket_id: str
) -> None:
    raise_as(client, None)
    response = client.patch(f"/api/tickets/{ticket_id}", json={"status": "Closed"}, headers=editor)
    assert response.status_code == 404, response.text
    assert response.json()["field"] == "ticket_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "Done"}, "status"),
        ({"status": "resolved"}, "status"),
        ({"status": ""}, "status"),
        ({"status": None}, "status"),
        ({"status": 3}, "status"),
        ({}, "status"),
        ({"status": "Closed", "Issue Text": "rewritten"}, "Issue Text"),
        (None, "body"),
    ],
)
def test_a_bad_status_body_is_a_400_naming_its_field_and_changes_nothing(
    client: TestClient, container: Container, editor: dict[str, str], body: Any, field: str
) -> None:
    ticket_id = raise_as(client, None)
    before = status_of(client, editor, ticket_id)
    response = client.patch(f"/api/tickets/{ticket_id}", json=body, headers=editor)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert (answer["success"], answer["field"]) == (False, field)
    assert answer["error"] == answer["message"]
    assert status_of(client, editor, ticket_id) == before
    assert audit_of(container, ticket_id) == []


def moment(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)
