"""The admin's spreadsheet page over HTTP: Check then Import, from the Google spreadsheet (the
Sheets stand-in behind Google's client) and from an uploaded four-tab workbook."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select
from starlette.testclient import TestClient

from adda_dashboard.db.models import AuditRecord, Entry, Ticket, User
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.roles import Role
from tests.http.browser_support import HTMX, page_csrf, sign_in_browser
from tests.sheet_fixtures import SheetStack
from tests.sheet_support import team_sheet, write_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHECKED = re.compile(r'name="checked" value="([0-9a-f]{64})"')


def stored(stack: SheetStack) -> dict[str, int]:
    """Rows of each table the import writes; of the accounts, only the sheet's (member00@...),
    not the test's own admin."""
    with stack.container.db.read() as session:
        counted = {
            m.__tablename__: int(session.execute(select(func.count()).select_from(m)).scalar_one())
            for m in (Entry, Ticket)
        }
        imported = select(func.count()).select_from(User).where(User.auth_source == "password")
        imported = imported.where(User.email.like("member__@%"))
        counted["users"] = int(session.execute(imported).scalar_one())
    return {name: counted[name] for name in ("entries", "users", "tickets")}


def counts_of(html: str, tab: str) -> dict[str, str]:
    row = re.search(rf'<tr data-tab="{tab}">(.*?)</tr>', html, re.S)
    assert row, tab
    return dict(re.findall(r'data-count="(\w+)">([\d,]+)<', row.group(1)))


def upload(client: TestClient, path: str, workbook: Path, headers: dict[str, str], **fields: str):  # type: ignore[no-untyped-def]
    files = {"file": (workbook.name, workbook.read_bytes(), XLSX)}
    return client.post(path, files=files, data=fields, headers={**headers, **HTMX})


def test_the_page_names_the_spreadsheet_and_the_account_to_share_it_with(
    sheet_stack: SheetStack,
) -> None:
    page = sheet_stack.client.get("/ui/admin/sheets", headers=sheet_stack.headers())
    assert page.status_code == 200
    assert "1AddaTeamSpreadsheet" in page.text
    assert "importer@adda-standin.iam.gserviceaccount.com" in page.text
    assert "gid 1507772277" in page.text and 'hx-post="/ui/admin/sheets/check"' in page.text
    assert 'hx-post="/ui/admin/sheets/xlsx/check"' in page.text
    assert sheet_stack.standin.calls == []  # showing the page asks Google nothing
    overview = sheet_stack.client.get("/ui/admin", headers=sheet_stack.headers())
    assert 'href="/ui/admin/sheets"' in overview.text


def test_check_shows_what_would_change_then_import_writes_it_as_the_admin(
    sheet_stack: SheetStack,
) -> None:
    sheet_stack.load(team_sheet(finals=30, reedits=12, users=4, tickets=5))
    admin = sheet_stack.headers()
    check = sheet_stack.client.post("/ui/admin/sheets/check", headers={**admin, **HTMX})
    assert check.status_code == 200, check.text
    assert 'data-outcome="checked"' in check.text and "every row can be imported" in check.text
    assert counts_of(check.text, "main")["inserted"] == "30"
    assert counts_of(check.text, "credentials")["inserted"] == "4"
    assert stored(sheet_stack) == {"entries": 0, "users": 0, "tickets": 0}
    digest = re.search(r'"checked": "([0-9a-f]{64})"', check.text)
    assert digest and 'hx-post="/ui/admin/sheets/import"' in check.text

    done = sheet_stack.client.post(
        "/ui/admin/sheets/import", data={"checked": digest.group(1)}, headers={**admin, **HTMX}
    )
    assert done.status_code == 200, done.text
    assert 'data-outcome="imported"' in done.text and "Imported the Google spreadsheet" in done.text
    assert stored(sheet_stack) == {"entries": 42, "users": 4, "tickets": 5}
    with sheet_stack.container.db.read() as session:
        actors = set(session.execute(select(AuditRecord.actor_email)).scalars())
    assert len(actors) == 1 and actors.pop().endswith(".admin@adda247.com")  # audited as them

    again = sheet_stack.client.post("/ui/admin/sheets/check", headers={**admin, **HTMX})
    assert counts_of(again.text, "main") == {
        "inserted": "0",
        "updated": "0",
        "unchanged": "30",
        "blank": "0",
        "refused": "0",
    }


