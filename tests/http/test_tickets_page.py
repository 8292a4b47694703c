"""The tickets pages: the list with its filters in the URL, the status control for editors and
admins only, and the form that raises a ticket, each answered as HTML by the same service rules
as the API (run on both databases)."""

from __future__ import annotations

import re
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.models import Ticket
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.http.auth_support import signed_in
from tests.http.browser_support import post_sign_in
from tests.http.html_support import Node, parse

HTMX = {"HX-Request": "true"}
CSRF = re.compile(r'data-csrf="([0-9a-f]+)"')


def ticket_body(ticket_id: str, **overrides: str) -> dict[str, str]:
    body = {
        "Ticket ID": ticket_id,
        "Vertical": "Teaching",
        "Exam Name": "CTET",
        "Subject": "EVS",
        "Issue Type": "Incorrect Video Link",
        "Status": "Open",
        "Issue Text": f"{ticket_id}: the link points at another Short",
    }
    body.update(overrides)
    return body


def raise_ticket(
    client: TestClient, ticket_id: str, headers: dict[str, str] | None = None, **overrides: str
) -> str:
    """Raise a ticket; one in a status other than Open needs an editor's ``headers``."""
    response = client.post(
        "/api/ticket", json=ticket_body(ticket_id, **overrides), headers=headers or {}
    )
    assert response.status_code == 201, response.text
    return ticket_id


def stored(container: Container) -> dict[str, SimpleNamespace]:
    """The tickets as the database holds them, by Ticket ID."""
    with container.db.read() as session:
        return {
            t.ticket_id: SimpleNamespace(
                exam=t.exam,
                subject=t.subject,
                status=t.status,
                reporter_email=t.reporter_email,
                created_at=t.created_at,
                updated_at=t.updated_at,
            )
            for t in session.execute(select(Ticket)).scalars()
        }


def listed_ids(page: Node) -> list[str]:
    return [
        str(tr.attrs["data-ticket-id"])
        for tr in page.find_all("tr")
        if "data-ticket-id" in tr.attrs
    ]


def member(container: Container, role: Role) -> tuple[str, dict[str, str]]:
    email, token = signed_in(container, role)
    return email, {"Authorization": f"Bearer {token}"}


# The list ---------------------------------------------------------------------------------------


def test_a_viewer_sees_every_field_and_the_status_as_text(
    client: TestClient, viewer: dict[str, str], editor: dict[str, str]
) -> None:
    raise_ticket(client, "TKT-1-1", editor, Status="In Progress")
    response = client.get("/ui/tickets", headers=viewer)
    assert response.status_code == 200
    page = parse(response.text)
    row = page.by_id("ticket-TKT-1-1")
    cells = [c.all_text for c in row.children]
    assert cells[0] == "TKT-1-1"
    assert cells[2:7] == [
        "Teaching",
        "CTET",
        "EVS",
        "Incorrect Video Link",
        "TKT-1-1: the link points at another Short",
    ]
    assert cells[-1] == "In Progress"
    assert row.find_all("select") == [] and page.find_all(class_="status-select") == []
    assert "hx-patch" not in response.text
    assert page.one("a", href="/ui/tickets/new").all_text == "Raise a ticket"
    assert "Showing 1–1 of 1 ticket" in page.by_id("ticket-summary").all_text


@pytest.mark.parametrize("role", [Role.editor, Role.admin])
def test_editors_and_admins_get_a_labelled_status_control_per_row(
    client: TestClient, container: Container, role: Role
) -> None:
    _, headers = member(container, role)
    raise_ticket(client, "TKT-2-1", headers, Status="Resolved")
    page = parse(client.get("/ui/tickets", headers=headers).text)
    control = page.by_id("status-TKT-2-1")
    assert control.tag == "select" and control.selected() == "Resolved"
    assert control.attrs["hx-patch"] == "/ui/tickets/TKT-2-1/status"
    assert page.one("label", for_="status-TKT-2-1").all_text == "Status of TKT-2-1"


