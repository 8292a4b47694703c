"""The entries list in a real browser: filters, search, sort and pages swap the table in place and
keep the address shareable; columns can be hidden; a viewer gets no edit controls and is refused
when trying anyway."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote

import httpx
from playwright.sync_api import expect

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import SYSTEM, Role
from tests.e2e.conftest import api_token, shoot
from tests.factories import reedit_entry, valid_entry


def team_entries(container: Container, token: str) -> tuple[str, list[dict[str, Any]]]:
    """Seven entries by one new contributor; two of them carry ``token`` in the brief."""
    email = f"list.{uuid.uuid4().hex[:10]}@adda247.com"
    bodies = [
        valid_entry(**{"Exam Name": "CGL", "Subject": "Maths"}),
        reedit_entry(**{"Exam Name": "CGL", "Subject": "English"}),
        valid_entry(
            **{
                "Vertical Name": "Bank Pre",
                "Exam Name": "SBI PO",
                "Subject": "Quants",
                "Editor Brief": f"zoom {token}",
            }
        ),
        valid_entry(
            **{
                "Vertical Name": "Teaching",
                "Exam Name": "CTET",
                "Subject": "",
                "Type of Content": "Exam_Information",
                "Sub category": "",
            }
        ),
        valid_entry(**{"Exam Name": "GD", "Subject": "Reasoning", "Editor Brief": token}),
        valid_entry(**{"Exam Name": "MTS", "Subject": "Maths"}),
        valid_entry(**{"Exam Name": "CHSL", "Subject": "English"}),
    ]
    records = [container.entries.add(SYSTEM, {**body, "Email": email}) for body in bodies]
    return email, records


def serials(page: Any) -> list[str]:
    return page.locator('#entries-results tbody td[data-col="Sr no."]').all_inner_texts()


def sr(records: list[dict[str, Any]], *indexes: int) -> list[str]:
    return [records[i]["Sr no."] for i in indexes]


def test_filters_search_sort_and_pages_update_the_table_and_the_address(signed_in, e2e_container):
    page, _ = signed_in(Role.editor)
    token = f"tok{uuid.uuid4().hex[:8]}"
    email, records = team_entries(e2e_container, token)
    page.goto("/ui/entries")
    expect(page.get_by_role("heading", name="Entries", exact=True)).to_be_visible()
    page.evaluate("window.__samePage = true")  # gone if anything below reloads the page
    filters = page.locator("#entry-filters")

    filters.get_by_label("Contributor").select_option(email)
    expect(page).to_have_url(re.compile(rf"/ui/entries\?contributor={re.escape(quote(email))}$"))
    expect(page.locator("#entries-status")).to_contain_text("7 entries")
    assert serials(page) == sr(records, 6, 5, 4, 3, 2, 1, 0)  # newest first

    filters.get_by_label("Vertical").select_option("SSC")
    expect(page).to_have_url(re.compile(r"\?vertical=SSC&contributor="))
    expect(page.locator("#entries-status")).to_contain_text("5 entries")
    # The other filters now count within SSC and this contributor.
    expect(filters.get_by_label("Status").locator("option[value='Re-edit']")).to_have_text(
        "Re-edit (1)"
    )
    expect(filters.get_by_label("Vertical").locator("option[value='Bank Pre']")).to_have_text(
        "Bank Pre (1)"
    )

    filters.get_by_label("Search").fill(token)
    expect(page).to_have_url(re.compile(rf"\?q={token}&vertical=SSC&contributor="))
    expect(page.locator("#entries-status")).to_contain_text("1 entry")
    assert serials(page) == sr(records, 4)
    filters.get_by_label("Search").fill("")
    expect(page.locator("#entries-status")).to_contain_text("5 entries")

    page.get_by_role("link", name="Exam", exact=True).click()
    expect(page).to_have_url(re.compile(r"&sort=exam$"))
    expect(page.locator('th[data-col="Exam Name"]')).to_have_attribute("aria-sort", "ascending")
    # CGL (by id), CHSL, GD, MTS
    expect(page.locator('#entries-results tbody td[data-col="Sr no."]')).to_have_text(
        sr(records, 0, 1, 6, 4, 5)
    )
    page.get_by_role("link", name="Exam", exact=True).click()
    expect(page).to_have_url(re.compile(r"&sort=-exam$"))
    expect(page.locator('th[data-col="Exam Name"]')).to_have_attribute("aria-sort", "descending")
    expect(page.locator('#entries-results tbody td[data-col="Sr no."]')).to_have_text(
        sr(records, 5, 4, 6, 1, 0)
    )
    assert page.evaluate("window.__samePage") is True

    page.go_back()
    expect(page).to_have_url(re.compile(r"&sort=exam$"))
    expect(page.locator('th[data-col="Exam Name"]')).to_have_attribute("aria-sort", "ascending")


def test_pages_move_forward_and_back_with_the_position_in_the_address(signed_in, e2e_container):
    page, _ = signed_in(Role.viewer)
    email, records = team_entries(e2e_container, "unused")
    start = f"/ui/entries?contributor={quote(email)}&limit=3"
    page.goto(start)
    rows = page.locator('#entries-results tbody td[data-col="Sr no."]')
    expect(rows).to_have_text(sr(records, 6, 5, 4))
    expect(page.locator("#entries-status")).to_contain_text("showing 1–3 · page 1 of 3")

    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"&limit=3&cursor=[\w-]+$"))
    expect(rows).to_have_text(sr(records, 3, 2, 1))
    expect(page.locator("#entries-status")).to_contain_text("showing 4–6 · page 2 of 3")
    page.get_by_role("link", name="Next page").click()
    expect(rows).to_have_text(sr(records, 0))
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    shoot(page, "entries-last-page")

    page.get_by_role("link", name="Previous page").click()
    expect(page).to_have_url(re.compile(r"&limit=3&before=[\w-]+$"))
    expect(rows).to_have_text(sr(records, 3, 2, 1))
    # The address alone brings the same page back.
    page.goto(page.url)
    expect(rows).to_have_text(sr(records, 3, 2, 1))
    page.get_by_role("link", name="First page").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(start)}$"))
    expect(rows).to_have_text(sr(records, 6, 5, 4))


def test_hidden_columns_stay_hidden_through_the_address_and_this_browser(signed_in, e2e_container):
    page, _ = signed_in(Role.contributor)
    email, _records = team_entries(e2e_container, "unused")
    page.goto(f"/ui/entries?contributor={quote(email)}")
    contributor_cells = page.locator('#entries-results [data-col="Email"]')
    expect(contributor_cells.first).to_be_visible()

    page.get_by_text("Columns", exact=True).click()
    page.get_by_role("checkbox", name="Contributor").uncheck()
    page.get_by_role("checkbox", name="Editor brief").uncheck()
    expect(contributor_cells.first).to_be_hidden()
    expect(page.locator('#entries-results [data-col="Editor Brief"]').first).to_be_hidden()
    expect(page.locator('#entries-results [data-col="Vertical Name"]').first).to_be_visible()
    expect(page).to_have_url(re.compile(r"&cols=sr_no,vertical,exam,subject,content_type,"))
    assert "email" not in page.url.split("cols=")[1]

    # Sorting keeps the choice, and so does the address opened afresh.
    page.get_by_role("link", name="Vertical", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=vertical&cols="))
    expect(contributor_cells.first).to_be_hidden()
    page.goto(page.url)
    expect(contributor_cells.first).to_be_hidden()
    # This browser remembers it for the list opened without it.
    page.goto(f"/ui/entries?contributor={quote(email)}")
    expect(contributor_cells.first).to_be_hidden()
    expect(page).to_have_url(re.compile(r"&cols="))

    page.get_by_text("Columns", exact=True).click()
    page.get_by_role("checkbox", name="Contributor").check()
    page.get_by_role("checkbox", name="Editor brief").check()
    expect(contributor_cells.first).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"cols="))


def test_the_list_on_a_desktop_and_a_phone(signed_in, e2e_container):
    for phone, name in ((False, "entries"), (True, "entries-phone")):
        page, _ = signed_in(Role.contributor, phone=phone)
        email, _records = team_entries(e2e_container, "unused")
        page.goto(f"/ui/entries?contributor={quote(email)}&vertical=SSC")
        expect(page.locator("#entries-status")).to_contain_text("5 entries")
        expect(page.get_by_role("link", name="Add entry").last).to_be_visible()
        # Only the table scrolls sideways, inside its frame; the page itself fits the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name}: page is {width}px wide"
        shoot(page, name)


def test_an_empty_result_says_so(signed_in):
    page, _ = signed_in(Role.viewer)
    page.goto(f"/ui/entries?q=nothing-{uuid.uuid4().hex}")
    expect(page.get_by_text("No entries match these filters.")).to_be_visible()
    expect(page.locator("#entries-status")).to_contain_text("0 entries")


def test_a_viewer_sees_no_edit_controls_and_is_refused_when_trying(
    signed_in, e2e_container, base_url
):
    page, viewer_email = signed_in(Role.viewer)
    email, records = team_entries(e2e_container, "unused")
    target = records[0]
    page.goto(f"/ui/entries?contributor={quote(email)}")
    expect(page.locator("#entries-results tbody tr")).to_have_count(7)
    expect(page.get_by_role("button", name=re.compile(r"^(Edit|Delete) entry"))).to_have_count(0)
    expect(page.locator("main").get_by_role("link", name="Add entry")).to_have_count(0)

    # With their own API token, straight at the dashboard's routes and the API.
    token = api_token(base_url, viewer_email)
    auth = {"Authorization": f"Bearer {token}"}
    edit = {"Editor Brief": "changed by a viewer", "version": str(target["version"])}
    assert (
        httpx.put(f"{base_url}/ui/entries/{target['id']}", data=edit, headers=auth).status_code
        == 403
    )
    assert httpx.delete(f"{base_url}/ui/entries/{target['id']}", headers=auth).status_code == 403
    assert httpx.delete(f"{base_url}/api/delete/{target['id']}", headers=auth).status_code == 403
    # And as htmx would send it from this page: their cookie and the page's anti-forgery token.
    status = page.evaluate(
        """async (id) => (await fetch(`/ui/entries/${id}`, {method: "DELETE",
             headers: {"HX-Request": "true", "X-CSRF-Token": window.addaCsrf()}})).status""",
        target["id"],
    )
    assert status == 403
    stored = e2e_container.entries.get(target["id"])
    assert stored == target, "nothing was changed or deleted"
