"""Tickets in a real browser: raising one through the form (its exam and subject offered for the
chosen vertical), finding it with the filters, and an editor moving its status in place while a
viewer only reads it."""

from __future__ import annotations

import itertools
import re
import time

from playwright.sync_api import expect

from adda_dashboard.domain.roles import SYSTEM, Role
from tests.e2e.conftest import shoot

_serial = itertools.count(1)


def unique(word: str) -> str:
    """Text no other test on the shared server uses."""
    return f"{word}-{time.time_ns()}-{next(_serial)}"


def raise_directly(container: object, **overrides: str) -> str:
    ticket_id = f"TKT-{time.time_ns() // 1_000_000}-{next(_serial)}"
    body = {
        "Ticket ID": ticket_id,
        "Vertical": "SSC",
        "Exam Name": "CGL",
        "Subject": "Maths",
        "Issue Type": "Wrong Data Entry",
        "Status": "Open",
        "Issue Text": f"The subject of {ticket_id} is wrong",
    }
    body.update(overrides)
    # Raised by the system (an admin's rights): only triage may raise one in another status.
    container.tickets.raise_ticket(SYSTEM, body)  # type: ignore[attr-defined]
    return ticket_id


def no_sideways_scroll(page: object) -> bool:
    """Nothing wider than the screen, except what scrolls inside ``.table-wrap``."""
    return bool(
        page.evaluate(  # type: ignore[attr-defined]
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_a_ticket_raised_through_the_form_is_listed_and_found_by_its_status(signed_in):
    page, email = signed_in(Role.contributor)
    page.goto("/ui/tickets")
    page.get_by_role("link", name="Raise a ticket").click()
    expect(page.get_by_role("heading", name="Raise a ticket")).to_be_visible()

    ticket_id_box = page.get_by_label("Ticket ID")
    expect(ticket_id_box).to_have_attribute("readonly", "")
    expect(ticket_id_box).to_have_value(re.compile(r"^TKT-\d{13}-\d{1,3}$"))
    ticket_id = ticket_id_box.input_value()
    expect(page.get_by_label("Status")).to_have_value("Open")
    expect(page.get_by_label("Exam Name")).to_be_disabled()

    # The exams and subjects on offer follow the vertical.
    page.get_by_label("Vertical").select_option("SSC")
    expect(page.get_by_label("Exam Name").locator("option", has_text="CGL")).to_have_count(1)
    page.get_by_label("Vertical").select_option("Teaching")
    exam = page.get_by_label("Exam Name")
    expect(exam.locator("option", has_text="CTET")).to_have_count(1)
    expect(exam.locator("option", has_text="CGL")).to_have_count(0)

    text = unique("Sr no. 12 links to the wrong Short")
    exam.select_option("CTET")
    subject = page.get_by_label("Subject")
    subject.select_option("EVS")
    page.get_by_label("Issue Type").select_option("Incorrect Video Link")
    page.get_by_label("Issue Text").fill(text)
    shoot(page, "ticket-new")

    # Refused without a subject: the message sits by the field and the typed text stays.
    subject.select_option("")
    page.get_by_role("button", name="Raise ticket").click()
    expect(subject).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#Subject-error")).to_contain_text("Subject")
    expect(page.get_by_label("Issue Text")).to_have_value(text)
    expect(page.get_by_label("Exam Name")).to_have_value("CTET")

    subject.select_option("EVS")
    page.get_by_role("button", name="Raise ticket").click()

    expect(page).to_have_url(re.compile(r"/ui/tickets\?raised=TKT-"))
    expect(page.locator("#flash")).to_contain_text(f"Ticket {ticket_id} raised.")
    row = page.locator(f'tr[data-ticket-id="{ticket_id}"]')
    expect(row).to_contain_text(text)
    expect(row).to_contain_text("Teaching")
    expect(row).to_contain_text("CTET")
    expect(row).to_contain_text(email)
    expect(row.locator("td").last).to_have_text("Open")

    # The filters narrow the list in place and stay in the address.
    page.get_by_label("Search").fill(text)
    expect(page).to_have_url(re.compile(r"q=Sr"))
    expect(page.locator("tr[data-ticket-id]")).to_have_count(1)
    page.get_by_label("Status", exact=True).select_option("Closed")
    expect(page).to_have_url(re.compile(r"status=Closed"))
    expect(row).to_have_count(0)
    expect(page.locator("#ticket-summary")).to_have_text("No tickets match.")
    page.get_by_label("Status", exact=True).select_option("Open")
    expect(row).to_have_count(1)
    # The address alone gives the same list.
    page.reload()
    expect(page.get_by_label("Status", exact=True)).to_have_value("Open")
    expect(row).to_have_count(1)


def test_an_editor_changes_a_status_in_place_and_a_viewer_only_reads_it(signed_in, e2e_container):
    ticket_id = raise_directly(e2e_container)
    other = raise_directly(e2e_container, Status="In Progress")
    editor, _ = signed_in(Role.editor)
    editor.goto("/ui/tickets")
    control = editor.get_by_label(f"Status of {ticket_id}")
    expect(control).to_have_value("Open")
    control.focus()
    control.select_option("Resolved")
    expect(editor.locator("#flash")).to_contain_text(f"Ticket {ticket_id} is now Resolved")
    # Focus stays on the control, so a keyboard user can go on from where they were.
    expect(editor.get_by_label(f"Status of {ticket_id}")).to_be_focused()
    expect(editor.get_by_label(f"Status of {other}")).to_have_value("In Progress")
    shoot(editor, "tickets")
    editor.reload()
    expect(editor.get_by_label(f"Status of {ticket_id}")).to_have_value("Resolved")
    editor.goto(f"/ui/tickets?status=Resolved&q={ticket_id}")
    expect(editor.locator("tr[data-ticket-id]")).to_have_count(1)

    viewer, _ = signed_in(Role.viewer)
    viewer.goto(f"/ui/tickets?q={ticket_id}")
    row = viewer.locator(f'tr[data-ticket-id="{ticket_id}"]')
    expect(row.locator("td").last).to_have_text("Resolved")
    expect(row.get_by_role("combobox")).to_have_count(0)
    expect(viewer.get_by_label(f"Status of {ticket_id}")).to_have_count(0)


def test_the_pages_fit_a_phone_screen(signed_in, e2e_container):
    raise_directly(e2e_container, **{"Issue Text": "A long issue text " * 20})
    page, _ = signed_in(Role.editor, phone=True)
    page.goto("/ui/tickets")
    expect(page.locator("tr[data-ticket-id]").first).to_be_visible()
    assert no_sideways_scroll(page)
    shoot(page, "tickets-phone")
    page.goto("/ui/tickets/new")
    page.get_by_label("Vertical").select_option("Bank Pre")
    expect(page.get_by_label("Exam Name")).to_be_enabled()
    assert no_sideways_scroll(page)
