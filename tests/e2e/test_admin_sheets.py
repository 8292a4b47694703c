"""The spreadsheet import in a real browser: an admin uploads the team's four-tab workbook,
checks it, and imports it with the button the check offers (which sends the file again)."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests.e2e.conftest import shoot
from tests.sheet_support import team_sheet, write_workbook


def test_an_admin_checks_a_workbook_then_imports_it(signed_in, e2e_container, tmp_path):
    tag = uuid.uuid4().hex[:6]
    first = 9_000_000_000 + int(tag, 16) * 10  # far from the numbers other tests' entries get
    sheet = team_sheet(finals=3, reedits=2, users=2, tickets=2, first_serial=first, tag=tag)
    workbook = write_workbook(tmp_path / f"team-{tag}.xlsx", sheet)
    page, _admin = signed_in(Role.admin)
    page.goto("/ui/admin")
    page.get_by_role("link", name="Import the spreadsheet").click()
    expect(page.get_by_role("heading", name="Moving from the Google spreadsheet")).to_be_visible()
    page.get_by_label("Workbook with all four tabs").set_input_files(str(workbook))
    page.locator("#workbook-form").get_by_role("button", name="Check").click()
    report = page.locator("#workbook-report")
    expect(report).to_contain_text("every row can be imported")
    expect(report.locator('tr[data-tab="main"] [data-count="inserted"]')).to_have_text("3")
    with e2e_container.db.read() as session:
        assert entries_repo.get_by_sr_no(session, first) is None  # a check writes nothing
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#workbook-report")).to_have_attribute("data-outcome", "imported")
    expect(page.locator("#workbook-report")).to_contain_text(f"Imported the workbook 'team-{tag}")
    with e2e_container.db.read() as session:
        assert all(entries_repo.get_by_sr_no(session, first + n) for n in range(5))
        assert users_repo.get_by_email(session, f"member00{tag}@adda247.com") is not None
    shoot(page, "admin-sheets")
