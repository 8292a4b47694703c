"""The overview and leaderboard pages as HTML: the numbers they show, on both backends.

Rows are made through the API by an admin; the pages are read with a viewer's token, the least
role that may see them. Tables are read cell by cell, so a number in the wrong column fails.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.models import Entry
from adda_dashboard.services.entries import bump_dataset_version
from tests.factories import reedit_entry, valid_entry

D = "@adda247.com"
BANK = {"Vertical Name": "Bank Pre", "Exam Name": "SBI PO", "Subject": "Quants"}


class Tables(HTMLParser):
    """The text of every cell of every table with an id (or a caption), row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._stack: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._anonymous = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._anonymous += 1
            name = dict(attrs).get("id") or f"table-{self._anonymous}"
            self._stack.append(name)
            self.tables[name] = []
        elif tag == "caption" and self._stack:
            self._caption = []
        elif tag == "tr" and self._stack:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self._stack.pop()
        elif tag == "caption" and self._caption is not None:
            caption = " ".join("".join(self._caption).split())
            self.tables[caption] = self.tables[self._stack[-1]]
            self._caption = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._stack[-1]].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def tables_of(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def embedded_data(html: str) -> Any:
    match = re.search(
        r'<script type="application/json" id="overview-data">(.*?)</script>', html, re.S
    )
    assert match, "the chart data must be embedded in the page"
    return json.loads(match.group(1))


@pytest.fixture
def rows(client: TestClient, admin: dict[str, str]) -> None:
    """SSC: asha 3 Final and 1 Re-edit; Bank Pre: bala 2 Final, asha 1 Re-edit; one deleted."""
    bodies = [
        valid_entry(Email=f"asha{D}"),
        valid_entry(Email=f"asha{D}"),
        valid_entry(Email=f"asha{D}"),
        reedit_entry(Email=f"asha{D}"),
        valid_entry(Email=f"bala{D}", **BANK),
        valid_entry(Email=f"bala{D}", **BANK),
        reedit_entry(Email=f"asha{D}", **BANK),
        valid_entry(Email=f"gone{D}", **BANK),
    ]
    ids = []
    for body in bodies:
        response = client.post("/api/add", json=body, headers=admin)
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    assert client.delete(f"/api/delete/{ids[-1]}", headers=admin).status_code == 200


def test_the_overview_shows_the_counts(
    client: TestClient, viewer: dict[str, str], rows: None
) -> None:
    response = client.get("/ui/", headers=viewer)
    assert response.status_code == 200
    html = response.text
    assert re.search(r'id="ov-total">7<', html)
    assert re.search(r'id="ov-final">5<', html)
    assert re.search(r'id="ov-reedit">2<', html)
    tables = tables_of(html)
    assert tables["table-verticals"][1:] == [["SSC", "3", "1", "4"], ["Bank Pre", "2", "1", "3"]]
    assert tables["table-content-types"][1:] == [["Content", "5", "2", "7"]]
    assert tables["table-contributors"][1:] == [
        ["1", f"asha{D}", "3", "2", "5"],
        ["2", f"bala{D}", "2", "0", "2"],
    ]
    weeks = tables["table-weeks"][1:]
    assert len(weeks) == 12
    assert weeks[-1][1:] == ["5", "2", "7"]  # every row was added this week
    assert all(week[1:] == ["0", "0", "0"] for week in weeks[:-1])


def test_the_chart_data_is_embedded_and_is_the_services_answer(
    client: TestClient, viewer: dict[str, str], container: Container, rows: None
) -> None:
    html = client.get("/ui/", headers=viewer).text
    assert container.overview is not None
    assert embedded_data(html) == container.overview.summary()
    for chart in ("chart-verticals", "chart-weeks", "chart-contributors"):
        canvas = re.search(rf'<canvas id="{chart}" role="img"\s+aria-label="([^"]+)"', html)
        assert canvas, f"{chart} needs a text alternative"
    assert "Bar chart of entries per vertical: SSC 4, Bank Pre 3." in html
    assert html.count("<figcaption") == 3
    assert "vendor/chart-4.6.1.umd.min.js" in html and "overview.js" in html


def test_names_in_the_embedded_data_cannot_end_the_script(
    client: TestClient, viewer: dict[str, str], container: Container
) -> None:
    # An address the API would refuse, as an old import could have left it: stored directly.
    email = f"x</script><b>'&{D}"
    with container.db.write() as session:
        session.add(
            Entry(
                sr_no=1,
                email=email,
                vertical="SSC",
                exam="All",
                content_type="Content",
                video_link="https://youtube.com/shorts/abcdefghijk",
                edit_status="Final",
            )
        )
        bump_dataset_version(session)
    html = client.get("/ui/", headers=viewer).text
    assert "</script><b>" not in html
    assert embedded_data(html)["contributors"][0]["email"] == email


def test_an_empty_overview_says_so(client: TestClient, viewer: dict[str, str]) -> None:
    html = client.get("/ui/", headers=viewer).text
    assert "No entries yet" in html
    assert re.search(r'id="ov-total">0<', html)
    assert embedded_data(html)["totals"] == {"total": 0, "final": 0, "reedit": 0}


def test_the_pages_need_a_sign_in(client: TestClient) -> None:
    for path in ("/ui/", "/ui/leaderboard"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/ui/login?next=")


def test_the_leaderboard_shows_the_apis_numbers(
    client: TestClient, viewer: dict[str, str], rows: None
) -> None:
    api = client.get("/api/leaderboard", headers=viewer).json()
    html = client.get("/ui/leaderboard", headers=viewer).text
    tables = tables_of(html)
    for vertical in api["leaderboard"]:
        for key, title in (
            ("topFinalContributors", "Top Final contributors"),
            ("topReEditContributors", "Top Re-edit contributors"),
        ):
            expected = [
                [str(rank), p["email"], str(p["count"]), f"₹{p['earnings']:,}"]
                for rank, p in enumerate(vertical[key], start=1)
            ]
            if not expected:
                continue
            shown = tables[f"{title} of {vertical['name']}"][1:]
            shown[0][1] = shown[0][1].removesuffix(" Top")  # the first row carries the mark
            assert shown == expected
    ssc, bank = api["leaderboard"]
    assert ssc["name"] == "SSC" and ssc["topFinalContributors"][0]["earnings"] == 150
    assert bank["name"] == "Bank Pre" and bank["topFinalContributors"][0]["count"] == 2
    assert f'<p class="lb-top" data-top="asha{D}">' in html
    assert f'<p class="lb-top" data-top="bala{D}">' in html
    assert html.count('<span class="lb-badge">Top</span>') == 4  # the first of each table
    assert "<strong>₹200</strong> earned" in html  # SSC's 4 videos at ₹50
    assert tables["table-ranking"][1:] == [
        ["1", "SSC", "4", "3", "1", "₹200", f"asha{D}"],
        ["2", "Bank Pre", "3", "2", "1", "₹150", f"bala{D}"],
    ]
    assert 'href="/ui/leaderboard?vertical=Bank%20Pre"' in html


def test_choosing_a_vertical_shows_only_its_card(
    client: TestClient, viewer: dict[str, str], rows: None
) -> None:
    html = client.get("/ui/leaderboard", params={"vertical": "Bank Pre"}, headers=viewer).text
    assert re.findall(r'data-vertical="([^"]+)"', html) == ["Bank Pre"]
    assert '<option value="Bank Pre" selected>' in html
    assert 'id="table-ranking"' not in html  # the ranking is for the view of every vertical
    every = client.get("/ui/leaderboard", headers=viewer).text
    assert re.findall(r'data-vertical="([^"]+)"', every) == ["SSC", "Bank Pre"]


def test_an_unknown_vertical_is_said_next_to_the_choice(
    client: TestClient, viewer: dict[str, str], rows: None
) -> None:
    response = client.get("/ui/leaderboard", params={"vertical": "Nowhere"}, headers=viewer)
    assert response.status_code == 400
    html = response.text
    assert re.search(r'<select id="vertical" name="vertical" aria-invalid="true"', html)
    assert re.search(r'<p class="field-error" id="vertical-error" role="alert">[^<]*Nowhere', html)
    assert re.findall(r'data-vertical="([^"]+)"', html) == ["SSC", "Bank Pre"]
    long = client.get("/ui/leaderboard", params={"vertical": "x" * 5000}, headers=viewer)
    assert long.status_code == 400
    assert "x" * 79 + "…" in long.text and "x" * 81 not in long.text


def test_an_empty_leaderboard_says_so(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/ui/leaderboard", headers=viewer)
    assert response.status_code == 200
    assert "nobody is on the leaderboard" in response.text
