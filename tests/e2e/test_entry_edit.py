"""Adding, editing, and deleting entries in a real browser: dependent choices, the inline edit
row, the conflict shown when someone else saved first, and undo after a delete."""

from __future__ import annotations

import itertools
import secrets
from typing import Any

import httpx
from playwright.sync_api import expect

from adda_dashboard.domain.roles import SYSTEM, Role
from tests.e2e.conftest import api_token, shoot
from tests.factories import valid_entry

_serial = itertools.count(1)


def unique_video_id() -> str:
    """An 11-character YouTube id no other test uses."""
    return f"e2e{next(_serial):02d}{secrets.token_hex(3)}"[:11]


def stored_by_video(container: Any, video_id: str) -> dict[str, Any] | None:
    return next(
        (r for r in container.entries.legacy_list()["data"] if r["VideoId"] == video_id), None
    )


def stored_by_id(container: Any, entry_id: int) -> dict[str, Any] | None:
    return next((r for r in container.entries.legacy_list()["data"] if r["id"] == entry_id), None)


def seeded(container: Any, email: str, **overrides: Any) -> dict[str, Any]:
    video_id = unique_video_id()
    body = valid_entry(
        Email=email, **{"Video Link": f"https://youtube.com/shorts/{video_id}", "VideoId": ""}
    )
    body.update(overrides)
    return container.entries.add(SYSTEM, body)


def open_row(page: Any, entry: dict[str, Any]) -> Any:
    """The list showing ``entry`` (searched by its unique video id); returns its row."""
    page.goto(f"/ui/entries?q={entry['VideoId']}")
    row = page.locator(f"#entry-{entry['id']}")
    expect(row).to_be_visible()
    return row


def test_adding_an_entry_narrows_exams_and_sub_categories_as_choices_are_made(
    signed_in, e2e_container
):
    page, email = signed_in(Role.contributor)
    page.goto("/ui/entries/new")
    expect(page.get_by_label("Contributor email")).to_have_value(email)
    exam = page.get_by_label("Exam", exact=True)
    subcat = page.get_by_label("Sub category")
    expect(exam.locator("option")).to_have_count(1)  # nothing to choose before a vertical

    page.get_by_label("Vertical").select_option("SSC")
    expect(exam.locator("option[value='CGL']")).to_have_count(1)
    page.get_by_label("Vertical").select_option("Bank Post")
    expect(exam.locator("option[value='JAIIB']")).to_have_count(1)
    expect(exam.locator("option[value='CGL']")).to_have_count(0)
    exam.select_option("JAIIB")
    page.get_by_label("Subject").select_option(index=1)

    page.get_by_label("Type of content").select_option("Exam_Information")
    expect(subcat.locator("option[value='Exam Pattern']")).to_have_count(1)
    page.get_by_label("Type of content").select_option("Content")
    expect(subcat.locator("option[value='Question']")).to_have_count(1)
    expect(subcat.locator("option[value='Exam Pattern']")).to_have_count(0)
    subcat.select_option("Question")

    # Re-edit entries have no Final-only fields; switching back brings them back.
    brief = page.get_by_label("Editor brief")
    page.get_by_label("Status").select_option("Re-edit")
    expect(brief).to_be_hidden()
    page.get_by_label("Status").select_option("Final")
    expect(brief).to_be_visible()
    brief.fill("Cut the intro")

    # A missing link is said next to the field, and nothing is stored.
    page.get_by_role("button", name="Add entry").click()
    link = page.get_by_label("Video link")
    expect(link).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#add-video-link-error")).to_contain_text("'Video Link' is required")
    expect(link).to_be_focused()

    video_id = unique_video_id()
    link.fill(f"https://youtube.com/shorts/{video_id}")
    page.get_by_role("button", name="Add entry").click()
    expect(page.locator(".alert-success")).to_contain_text("added")
    entry = stored_by_video(e2e_container, video_id)
    assert entry is not None
    assert (entry["Vertical Name"], entry["Exam Name"], entry["Sub category"]) == (
        "Bank Post",
        "JAIIB",
        "Question",
    )
    assert (entry["Email"], entry["Editor Brief"]) == (email, "Cut the intro")
    expect(page.locator(".alert-success")).to_contain_text(f"Entry {entry['Sr no.']} added")
    # The next entry starts from the same choices, with a blank link.
    expect(exam).to_have_value("JAIIB")
    expect(link).to_have_value("")
    shoot(page, "entry-add")