def test_filters_and_search_live_in_the_url(
    client: TestClient, viewer: dict[str, str], editor: dict[str, str]
) -> None:
    open_one = raise_ticket(client, "TKT-3-1")
    closed = raise_ticket(
        client,
        "TKT-3-2",
        editor,
        Status="Closed",
        Vertical="SSC",
        **{"Exam Name": "CGL", "Subject": "Maths"},
    )
    page = parse(client.get("/ui/tickets?status=Closed", headers=viewer).text)
    assert listed_ids(page) == [closed]
    assert page.by_id("ticket-status").selected() == "Closed"
    page = parse(client.get("/ui/tickets?vertical=Teaching&q=another+short", headers=viewer).text)
    assert listed_ids(page) == [open_one]
    assert page.by_id("ticket-vertical").selected() == "Teaching"
    assert page.by_id("ticket-q").attrs["value"] == "another short"
    # Empty fields of a submitted filter form mean "any".
    page = parse(client.get("/ui/tickets?status=&issue_type=&vertical=&q=", headers=viewer).text)
    assert listed_ids(page) == [closed, open_one]


def test_an_htmx_filter_gets_only_the_results_and_the_clean_url_to_show(
    client: TestClient, viewer: dict[str, str], editor: dict[str, str]
) -> None:
    raise_ticket(client, "TKT-4-1")
    closed = raise_ticket(client, "TKT-4-2", editor, Status="Closed")
    response = client.get(
        "/ui/tickets?status=Closed&issue_type=&vertical=&q=", headers={**viewer, **HTMX}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    fragment = parse(response.text)
    assert listed_ids(fragment.by_id("ticket-results")) == [closed]
    assert response.headers["HX-Push-Url"] == "/ui/tickets?status=Closed"
    assert "HX-Request" in response.headers["Vary"]
    summary = fragment.one("p", id="ticket-summary")
    assert summary.attrs["hx-swap-oob"] == "innerHTML"
    assert "of 1 ticket" in summary.all_text
    # A history restore asks with htmx's headers too, but needs the whole page.
    restore = client.get(
        "/ui/tickets?status=Closed",
        headers={**viewer, **HTMX, "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=Done", "status"), ("issue_type=Typo", "issue_type"), ("q=" + "x" * 201, "q")],
)
def test_a_bad_filter_is_said_next_to_its_control(
    client: TestClient, viewer: dict[str, str], query: str, field: str
) -> None:
    raise_ticket(client, "TKT-5-1")
    response = client.get(f"/ui/tickets?{query}", headers=viewer)
    assert response.status_code == 400
    page = parse(response.text)
    control = page.one(name=field)
    assert control.attrs["aria-invalid"] == "true"
    message = page.by_id(f"{field}-error")
    assert f"'{field}'" in message.all_text
    assert field in str(control.attrs["aria-describedby"])
    assert listed_ids(page) == []


def test_a_bad_parameter_without_a_control_is_said_above_the_list(
    client: TestClient, viewer: dict[str, str]
) -> None:
    response = client.get("/ui/tickets?offset=-3", headers={**viewer, **HTMX})
    assert response.status_code == 400
    alert = parse(response.text).by_id("ticket-results").one("div", role="alert")
    assert "'offset'" in alert.all_text


def test_the_list_is_paged_newest_first(client: TestClient, viewer: dict[str, str]) -> None:
    raised = [raise_ticket(client, f"TKT-6-{n:02d}") for n in range(27)]
    first = parse(client.get("/ui/tickets", headers=viewer).text)
    assert listed_ids(first) == list(reversed(raised))[:25]
    links = {a.all_text: a.attrs["href"] for a in first.one("nav", class_="pager").find_all("a")}
    assert links == {"Older →": "/ui/tickets?offset=25"}
    second = parse(client.get(links["Older →"], headers=viewer).text)
    assert listed_ids(second) == list(reversed(raised))[25:]
    links = {a.all_text: a.attrs["href"] for a in second.one("nav", class_="pager").find_all("a")}
    assert links == {"← Newer": "/ui/tickets"}
    assert "Page 2 of 2" in second.all_text


def test_a_signed_out_browser_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/ui/tickets?status=Open", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=%2Fui%2Ftickets%3Fstatus%3DOpen"


# Changing a status in place -------------------------------------------------------------------


