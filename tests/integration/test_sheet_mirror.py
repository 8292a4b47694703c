"""The live mirror over real HTTP: changes made through the API reach the Sheets stand-in's
tabs by a real queue worker (SQLite and PostgreSQL), each once, in each tab's column order."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adda_dashboard.db.repositories import sheet_outbox as outbox
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.roles import SHEET, SYSTEM, Role
from tests import factories
from tests.sheet_mirror_support import (
    DEADLINE_S,
    MAIN,
    REEDIT,
    TICKETS,
    MirrorStack,
    mirror_stack,
    wait_for,
)
from tests.sheets_methods import WRITES
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


def test_adds_made_while_google_answers_429_all_arrive_exactly_once(
    mirror: MirrorStack,
) -> None:
    mirror.standin.fail(429, seconds=20, on="api")
    mirror.worker()
    added = [str(add(mirror)[c.SR_NO]) for _ in range(30)]
    time.sleep(1)
    assert len(mirror.standin.values(MAIN)) == 1  # nothing got through the 429s yet
    rows = wait_for(
        lambda: (r := mirror.records(MAIN)) and len(r) >= 30 and r,
        deadline_s=20 + DEADLINE_S,
        what="30 rows after the 429s",
    )
    time.sleep(1)
    rows = mirror.records(MAIN)
    assert sorted(row[c.SR_NO] for row in rows) == sorted(added)
    with mirror.container.db.read() as session:
        assert outbox.depth(session).count == 0


def most_writes_in_any_window(standin: SheetsStandIn, window_s: float) -> int:
    with standin.lock:
        times = sorted(call.at for call in standin.calls if call.method in WRITES)
    most = 0
    for index, start in enumerate(times):
        most = max(most, sum(1 for t in times[index:] if t < start + window_s))
    return most


def test_a_burst_of_2000_writes_stays_within_the_write_budget(
    database_url: str,
    var_dir: Path,
    sheets_standin: SheetsStandIn,
    sheets_key: Path,
    tmp_path: Path,
) -> None:
    budget = {"sheets_writes_per_minute": 3, "sheets_write_window_seconds": 4}
    with mirror_stack(
        database_url, var_dir, sheets_standin, sheets_key, tmp_path, **budget
    ) as stack:
        stack.worker()
        record = factories.valid_entry(Email=EMAIL)
        started = time.monotonic()
        for index in range(2000):
            entry = stack.container.entries.add(SYSTEM, record)
            if index % 4 == 0:
                stack.container.entries.update(
                    SYSTEM, entry[c.ID_KEY], {c.EDITOR_BRIEF: f"brief {index}"}
                )
        rows = wait_for(
            lambda: (r := stack.records(MAIN)) and len(r) >= 2000 and r,
            deadline_s=60,
            what="2,000 rows",
        )
        assert len({row[c.SR_NO] for row in rows}) == len(rows) == 2000
        assert most_writes_in_any_window(sheets_standin, 4) <= 3
        print(
            f"\n2,000 adds + 500 updates mirrored in {time.monotonic() - started:.1f} s with "
            f"{sum(1 for m in sheets_standin.methods() if m in WRITES)} write requests"
        )


def test_an_editor_brief_typed_in_the_sheet_comes_back_audited_as_sheet(
    mirror: MirrorStack,
) -> None:
    mirror.worker()
    added = add(mirror)
    sr_no, entry_id = str(added[c.SR_NO]), added[c.ID_KEY]
    wait_for(lambda: sr_no in by_sr_no(mirror, MAIN), what="the added row")
    with mirror.standin.lock:
        mirror.standin.tab(MAIN).set(2, c.MAIN_COLUMNS.index(c.EDITOR_BRIEF) + 1, "Zoom at 0:04")
    period = mirror.container.settings.sheets_pull_seconds

    def served() -> bool:
        data = mirror.client.get("/api/data", headers=mirror.headers()).json()["data"]
        return any(r[c.SR_NO] == sr_no and r[c.EDITOR_BRIEF] == "Zoom at 0:04" for r in data)

    wait_for(served, deadline_s=2 * period + 3, what="the brief in /api/data")
    history = mirror.client.get(f"/api/entries/{entry_id}/history", headers=mirror.headers())
    last = history.json()["history"][-1] if "history" in history.json() else history.json()[-1]
    assert last["actor_email"] == SHEET.email
    assert last["changes"] == {c.EDITOR_BRIEF: {"from": "", "to": "Zoom at 0:04"}}


def test_an_app_edit_wins_over_a_cell_typed_meanwhile_and_the_conflict_is_listed(
    mirror: MirrorStack,
) -> None:
    mirror.worker()
    added = add(mirror)
    sr_no, entry_id = str(added[c.SR_NO]), added[c.ID_KEY]
    wait_for(lambda: sr_no in by_sr_no(mirror, MAIN), what="the added row")
    with mirror.standin.lock:
        mirror.standin.tab(MAIN).set(2, c.MAIN_COLUMNS.index(c.EDITOR_BRIEF) + 1, "Sheet brief")
        response = mirror.client.put(
            f"/api/update/{entry_id}", json={c.EDITOR_BRIEF: "App brief"}, headers=mirror.headers()
        )
    assert response.status_code == 200, response.text
    wait_for(
        lambda: by_sr_no(mirror, MAIN)[sr_no][c.EDITOR_BRIEF] == "App brief", what="the app's value"
    )
    time.sleep(2 * mirror.container.settings.sheets_pull_seconds)
    assert mirror.container.entries.get(entry_id)[c.EDITOR_BRIEF] == "App brief"
    assert by_sr_no(mirror, MAIN)[sr_no][c.EDITOR_BRIEF] == "App brief"
    page = mirror.client.get("/ui/admin/sheets", headers=mirror.headers())
    assert page.status_code == 200
    assert "Sheet brief" in page.text and "App brief" in page.text


def test_health_and_status_report_the_mirror_and_degrade_while_pushes_fail(
    mirror: MirrorStack,
) -> None:
    assert mirror.container.sheet_mirror_admin is not None
    mirror.standin.fail(503, seconds=60, on="api")
    mirror.worker()
    add(mirror)
    wait_for(
        lambda: mirror.container.sheet_mirror_admin.status().last_push_error,  # type: ignore[union-attr]
        what="a failed push",
    )
    body = mirror.client.get("/health/detailed").json()
    assert body["sheets"]["status"] == "degraded"
    assert "sheets" in body["degraded"]
    assert body["sheets"]["pending"] == 1
    mirror.standin.heal()
