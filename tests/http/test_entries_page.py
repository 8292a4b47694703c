"""GET /ui/entries: the dashboard's list of entries, as the server renders it.

Filters combine and each shows how many entries each of its values would leave; search, sort and
keyset pages (both ways) live in the URL; htmx gets the results with the counts beside them; bad
parameters are the usual 400 page; row buttons follow the viewer's rights.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from itertools import combinations
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import SYSTEM, Role
from tests.factories import reedit_entry, valid_entry
from tests.http.auth_support import signed_in

ROW = re.compile(r'<tr id="entry-(\d+)" data-version="(\d+)">(.*?)</tr>', re.S)
HTMX = {"HX-Request": "true"}
ASHA, BALA, CHEN = "asha@adda247.com", "bala@adda247.com", "chen@studyiq.com"

# label -> body; created in this order, so serial numbers follow it.
ENTRIES: dict[str, dict[str, str]] = {
    "A": valid_entry(**{"Email": ASHA, "Exam Name": "CGL", "Editor Brief": "Maths trick"}),
    "B": reedit_entry(**{"Email": BALA, "Exam Name": "GD", "Subject": "English"}),
    "C": valid_entry(
        **{
            "Email": CHEN,
            "Vertical Name": "Bank Pre",
            "Exam Name": "SBI PO",
            "Subject": "Quants",
            "Sub category": "Tricks & Formulas",
        }
    ),
    "D": reedit_entry(**{"Email": ASHA, "Exam Name": "CGL", "Subject": "Maths"}),
    "E": valid_entry(
        **{
            "Email": BALA,
            "Vertical Name": "Teaching",
            "Exam Name": "CTET",
            "Subject": "",
            "Type of Content": "Exam_Information",
            "Sub category": "",
        }
    ),
    "F": valid_entry(**{"Email": CHEN, "Exam Name": "CGL", "Subject": "Reasoning"}),
}
FACET_OF = {
    "vertical": "Vertical Name",
    "exam": "Exam Name",
    "subject": "Subject",
    "content_type": "Type of Content",
    "sub_category": "Sub category",
    "status": "Edit",
    "contributor": "Email",
}


def as_(container: Container, role: Role, email: str | None = None) -> dict[str, str]:
    _, token = signed_in(container, role, email)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def viewer(container: Container) -> dict[str, str]:
    return as_(container, Role.viewer)


@pytest.fixture
def dataset(container: Container) -> dict[str, dict[str, Any]]:
    """The entries above, plus one deleted entry that must never show."""
    records = {label: container.entries.add(SYSTEM, body) for label, body in ENTRIES.items()}
    gone = container.entries.add(SYSTEM, valid_entry(**{"Email": ASHA, "Editor Brief": "maths"}))
    container.entries.delete(SYSTEM, gone["id"])
    return records


def page(client: TestClient, headers: dict[str, str], url: str, **extra: str) -> str:
    response = client.get(url, headers={**headers, **extra})
    assert response.status_code == 200, response.text
    return response.text


def shown(text: str, records: dict[str, dict[str, Any]]) -> list[str]:
    """The labels of the rows on a page, in order."""
    label_of = {record["id"]: label for label, record in records.items()}
    return [label_of.get(int(m.group(1)), m.group(1)) for m in ROW.finditer(text)]


def options(text: str, name: str) -> dict[str, int]:
    """value -> count of the filter ``name`` as its select lists them."""
    block = re.search(rf'<select id="entry-{name}" name="{name}">(.*?)</select>', text, re.S)
    assert block, f"no select for {name}"
    found = re.findall(r'<option value="([^"]+)"[^>]*>[^<]*\(([\d,]+)\)</option>', block.group(1))
    return {html.unescape(value): int(n.replace(",", "")) for value, n in found}


def selected(text: str, name: str) -> str | None:
    block = re.search(rf'<select id="entry-{name}" name="{name}">(.*?)</select>', text, re.S)
    assert block
    chosen = re.search(r'<option value="([^"]*)" selected>', block.group(1))
    return html.unescape(chosen.group(1)) if chosen else None


def total(text: str) -> int:
    match = re.search(r"<strong>([\d,]+) entr(?:y|ies)</strong>", text)
    assert match, "the page must say how many entries match"
    return int(match.group(1).replace(",", ""))


def link(text: str, link_id: str) -> str | None:
    match = re.search(rf'<a id="{link_id}"[^>]*\shref="([^"]+)"', text)
    return html.unescape(match.group(1)) if match else None


# Listing, filters and counts --------------------------------------------------------------------


def test_the_list_shows_live_entries_newest_first_with_their_total(
    client: TestClient, viewer: dict[str, str], dataset: dict[str, dict[str, Any]]
) -> None:
    text = page(client, viewer, "/ui/entries")
    assert shown(text, dataset) == ["F", "E", "D", "C", "B", "A"]
    assert total(text) == 6
    assert 'aria-sort="descending"' in text.split('data-col="Sr no."', 2)[1].split(">")[0]
    # Every cell names its column, so columns can be hidden without asking the server.
    row = next(m.group(3) for m in ROW.finditer(text) if int(m.group(1)) == dataset["C"]["id"])
    assert 'data-col="Vertical Name">Bank Pre</td>' in row
    assert 'data-col="Sub category">Tricks &amp; Formulas</td>' in row
    assert 'data-col="actions"' in row


def test_filters_combine_and_each_counts_what_its_values_would_leave(
    client: TestClient, viewer: dict[str, str], dataset: dict[str, dict[str, Any]]
) -> None:
    text = page(client, viewer, "/ui/entries?vertical=SSC&status=Final")
    assert shown(text, dataset) == ["F", "A"]
    assert total(text) == 2
    assert selected(text, "vertical") == "SSC" and selected(text, "status") == "Final"
    # Each filter's counts are taken under the other filters only.
    assert options(text, "vertical") == {"Bank Pre": 1, "SSC": 2, "Teaching": 1}
    assert options(text, "status") == {"Final": 2, "Re-edit": 2}
    assert options(text, "contributor") == {ASHA: 1, CHEN: 1}
    assert options(text, "exam") == {"CGL": 2}
    assert options(text, "content_type") == {"Content": 2}

    text = page(client, viewer, f"/ui/entries?contributor={ASHA.upper()}&status=Re-edit")
    assert shown(text, dataset) == ["D"]
    assert selected(text, "contributor") == ASHA


def test_search_is_case_insensitive_and_combines_with_filters(
    client: TestClient, viewer: dict[str, str], dataset: dict[str, dict[str, Any]]
) -> None:
    text = page(client, viewer, "/ui/entries?q=MATHS")
    assert shown(text, dataset) == ["D", "A"]  # Subject or brief; the deleted one never shows
    text = page(client, viewer, "/ui/entries?q=maths&status=Final")
    assert shown(text, dataset) == ["A"]
    assert options(text, "status") == {"Final": 1, "Re-edit": 1}
    assert 'value="maths"' in text
    text = page(client, viewer, "/ui/entries?q=nothing-like-this")
    assert shown(text, dataset) == []
    assert total(text) == 0
    assert "No entries match these filters." in text


@pytest.mark.parametrize(
    ("sort", "expected", "aria"),
    [
        ("vertical", ["C", "A", "B", "D", "F", "E"], "ascending"),
        ("-vertical", ["E", "F", "D", "B", "A", "C"], "descending"),
        ("email", ["A", "D", "B", "E", "C", "F"], "ascending"),
        ("sr_no", ["A", "B", "C", "D", "E", "F"], "ascending"),
        ("-created_at", ["F", "E", "D", "C", "B", "A"], None),
    ],
)
def test_sorting_orders_rows_by_the_column_then_id(
    client: TestClient,
    viewer: dict[str, str],
    dataset: dict[str, dict[str, Any]],
    sort: str,
    expected: list[str],
    aria: str | None,
) -> None:
    text = page(client, viewer, f"/ui/entries?sort={sort}")
    assert shown(text, dataset) == expected
    headers = re.findall(r'<th scope="col" data-col="([^"]+)"( aria-sort="(\w+)")?', text)
    sorted_headers = [(col, state) for col, _, state in headers if state]
    if aria is None:
        assert sorted_headers == []
    else:
        assert len(sorted_headers) == 1 and sorted_headers[0][1] == aria
    assert selected(text, "sort") == sort


def test_column_headers_link_to_the_other_order_keeping_the_filters(
    client: TestClient, viewer: dict[str, str], dataset: dict[str, dict[str, Any]]
) -> None:
    text = page(client, viewer, "/ui/entries?vertical=SSC&sort=exam&cols=sr_no,exam")
    exam = parse_qs(urlsplit(link(text, "sort-exam") or "").query)
    assert exam == {"vertical": ["SSC"], "sort": ["-exam"], "cols": ["sr_no,exam"]}
    vertical = parse_qs(urlsplit(link(text, "sort-vertical") or "").query)
    assert vertical["sort"] == ["vertical"]


# Pages ------------------------------------------------------------------------------------------


def test_paging_forward_and_back_shows_every_row_once(
    client: TestClient, viewer: dict[str, str], dataset: dict[str, dict[str, Any]]
) -> None:
    url: str | None = "/ui/entries?limit=4&sort=exam"
    forward: list[list[str]] = []
    texts: list[str] = []
    while url:
        text = page(client, viewer, url)
        texts.append(text)
        forward.append(shown(text, dataset))
        url = link(text, "pager-next")
    assert forward == [["A", "D", "F", "E"], ["B", "C"]]
    assert "showing 5–6 · page 2 of 2" in texts[-1]
    back = link(texts[-1], "pager-prev")
    assert back is not None and "cursor" not in back and "before" not in back  # page 1 itself
    assert shown(page(client, viewer, back), dataset) == forward[0]

    # Three pages of two: the previous page of the last one is read backwards from its cursor.
    url = "/ui/entries?limit=2"
    seen, pages = [], []
    while url:
        text = page(client, viewer, url)
        pages.append(text)
        seen += shown(text, dataset)
        url = link(text, "pager-next")
    assert seen == ["F", "E", "D", "C", "B", "A"]
    assert link(pages[0], "pager-prev") is None and link(pages[0], "pager-first") is None
    back = link(pages[2], "pager-prev")
    assert back is not None and "before=" in back
    text = page(client, viewer, back)
    assert shown(text, dataset) == ["D", "C"]
    assert "showing 3–4 · page 2 of 3" in text
    assert link(text, "pager-next") is not None
    assert shown(page(client, viewer, link(text, "pager-first") or ""), dataset) == ["F", "E"]


@pytest.mark.parametrize("sort", ["-created_at", "updated_at", "-vertical", "status", "email"])
def test_pages_of_any_order_walk_every_row_once_both_ways(
    client: TestClient, viewer: dict[str, str], dataset: dict[str, dict[str, Any]], sort: str
) -> None:
    whole = shown(page(client, viewer, f"/ui/entries?sort={sort}"), dataset)
    url: str | None = f"/ui/entries?sort={sort}&limit=2"
    forward: list[list[str]] = []
    last = ""
    while url:
        last = page(client, viewer, url)
        forward.append(shown(last, dataset))
        url = link(last, "pager-next")
    assert [label for rows in forward for label in rows] == whole and len(forward) == 3
    backward: list[list[str]] = [forward[-1]]
    url = link(last, "pager-prev")
    while url:
        text = page(client, viewer, url)
        backward.append(shown(text, dataset))
        url = link(text, "pager-prev")
    assert backward[::-1] == forward


def test_fifty_rows_make_a_page(client: TestClient, container: Container) -> None:
    headers = as_(container, Role.viewer)
    for i in range(51):
        container.entries.add(SYSTEM, valid_entry(**{"Email": f"bulk{i}@adda247.com"}))
    text = page(client, headers, "/ui/entries")
    assert len(ROW.findall(text)) == 50
    assert total(text) == 51
    assert "showing 1–50 · page 1 of 2" in text
    second = page(client, headers, link(text, "pager-next") or "")
    assert len(ROW.findall(second)) == 1
    assert link(second, "pager-next") is None


def test_the_list_follows_writes(
    client: TestClient,
    viewer: dict[str, str],
    dataset: dict[str, dict[str, Any]],
    container: Container,
) -> None:
    assert total(page(client, viewer, "/ui/entries?vertical=SSC")) == 4
    added = container.entries.add(SYSTEM, valid_entry(**{"Email": CHEN}))
    text = page(client, viewer, "/ui/entries?vertical=SSC")
    assert total(text) == 5
    assert f'id="entry-{added["id"]}"' in text
    container.entries.delete(SYSTEM, dataset["A"]["id"])
    text = page(client, viewer, "/ui/entries?vertical=SSC")
    assert total(text) == 4 and "A" not in shown(text, dataset)


def test_counts_match_the_entries_for_any_mix_of_filters_and_search(
    client: TestClient, viewer: dict[str, str], dataset: dict[str, dict[str, Any]]
) -> None:
    """The counts are worked out two ways (grouped counts, one scan with a search): both must
    agree with counting the records by hand."""
    records = list(dataset.values())
    chosen = {"vertical": "SSC", "status": "Re-edit", "contributor": ASHA, "exam": "CGL"}
    for size in range(len(chosen) + 1):
        for names in combinations(chosen, size):
            for q in (None, "maths", "adda"):
                filters = {name: chosen[name] for name in names}
                params = "&".join(f"{k}={v}" for k, v in filters.items())
                text = page(client, viewer, f"/ui/entries?{params}" + (f"&q={q}" if q else ""))
                matching = [r for r in records if _matches(r, filters, q)]
                assert total(text) == len(matching), (filters, q)
                for facet, column in FACET_OF.items():
                    others = {k: v for k, v in filters.items() if k != facet}
                    expected = Counter(r[column] for r in records if _matches(r, others, q))
                    if facet in filters:
                        expected.setdefault(filters[facet], 0)
                    assert options(text, facet) == {k: v for k, v in expected.items() if k}, (
                        facet,
                        filters,
                        q,
                    )


def _matches(record: dict[str, Any], filters: dict[str, str], q: str | None) -> bool:
    if any(record[FACET_OF[name]] != value for name, value in filters.items()):
        return False
    if not q:
        return True
    searched = ("Email", "Vertical Name", "Exam Name", "Subject", "Sub category", "Video Link")
    texts = [record.get(col, "") for col in (*searched, "VideoId", "Editor Brief")]
    return any(q in str(t).lower() for t in texts)


# htmx -------------------------------------------------------------------------------------------


def test_an_htmx_change_gets_the_results_counts_and_address(
    client: TestClient, viewer: dict[str, str], dataset: dict[str, dict[str, Any]]
) -> None:
    url = "/ui/entries?q=&vertical=SSC&exam=&status=&sort=-sr_no&cols=sr_no,email"
    response = client.get(url, headers={**viewer, **HTMX})
    assert response.status_code == 200
    text = response.text
    assert text.lstrip().startswith('<div id="entries-results"')
    assert "<html" not in text
    assert 'id="entry-facets" class="entry-facets" hx-swap-oob="true"' in text
    assert '<p id="entries-status" hx-swap-oob="innerHTML">' in text
    assert shown(text, dataset) == ["F", "D", "B", "A"]
    # Empty choices and the default order stay out of the address.
    assert response.headers["HX-Push-Url"] == "/ui/entries?vertical=SSC&cols=sr_no,email"
    restore = client.get(url, headers={**viewer, **HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text, "restoring history needs the whole page"


# Bad parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("sort=bogus", "'sort' must be one of"),
        ("status=Done", "'status' must be one of"),
        ("vertical=%3Cscript%3E", "'vertical' may hold only"),
        ("contributor=not-an-address", "'contributor' must be an email address"),
        ("cursor=garbage", "'cursor' is not a cursor this server issued"),
        ("before=garbage", "'before' is not a cursor this server issued"),
        ("cursor=x&before=y", "either 'cursor' or 'before'"),
        ("cols=sr_no,colour", "'cols' names unknown columns (colour)"),
        ("limit=0", "'limit' must be between 1 and"),
        ("page=2", "unknown query parameter 'page'"),
        ("q=" + "x" * 201, "'q' is too long"),
    ],
)
def test_bad_parameters_are_a_400_page_naming_them(
    client: TestClient, viewer: dict[str, str], query: str, named: str
) -> None:
    response = client.get(f"/ui/entries?{query}", headers=viewer)
    assert response.status_code == 400
    assert "<html" in response.text and 'class="error-message"' in response.text
    assert named in html.unescape(response.text)
    fragment = client.get(f"/ui/entries?{query}", headers={**viewer, **HTMX})
    assert fragment.status_code == 400
    assert fragment.headers["HX-Retarget"] == "#flash"
    assert named in html.unescape(fragment.text)


def test_a_cursor_of_another_order_is_refused(
    client: TestClient, viewer: dict[str, str], dataset: dict[str, dict[str, Any]]
) -> None:
    first = page(client, viewer, "/ui/entries?limit=2")
    cursor = parse_qs(urlsplit(link(first, "pager-next") or "").query)["cursor"][0]
    response = client.get(f"/ui/entries?limit=2&sort=vertical&cursor={cursor}", headers=viewer)
    assert response.status_code == 400
    assert "another sort order" in response.text


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/ui/entries?vertical=SSC", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=%2Fui%2Fentries")


# Row buttons ------------------------------------------------------------------------------------


def buttons(text: str) -> dict[int, set[str]]:
    """entry id -> the row buttons offered ("Edit", "Delete")."""
    return {
        int(m.group(1)): set(re.findall(r'aria-label="(Edit|Delete) entry \d+"', m.group(3)))
        for m in ROW.finditer(text)
    }


def test_a_viewer_sees_no_buttons_and_an_owner_only_on_their_rows(
    client: TestClient, container: Container, dataset: dict[str, dict[str, Any]]
) -> None:
    ids = {label: record["id"] for label, record in dataset.items()}
    viewer_page = page(client, as_(container, Role.viewer), "/ui/entries")
    assert buttons(viewer_page) == {i: set() for i in ids.values()}
    assert "hx-delete" not in viewer_page and "/edit" not in viewer_page
    assert ">Add entry</a>" not in viewer_page

    owner_page = page(client, as_(container, Role.contributor, ASHA), "/ui/entries")
    own = {ids["A"], ids["D"]}
    assert buttons(owner_page) == {
        i: ({"Edit", "Delete"} if i in own else set()) for i in ids.values()
    }
    assert '<a class="btn btn-primary" href="/ui/entries/new">Add entry</a>' in owner_page
    row_a = next(m.group(0) for m in ROW.finditer(owner_page) if int(m.group(1)) == ids["A"])
    sr = dataset["A"]["Sr no."]
    assert f'hx-get="/ui/entries/{ids["A"]}/edit" hx-target="closest tr"' in row_a
    assert f'hx-delete="/ui/entries/{ids["A"]}"' in row_a
    assert f'hx-confirm="Delete entry {sr}?"' in row_a

    editor_page = page(client, as_(container, Role.editor), "/ui/entries")
    assert buttons(editor_page) == {i: {"Edit"} for i in ids.values()}
    admin_page = page(client, as_(container, Role.admin), "/ui/entries")
    assert buttons(admin_page) == {i: {"Edit", "Delete"} for i in ids.values()}