def test_bad_rows_are_each_shown_and_no_import_is_offered(sheet_stack: SheetStack) -> None:
    sheet = team_sheet(finals=8, reedits=3, users=2, tickets=2)
    sheet.tabs["Final"][4][sheet.header("Final").index(c.VERTICAL)] = "<b>Astrology</b>"
    sheet.tabs["Tickets"][2][5] = "Done"
    sheet_stack.load(sheet)
    admin = sheet_stack.headers()
    check = sheet_stack.client.post("/ui/admin/sheets/check", headers={**admin, **HTMX})
    assert check.status_code == 200
    assert "2 bad rows in the Google spreadsheet" in check.text
    rows = re.findall(
        r'<tr class="sheet-error"><td>(.*?)</td><td>(\d+)</td><td>(.*?)</td>', check.text
    )
    assert rows == [("Final", "5", "Vertical Name"), ("Tickets", "3", "Status")]
    assert "<b>Astrology</b>" not in check.text  # the sheet's text is shown escaped
    assert "sheet-import" not in check.text and 'name="checked"' not in check.text
    assert stored(sheet_stack) == {"entries": 0, "users": 0, "tickets": 0}


def test_an_import_of_a_sheet_changed_since_its_check_is_refused(sheet_stack: SheetStack) -> None:
    sheet = team_sheet(finals=5, reedits=2, users=1, tickets=1)
    sheet_stack.load(sheet)
    admin = {**sheet_stack.headers(), **HTMX}
    check = sheet_stack.client.post("/ui/admin/sheets/check", headers=admin)
    digest = CHECKED.search(check.text)
    assert digest
    sheet.tabs["Final"][1][sheet.header("Final").index(c.EDITOR_BRIEF)] = "changed meanwhile"
    sheet_stack.load(sheet)
    refused = sheet_stack.client.post(
        "/ui/admin/sheets/import", data={"checked": digest.group(1)}, headers=admin
    )
    assert refused.status_code == 409
    assert refused.headers["HX-Retarget"] == "#flash"
    assert "changed since it was checked: check it again" in refused.text
    assert stored(sheet_stack)["entries"] == 0


def test_a_workbook_is_checked_then_imported_when_sent_again(
    sheet_stack: SheetStack, tmp_path: Path
) -> None:
    sheet = team_sheet(finals=25, reedits=9, users=3, tickets=4)
    workbook = write_workbook(tmp_path / "Team sheet.xlsx", sheet)
    admin = sheet_stack.headers()
    check = upload(sheet_stack.client, "/ui/admin/sheets/xlsx/check", workbook, admin)
    assert check.status_code == 200, check.text
    assert "Checked the workbook &#39;Team sheet.xlsx&#39;" in check.text
    assert 'hx-post="/ui/admin/sheets/xlsx/import"' in check.text
    digest = CHECKED.search(check.text)
    assert digest and stored(sheet_stack)["entries"] == 0

    other = write_workbook(
        tmp_path / "other.xlsx", team_sheet(finals=2, reedits=1, users=1, tickets=1)
    )
    mismatch = upload(
        sheet_stack.client, "/ui/admin/sheets/xlsx/import", other, admin, checked=digest.group(1)
    )
    assert mismatch.status_code == 409 and "changed since it was checked" in mismatch.text
    assert stored(sheet_stack)["entries"] == 0

    done = upload(
        sheet_stack.client, "/ui/admin/sheets/xlsx/import", workbook, admin, checked=digest.group(1)
    )
    assert done.status_code == 200, done.text
    assert 'data-outcome="imported"' in done.text
    assert stored(sheet_stack) == {"entries": 34, "users": 3, "tickets": 4}
    assert sheet_stack.standin.calls == []  # the workbook path never calls Google


def test_a_cookie_session_needs_the_pages_anti_forgery_token(sheet_stack: SheetStack) -> None:
    sheet_stack.load(team_sheet(finals=3, reedits=1, users=1, tickets=1))
    client = sheet_stack.client
    sign_in_browser(client, sheet_stack.container, Role.admin)
    forged = client.post("/ui/admin/sheets/check", headers=HTMX)
    assert forged.status_code == 403 and forged.json()["field"] == "X-CSRF-Token"
    token = page_csrf(client, "/ui/admin/sheets")
    genuine = client.post("/ui/admin/sheets/check", headers={**HTMX, "X-CSRF-Token": token})
    assert genuine.status_code == 200, genuine.text
    assert sheet_stack.standin.methods() == ["spreadsheets.get", "values.batchGet"]


def test_without_a_spreadsheet_the_page_says_what_to_set(
    client: TestClient, admin: dict[str, str]
) -> None:
    page = client.get("/ui/admin/sheets", headers=admin)
    assert page.status_code == 200
    assert "ADDA_SHEETS_SPREADSHEET_ID is not set" in page.text
    assert re.search(r'id="sheet-check"[^>]*disabled', page.text, re.S)
    check = client.post("/ui/admin/sheets/check", headers={**admin, **HTMX})
    assert check.status_code == 503 and "ADDA_SHEETS_SPREADSHEET_ID is not set" in check.text