def test_an_editor_changes_a_status_in_place_with_a_message(
    client: TestClient, container: Container
) -> None:
    _, headers = member(container, Role.editor)
    raise_ticket(client, "TKT-7-1")
    response = client.patch(
        "/ui/tickets/TKT-7-1/status", data={"status": "Resolved"}, headers={**headers, **HTMX}
    )
    assert response.status_code == 200, response.text
    fragment = parse(response.text)
    assert fragment.by_id("status-TKT-7-1").selected() == "Resolved"
    flash = fragment.by_id("flash")
    assert flash.attrs["hx-swap-oob"] == "innerHTML"
    assert flash.all_text.startswith("Ticket TKT-7-1 is now Resolved")
    ticket = stored(container)["TKT-7-1"]
    assert ticket.status == "Resolved"
    assert ticket.updated_at > ticket.created_at
    page = parse(client.get("/ui/tickets", headers=headers).text)
    assert page.by_id("status-TKT-7-1").selected() == "Resolved"


@pytest.mark.parametrize("role", [Role.viewer, Role.contributor])
def test_others_are_refused_and_the_row_shows_the_stored_status(
    client: TestClient, container: Container, role: Role
) -> None:
    _, headers = member(container, role)
    raise_ticket(client, "TKT-8-1")
    response = client.patch(
        "/ui/tickets/TKT-8-1/status", data={"status": "Closed"}, headers={**headers, **HTMX}
    )
    assert response.status_code == 403
    fragment = parse(response.text)
    assert fragment.by_id("ticket-TKT-8-1").all_text.endswith("Open")
    assert "editor" in fragment.by_id("flash").one("div", role="alert").all_text
    assert stored(container)["TKT-8-1"].status == "Open"


def test_a_bad_status_is_refused_and_an_unknown_ticket_is_said_in_the_message_area(
    client: TestClient, container: Container, editor: dict[str, str]
) -> None:
    raise_ticket(client, "TKT-9-1")
    bad = client.patch(
        "/ui/tickets/TKT-9-1/status", data={"status": "Done"}, headers={**editor, **HTMX}
    )
    assert bad.status_code == 400
    fragment = parse(bad.text)
    assert fragment.by_id("status-TKT-9-1").selected() == "Open"
    assert "'status' must be one of" in fragment.by_id("flash").all_text
    unknown = client.patch(
        "/ui/tickets/TKT-404/status", data={"status": "Closed"}, headers={**editor, **HTMX}
    )
    assert unknown.status_code == 404
    assert unknown.headers["HX-Retarget"] == "#flash"
    assert "TKT-404" in unknown.text
    assert stored(container)["TKT-9-1"].status == "Open"


def test_a_cookie_session_changes_a_status_only_with_the_anti_forgery_token(
    client: TestClient, container: Container
) -> None:
    raise_ticket(client, "TKT-10-1")
    email = factories.make_user(container, Role.editor)
    signed = post_sign_in(client, email, factories.PASSWORD)
    assert signed.status_code == 303
    page = client.get("/ui/tickets")
    match = CSRF.search(page.text)
    assert match is not None
    refused = client.patch("/ui/tickets/TKT-10-1/status", data={"status": "Closed"})
    assert refused.status_code == 403
    assert stored(container)["TKT-10-1"].status == "Open"
    allowed = client.patch(
        "/ui/tickets/TKT-10-1/status",
        data={"status": "Closed"},
        headers={"X-CSRF-Token": match.group(1), **HTMX},
    )
    assert allowed.status_code == 200, allowed.text
    assert stored(container)["TKT-10-1"].status == "Closed"


# Raising a ticket -------------------------------------------------------------------------------


def test_the_form_offers_a_generated_id_and_starts_open(
    client: TestClient, contributor: dict[str, str]
) -> None:
    page = parse(client.get("/ui/tickets/new", headers=contributor).text)
    ticket_id = page.one("input", name="Ticket ID")
    assert "readonly" in ticket_id.attrs
    assert re.fullmatch(r"TKT-\d{13}-\d{1,3}", str(ticket_id.attrs["value"]))
    assert page.by_id("Status").selected() == "Open"
    for name in ("Exam-Name", "Subject"):
        assert "disabled" in page.by_id(name).attrs
    for field in (
        "Ticket-ID",
        "Vertical",
        "Exam-Name",
        "Subject",
        "Issue-Type",
        "Status",
        "Issue-Text",
    ):
        assert page.find_all("label", for_=field), field