def test_the_add_form_fits_a_phone_screen(signed_in):
    page, _ = signed_in(Role.contributor, phone=True)
    page.goto("/ui/entries/new")
    page.get_by_label("Vertical").select_option("SSC")
    expect(page.get_by_label("Exam", exact=True).locator("option[value='CGL']")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px screen"
    shoot(page, "entry-add-phone")


def test_a_viewer_is_not_offered_the_add_form(signed_in):
    page, _ = signed_in(Role.viewer)
    response = page.goto("/ui/entries/new")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_editing_a_row_in_place_saves_it_and_escape_cancels(signed_in, e2e_container):
    page, email = signed_in(Role.contributor)
    entry = seeded(e2e_container, email)
    row = open_row(page, entry)
    row.get_by_role("button", name="Edit").click()
    exam = row.get_by_label(f"Exam of entry {entry['Sr no.']}")
    expect(exam).to_be_visible()
    expect(row.get_by_label(f"Contributor email of entry {entry['Sr no.']}")).to_be_focused()

    # Escape leaves the row as it was.
    exam.select_option("CGL")
    exam.press("Escape")
    expect(row.get_by_role("button", name="Edit")).to_be_focused()
    assert stored_by_id(e2e_container, entry["id"]) == entry

    row.get_by_role("button", name="Edit").click()
    row.get_by_label(f"Exam of entry {entry['Sr no.']}").select_option("CGL")
    row.get_by_label(f"Editor brief of entry {entry['Sr no.']}").fill("Tighter cut")
    # The wide edit row scrolls inside the table, not the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shoot(page, "entry-edit")
    row.get_by_role("button", name="Save").click()
    expect(row.locator("[data-col='Exam Name']")).to_have_text("CGL")
    expect(row).to_have_attribute("data-version", str(entry["version"] + 1))
    after = stored_by_id(e2e_container, entry["id"])
    assert after is not None
    assert (after["Exam Name"], after["Editor Brief"]) == ("CGL", "Tighter cut")


def test_a_change_saved_meanwhile_through_the_api_is_shown_as_a_conflict(
    signed_in, e2e_container, base_url
):
    page, email = signed_in(Role.contributor)
    entry = seeded(e2e_container, email)
    row = open_row(page, entry)
    row.get_by_role("button", name="Edit").click()
    brief = row.get_by_label(f"Editor brief of entry {entry['Sr no.']}")
    brief.fill("My brief")

    # Someone else saves the same entry through the API before this edit is saved.
    token = api_token(base_url, email)
    changed = httpx.put(
        f"{base_url}/api/update/{entry['id']}",
        json={"Editor Brief": "Their brief"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text

    row.get_by_role("button", name="Save").click()
    alert = row.get_by_role("alert")
    expect(alert).to_contain_text("was changed by someone else")
    diff = row.locator("tr[data-diff='Editor Brief']")
    expect(diff.locator("td.mine")).to_have_text("My brief")
    expect(diff.locator("td.theirs")).to_have_text("Their brief")
    shoot(page, "entry-conflict")
    stored = stored_by_id(e2e_container, entry["id"])
    assert stored is not None and stored["Editor Brief"] == "Their brief"

    row.get_by_role("button", name="Overwrite with mine").click()
    expect(row.locator("[data-col='Editor Brief']")).to_have_text("My brief")
    stored = stored_by_id(e2e_container, entry["id"])
    assert stored is not None and stored["Editor Brief"] == "My brief"


def test_keep_theirs_after_a_conflict_shows_their_values(signed_in, e2e_container, base_url):
    page, email = signed_in(Role.editor)
    entry = seeded(e2e_container, email)
    row = open_row(page, entry)
    row.get_by_role("button", name="Edit").click()
    row.get_by_label(f"Editor brief of entry {entry['Sr no.']}").fill("Mine")
    theirs = e2e_container.entries.update(SYSTEM, entry["id"], {"Editor Brief": "Theirs"})
    row.get_by_role("button", name="Save").click()
    row.get_by_role("button", name="Keep theirs").click()
    expect(row.locator("[data-col='Editor Brief']")).to_have_text("Theirs")
    expect(row).to_have_attribute("data-version", str(theirs["version"]))
    assert stored_by_id(e2e_container, entry["id"]) == theirs


def test_deleting_a_row_can_be_undone(signed_in, e2e_container):
    page, email = signed_in(Role.contributor)
    entry = seeded(e2e_container, email)
    row = open_row(page, entry)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete").click()
    expect(row).to_contain_text(f"Entry {entry['Sr no.']} deleted")
    undo = row.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    assert stored_by_id(e2e_container, entry["id"]) is None
    shoot(page, "entry-deleted")

    undo.click()
    expect(row.get_by_role("button", name="Edit")).to_be_visible()
    expect(row.locator("[data-col='Exam Name']")).to_have_text(entry["Exam Name"])
    back = stored_by_id(e2e_container, entry["id"])
    assert back is not None and back["Editor Brief"] == entry["Editor Brief"]


def test_editing_and_a_conflict_stay_within_a_phone_screen(signed_in, e2e_container):
    page, email = signed_in(Role.contributor, phone=True)
    entry = seeded(e2e_container, email)
    row = open_row(page, entry)
    row.get_by_role("button", name="Edit").click()
    brief = row.get_by_label(f"Editor brief of entry {entry['Sr no.']}")
    brief.fill("Mine")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    e2e_container.entries.update(SYSTEM, entry["id"], {"Editor Brief": "Theirs"})
    brief.press("Tab")
    row.get_by_role("button", name="Save").click()
    overwrite = row.get_by_role("button", name="Overwrite with mine")
    expect(overwrite).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "entry-conflict-phone")
