"""The overview's charts and tables and the leaderboard, in a real browser.

The database is shared with other tests, so each test adds its own contributor (a unique
address) with far more entries than anyone else adds, and looks only at that contributor.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from adda_dashboard.domain.roles import SYSTEM, Role
from tests.e2e.conftest import make_user, shoot, sign_in
from tests.factories import reedit_entry, valid_entry

VERTICAL = "Agriculture"
PLACE = {"Vertical Name": VERTICAL, "Exam Name": "NABARD GRADE A", "Subject": "Agronomy"}
TOP_REEDIT = 5
RUNNER_UP_FINAL = 3


@dataclass(frozen=True)
class Contributors:
    top: str
    runner_up: str
    top_final: int


@pytest.fixture(scope="module")
def contributors(e2e_container) -> Contributors:
    """A top contributor with more Final entries in one vertical than anyone had there (30 at
    least) and 5 Re-edit ones, and a runner-up with 3 Final entries; made once for the module,
    so that its tests do not outnumber one another."""
    board = e2e_container.reports.leaderboard()["leaderboard"]
    most = max(
        (
            v["topFinalContributors"][0]["count"]
            for v in board
            if v["name"] == VERTICAL and v["topFinalContributors"]
        ),
        default=0,
    )
    tag = uuid.uuid4().hex[:8]
    made = Contributors(
        f"ov.top.{tag}@adda247.com", f"ov.second.{tag}@adda247.com", max(30, most + 1)
    )
    for _ in range(made.top_final):
        e2e_container.entries.add(SYSTEM, valid_entry(Email=made.top, **PLACE))
    for _ in range(TOP_REEDIT):
        e2e_container.entries.add(SYSTEM, reedit_entry(Email=made.top, **PLACE))
    for _ in range(RUNNER_UP_FINAL):
        e2e_container.entries.add(SYSTEM, valid_entry(Email=made.runner_up, **PLACE))
    return made


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_overview_draws_its_charts_with_the_numbers_beside_them(signed_in, contributors):
    top, top_final = contributors.top, contributors.top_final
    page, _email = signed_in(Role.viewer)
    page.goto("/ui/")
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    for chart in ("chart-verticals", "chart-weeks", "chart-contributors"):
        canvas = page.locator(f"#{chart}")
        expect(canvas).to_be_visible()
        expect(canvas).to_have_attribute("data-drawn", "true")  # Chart.js drew into it
        expect(canvas).to_have_attribute("aria-label", re.compile(r"\d"))
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    # The top contributor is in the contributors chart's text alternative and in its table,
    # which opens from the keyboard.
    expect(page.locator("#chart-contributors")).to_have_attribute(
        "aria-label", re.compile(re.escape(f"{top} {top_final + TOP_REEDIT}"))
    )
    numbers = page.locator("figure", has=page.locator("#chart-contributors")).locator("summary")
    numbers.focus()
    page.keyboard.press("Enter")
    row = page.locator("#table-contributors tbody tr", has_text=top)
    expect(row).to_be_visible()
    expect(row.locator("td")).to_have_text(
        [re.compile(r"\d+"), str(top_final), str(TOP_REEDIT), str(top_final + TOP_REEDIT)]
    )
    # The vertical's row counts at least this test's entries.
    vertical_row = page.locator("#table-verticals tbody tr", has_text=VERTICAL)
    expect(vertical_row).to_have_count(1)
    total = int(vertical_row.locator("td").nth(2).inner_text().replace(",", ""))
    assert total >= top_final + TOP_REEDIT + RUNNER_UP_FINAL
    # This week's bar holds every entry added just now.
    this_week = page.locator("#table-weeks tbody tr").last
    final_this_week = this_week.locator("td").nth(0).text_content() or ""
    assert int(final_this_week) >= top_final + RUNNER_UP_FINAL  # its table is still closed
    shoot(page, "overview")


def test_the_overview_fits_a_phone(new_page, e2e_container, contributors):
    page = new_page(phone=True)
    sign_in(page, make_user(e2e_container, Role.viewer))
    page.goto("/ui/")
    expect(page.locator("#chart-weeks")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#chart-contributors")).to_have_attribute("data-drawn", "true")
    assert fits_the_screen(page)
    shoot(page, "overview-phone")
    page.goto("/ui/leaderboard")
    expect(page.get_by_role("heading", name="Leaderboard", level=1)).to_be_visible()
    expect(page.locator("#table-ranking tbody tr", has_text=VERTICAL)).to_be_visible()
    assert fits_the_screen(page)
    shoot(page, "leaderboard-phone")


def test_the_leaderboard_marks_the_top_contributor_of_the_chosen_vertical(signed_in, contributors):
    top, runner_up, top_final = contributors.top, contributors.runner_up, contributors.top_final
    page, _email = signed_in(Role.viewer)
    page.goto("/ui/leaderboard")
    choice = page.get_by_label("Vertical", exact=True)
    choice.focus()
    choice.select_option(VERTICAL)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ui/leaderboard\?vertical=Agriculture$"))
    cards = page.locator("article.lb-card")
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card.get_by_role("heading", level=2)).to_contain_text(VERTICAL)
    expect(card.locator(".lb-top")).to_contain_text(f"Top contributor: {top}, {top_final} Final")
    expect(card.locator(".lb-top")).to_contain_text(f"₹{top_final * 50:,}")
    finals = card.get_by_role("table", name=f"Top Final contributors of {VERTICAL}")
    first = finals.locator("tbody tr").first
    expect(first.get_by_role("rowheader")).to_have_text(f"{top} Top")
    expect(first.locator("td")).to_have_text(["1", str(top_final), f"₹{top_final * 50:,}"])
    expect(finals.locator("tbody tr", has_text=runner_up).locator(".lb-badge")).to_have_count(0)
    reedits = card.get_by_role("table", name=f"Top Re-edit contributors of {VERTICAL}")
    expect(reedits.locator("tbody tr", has_text=top).locator("td").nth(1)).to_have_text(
        str(TOP_REEDIT)
    )
    shoot(page, "leaderboard")