def test_the_exam_and_subject_choices_follow_the_vertical(
    client: TestClient, container: Container, contributor: dict[str, str]
) -> None:
    teaching = container.taxonomy.current.vertical("Teaching")
    assert teaching is not None
    response = client.get(
        "/ui/tickets/new/choices?Vertical=Teaching", headers={**contributor, **HTMX}
    )
    fragment = parse(response.text)
    exams = [o.all_text for o in fragment.by_id("Exam-Name").find_all("option")][1:]
    subjects = [o.all_text for o in fragment.by_id("Subject").find_all("option")][1:]
    assert (exams, subjects) == (teaching["exams"], teaching["subjects"])
    assert "CGL" not in exams
    unknown = parse(
        client.get("/ui/tickets/new/choices?Vertical=Atlantis", headers=contributor).text
    )
    assert "disabled" in unknown.by_id("Exam-Name").attrs


def test_raising_a_ticket_stores_it_and_goes_to_the_list(
    client: TestClient, container: Container
) -> None:
    email, headers = member(container, Role.contributor)
    form = ticket_body("TKT-1731660000123-5")
    response = client.post("/ui/tickets/new", data=form, headers={**headers, **HTMX})
    assert response.status_code == 204, response.text
    assert response.headers["HX-Redirect"] == "/ui/tickets?raised=TKT-1731660000123-5"
    ticket = stored(container)["TKT-1731660000123-5"]
    assert (ticket.exam, ticket.subject, ticket.status, ticket.reporter_email) == (
        "CTET",
        "EVS",
        "Open",
        email,
    )
    page = parse(client.get(response.headers["HX-Redirect"], headers=headers).text)
    assert "Ticket TKT-1731660000123-5 raised." in page.by_id("flash").all_text
    assert listed_ids(page)[0] == "TKT-1731660000123-5"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"Exam Name": "CGL"}, "Exam Name"),
        ({"Subject": ""}, "Subject"),
        ({"Issue Type": ""}, "Issue Type"),
        ({"Issue Text": "   "}, "Issue Text"),
        ({"Vertical": ""}, "Vertical"),
        ({"Ticket ID": "TKT 1"}, "Ticket ID"),
    ],
)
def test_a_bad_form_is_answered_with_the_message_next_to_the_field(
    client: TestClient,
    container: Container,
    contributor: dict[str, str],
    overrides: dict[str, str],
    field: str,
) -> None:
    form = ticket_body("TKT-11-1", **overrides)
    form["Issue Text"] = overrides.get("Issue Text", "Kept as typed\nacross the refusal")
    response = client.post("/ui/tickets/new", data=form, headers={**contributor, **HTMX})
    assert response.status_code == 400
    fragment = parse(response.text)
    element_id = field.replace(" ", "-")
    control = fragment.by_id(element_id)
    assert control.attrs["aria-invalid"] == "true"
    assert f"{element_id}-error" in str(control.attrs["aria-describedby"])
    assert field in fragment.by_id(f"{element_id}-error").all_text
    if field != "Issue Text":
        assert fragment.by_id("Issue-Text").text == "Kept as typed\nacross the refusal"
    assert stored(container) == {}


def test_a_second_press_is_refused_and_offers_a_fresh_id(
    client: TestClient, container: Container, contributor: dict[str, str]
) -> None:
    form = ticket_body("TKT-12-1")
    assert (
        client.post("/ui/tickets/new", data=form, headers={**contributor, **HTMX}).status_code
        == 204
    )
    again = client.post("/ui/tickets/new", data=form, headers={**contributor, **HTMX})
    assert again.status_code == 409
    fragment = parse(again.text)
    assert "already exists" in fragment.by_id("Ticket-ID-error").all_text
    assert fragment.by_id("Ticket-ID").attrs["value"] != "TKT-12-1"
    assert list(stored(container)) == ["TKT-12-1"]


def test_a_form_post_without_htmx_is_redirected_or_shown_whole(
    client: TestClient, contributor: dict[str, str]
) -> None:
    ok = client.post(
        "/ui/tickets/new", data=ticket_body("TKT-13-1"), headers=contributor, follow_redirects=False
    )
    assert ok.status_code == 303
    assert parse_qs(urlsplit(ok.headers["location"]).query) == {"raised": ["TKT-13-1"]}
    bad = client.post(
        "/ui/tickets/new", data=ticket_body("TKT-13-2", Subject="Shorthand"), headers=contributor
    )
    assert bad.status_code == 400
    assert "<html" in bad.text
    assert parse(bad.text).by_id("Subject").attrs["aria-invalid"] == "true"
