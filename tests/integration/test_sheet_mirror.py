"""The live mirror over real HTTP: changes made through the API reach the Sheets stand-in's
tabs by a real queue worker (SQLite and PostgreSQL), each once, in each tab's column order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adda_dashboard.domain import columns as c
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.sheet_mirror_support import MAIN, REEDIT, TICKETS, MirrorStack, mirror_stack, wait_for
from tests.sheets_standin import SheetsStandIn

EMAIL = "rahul.sharma@adda247.com"


@pytest.fixture
def mirror(
    database_url: str,
    var_dir: Path,
    sheets_standin: SheetsStandIn,
    sheets_key: Path,
    tmp_path: Path,
) -> Iterator[MirrorStack]:
    with mirror_stack(database_url, var_dir, sheets_standin, sheets_key, tmp_path) as stack:
        yield stack


def by_sr_no(stack: MirrorStack, title: str) -> dict[str, dict[str, str]]:
    return {row[c.SR_NO]: row for row in stack.records(title)}


def add(stack: MirrorStack, **overrides: str) -> dict[str, object]:
    response = stack.client.post(
        "/api/add", json=factories.valid_entry(Email=EMAIL, **overrides), headers=stack.headers()
    )
    assert response.status_code in (200, 201), response.text
    return response.json()["data"] if "data" in response.json() else response.json()


def test_adds_updates_status_moves_and_deletes_reach_the_sheet(mirror: MirrorStack) -> None:
    mirror.worker()
    headers = mirror.headers(Role.admin)
    added = add(mirror, **{c.EDITOR_BRIEF: "Open on the formula"})
    sr_no = str(added[c.SR_NO])
    entry_id = added[c.ID_KEY]
    row = wait_for(lambda: by_sr_no(mirror, MAIN).get(sr_no), what="the added row")
    assert row[c.EMAIL] == EMAIL
    assert row[c.EDITOR_BRIEF] == "Open on the formula"
    assert mirror.standin.values(MAIN)[0] == list(c.MAIN_COLUMNS)

    response = mirror.client.put(
        f"/api/update/{entry_id}", json={c.SUBJECT: "Reasoning"}, headers=headers
    )
    assert response.status_code == 200, response.text
    wait_for(
        lambda: by_sr_no(mirror, MAIN).get(sr_no, {}).get(c.SUBJECT) == "Reasoning",
        what="the update",
    )

    drive = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view"
    response = mirror.client.put(
        f"/api/update/{entry_id}", json={c.EDIT: "Re-edit", c.VIDEO_LINK: drive}, headers=headers
    )
    assert response.status_code == 200, response.text
    moved = wait_for(
        lambda: sr_no not in by_sr_no(mirror, MAIN) and by_sr_no(mirror, REEDIT).get(sr_no),
        what="the move to Drive Links",
    )
    assert moved[c.EDIT] == "Re-edit"
    assert moved[c.VIDEO_LINK] == drive
    assert mirror.standin.values(REEDIT)[0] == list(c.REEDIT_COLUMNS)

    response = mirror.client.delete(f"/api/delete/{entry_id}", headers=headers)
    assert response.status_code == 200, response.text
    wait_for(lambda: sr_no not in by_sr_no(mirror, REEDIT), what="the delete")
    assert len(mirror.standin.values(MAIN)) == 1


def test_new_tickets_and_status_changes_reach_the_tickets_tab(mirror: MirrorStack) -> None:
    mirror.worker()
    ticket = {
        "Ticket ID": "TKT-1731660000123-417",
        "Vertical": "SSC",
        "Exam Name": "CGL",
        "Subject": "Maths",
        "Issue Type": "Wrong Data Entry",
        "Status": "Open",
        "Issue Text": "Row 4 has the wrong exam",
    }
    response = mirror.client.post("/api/ticket", json=ticket)
    assert response.status_code == 201, response.text
    wait_for(lambda: mirror.records(TICKETS) == [ticket], what="the new ticket")
    response = mirror.client.patch(
        f"/api/tickets/{ticket['Ticket ID']}",
        json={"status": "Resolved"},
        headers=mirror.headers(Role.editor),
    )
    assert response.status_code == 200, response.text
    wait_for(
        lambda: mirror.records(TICKETS) == [{**ticket, "Status": "Resolved"}],
        what="the status change",
    )
