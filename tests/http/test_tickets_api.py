"""POST /api/ticket: the frontend's ticket body is stored in the tickets table, open to anyone.

Every refusal carries both ``error`` and ``message`` (the frontend shows ``error``; the original
sent only ``message`` on a 400) and writes nothing. Tickets never land among the entries, where
the original's last fallback put them (C9).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select, text
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.models import Entry, Ticket
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
def test_every_ticket_status_is_accepted(
    client: TestClient, container: Container, status: str
) -> None:
    response = client.post("/api/ticket", json=frontend_ticket(Status=status))
    assert response.status_code == 201
    assert [t["Status"] for t in stored_tickets(container)] == [status]


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
