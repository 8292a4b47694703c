"""GET /api/data with parameters: filters, text search, sorting and keyset pages.

Without parameters the answer stays exactly the legacy list the frontend reads. Expected orders
below are worked out by hand from the dataset; ties are broken by id (ascending, or descending
when the sort is reversed).
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import Role
from tests.factories import reedit_entry, valid_entry
from tests.http.auth_support import headers_of

Dataset = dict[str, int]  # label -> entry id

# Six live entries and one deleted one, created in this order (so ids and serials follow it).
ENTRIES: dict[str, dict[str, str]] = {
    "E1": valid_entry(
        **{
            "Email": "asha@adda247.com",
            "Exam Name": "CGL",
            "Subject": "Maths",
            "Sub category": "Question",
            "Editor Brief": "needs 100% zoom",
        }
    ),
    "E2": reedit_entry(
        **{
            "Email": "bala@adda247.com",
            "Exam Name": "GD",
            "Subject": "English",
            "Sub category": "Topic/Facts",
        }
    ),
    "E3": valid_entry(
        **{
            "Email": "chen@studyiq.com",
            "Vertical Name": "Bank Pre",
            "Exam Name": "SBI PO",
            "Subject": "Quants",
            "Sub category": "Tricks & Formulas",
            "Editor Brief": "see a_b notes",
        }
    ),
    "E4": valid_entry(
        **{
            "Email": "ASHA@adda247.com",
            "Vertical Name": "Teaching",
            "Exam Name": "CTET",
            "Subject": "",
            "Type of Content": "Exam_Information",
            "Sub category": "",
            "Editor Brief": "100 zoom",
        }
    ),
    "E5": reedit_entry(
        **{
            "Email": "dev@addaeducation.com",
            "Vertical Name": "Bank Pre",
            "Exam Name": "IBPS PO",
            "Subject": "Reasoning",
            "Sub category": "Question",
        }
    ),
    "E6": valid_entry(
        **{
            "Email": "bala@adda247.com",
            "Exam Name": "CGL",
            "Subject": "Reasoning",
            "Type of Content": "Motivational_or_Fun",
            "Sub category": "",
            "Editor Brief": "axb",
        }
    ),
    "GONE": valid_entry(
        **{"Email": "asha@adda247.com", "Exam Name": "CGL", "Editor Brief": "100% zoom, a_b"}
    ),
}
LIVE = ["E1", "E2", "E3", "E4", "E5", "E6"]
PAGE_KEYS = ["success", "data", "count", "total", "next_cursor"]


@pytest.fixture
def admin(container: Container) -> dict[str, str]:
    """An admin's token, issued without a sign-in: these tests are about queries."""
    return headers_of(container, Role.admin)


@pytest.fixture
def viewer(container: Container) -> dict[str, str]:
    return headers_of(container, Role.viewer)


@pytest.fixture
def dataset(client: TestClient, admin: dict[str, str]) -> Dataset:
    ids = {}
    for label, body in ENTRIES.items():
        response = client.post("/api/add", json=body, headers=admin)
        assert response.status_code == 200, response.text
        ids[label] = response.json()["id"]
    assert client.delete(f"/api/delete/{ids['GONE']}", headers=admin).status_code == 200
    return ids


def query(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/data", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == PAGE_KEYS
    assert body["count"] == len(body["data"])
    return body


def labels(ids: Dataset, body: dict[str, Any]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id.get(record["id"], f"new:{record['id']}") for record in body["data"]]


def walk(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every page of a query, following next_cursor to the end."""
    pages = [query(client, headers, **params)]
    while pages[-1]["next_cursor"] is not None:
        pages.append(query(client, headers, **params, cursor=pages[-1]["next_cursor"]))
    return pages


# The legacy shape -------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"_": "1731660000000"}])
def test_without_parameters_the_answer_is_exactly_the_legacy_list(
    client: TestClient, admin: dict[str, str], dataset: Dataset, params: dict[str, str]
) -> None:
    body = client.get("/api/data", params=params, headers=admin).json()
    assert list(body) == ["success", "data", "count", "finalCount", "reEditCount"]
    assert (body["success"], body["count"], body["finalCount"], body["reEditCount"]) == (
        True,
        6,
        4,
        2,
    )
    assert labels(dataset, body) == ["E1", "E3", "E4", "E6", "E2", "E5"]


def test_a_page_carries_legacy_records(
    client: TestClient, viewer: dict[str, str], dataset: Dataset
) -> None:
    body = query(client, viewer, vertical="Teaching")
    assert body["data"] == [
        {
            "Sr no.": "4",
            "Email": "asha@adda247.com",
            "Vertical Name": "Teaching",
            "Exam Name": "CTET",
            "Subject": "",
            "Type of Content": "Exam_Information",
            "Sub category": "",
            "Video Link": "https://youtube.com/shorts/abcdefghijk",
            "Edit": "Final",
            "Editor Brief": "100 zoom",
            "Final Edited Link": "",
            "VideoId": "abcdefghijk",
            "id": dataset["E4"],
            "version": 1,
        }
    ]
    assert (body["total"], body["next_cursor"]) == (1, None)


# Filters ----------------------------------------------------------------------------------------


FILTERED: list[tuple[dict[str, str], list[str]]] = [
    ({"vertical": "SSC"}, ["E1", "E2", "E6"]),
    ({"exam": "CGL"}, ["E1", "E6"]),
    ({"subject": "Maths"}, ["E1"]),
    ({"content_type": "Content"}, ["E1", "E2", "E3", "E5"]),
    ({"sub_category": "Question"}, ["E1", "E5"]),
    ({"status": "Re-edit"}, ["E2", "E5"]),
    ({"status": "Final"}, ["E1", "E3", "E4", "E6"]),
    ({"contributor": "ASHA@adda247.com"}, ["E1", "E4"]),
    ({"vertical": "SSC", "status": "Final"}, ["E1", "E6"]),
    ({"vertical": "SSC", "exam": "CGL", "subject": "Reasoning"}, ["E6"]),
    ({"vertical": "Bank Pre", "content_type": "Content", "sub_category": "Question"}, ["E5"]),
    ({"contributor": "asha@adda247.com", "vertical": "Bank Pre"}, []),
    ({"exam": "Steno"}, []),
]


def test_filters_select_exactly_the_matching_live_entries(
    client: TestClient, admin: dict[str, str], dataset: Dataset
) -> None:
    found = {}
    for params, _expected in FILTERED:
        body = query(client, admin, **params)
        found[str(params)] = (labels(dataset, body), body["total"])
    assert found == {str(params): (expected, len(expected)) for params, expected in FILTERED}


# Text search ------------------------------------------------------------------------------------

SEARCHED = {
    "ASHA": ["E1", "E4"],  # email, case-insensitively
    "cgl": ["E1", "E6"],  # exam
    "bank": ["E3", "E5"],  # vertical
    "studyiq": ["E3"],
    "tricks": ["E3"],  # sub category
    "ZOOM": ["E1", "E4"],  # editor brief
    "100%": ["E1"],  # '%' is a literal, not a wildcard
    "%": ["E1"],
    "a_b": ["E3"],  # '_' is a literal too
    "_": ["E3"],
    "drive.google": ["E2", "E5"],  # video link
    "nothing like this": [],
}


def test_text_search_matches_case_insensitively_with_literal_wildcards(
    client: TestClient, admin: dict[str, str], dataset: Dataset
) -> None:
    found = {}
    for q in SEARCHED:
        body = query(client, admin, q=q)
        found[q] = (labels(dataset, body), body["total"])
    assert found == {q: (expected, len(expected)) for q, expected in SEARCHED.items()}


def test_search_combines_with_filters(
    client: TestClient, admin: dict[str, str], dataset: Dataset
) -> None:
    assert labels(dataset, query(client, admin, q="asha", vertical="SSC")) == ["E1"]
    assert labels(dataset, query(client, admin, q="reasoning", status="Re-edit")) == ["E5"]


# Sorting and keyset pages -----------------------------------------------------------------------

SORTED = {
    "id": ["E1", "E2", "E3", "E4", "E5", "E6"],
    "-id": ["E6", "E5", "E4", "E3", "E2", "E1"],
    "-sr_no": ["E6", "E5", "E4", "E3", "E2", "E1"],
    "vertical": ["E3", "E5", "E1", "E2", "E6", "E4"],
    "-vertical": ["E4", "E6", "E2", "E1", "E5", "E3"],
    "exam": ["E1", "E6", "E4", "E2", "E5", "E3"],
    "subject": ["E4", "E2", "E1", "E3", "E5", "E6"],
    "content_type": ["E1", "E2", "E3", "E5", "E4", "E6"],
    "-email": ["E5", "E3", "E6", "E2", "E4", "E1"],
    "status": ["E1", "E3", "E4", "E6", "E2", "E5"],
}


def test_sort_orders_by_the_column_then_id(
    client: TestClient, admin: dict[str, str], dataset: Dataset
) -> None:
    found = {sort: labels(dataset, query(client, admin, sort=sort)) for sort in SORTED}
    assert found == SORTED


@pytest.mark.parametrize("sort", SORTED)
def test_pages_walk_the_sorted_rows_exactly_once(
    client: TestClient, admin: dict[str, str], dataset: Dataset, sort: str
) -> None:
    pages = walk(client, admin, sort=sort, limit=4)
    assert [p["count"] for p in pages] == [4, 2]
    assert all(p["total"] == 6 for p in pages)
    assert [label for p in pages for label in labels(dataset, p)] == SORTED[sort]


@pytest.mark.parametrize("sort", ["created_at", "-created_at", "updated_at", "-updated_at"])
def test_pages_by_time_walk_every_row_exactly_once(
    client: TestClient, admin: dict[str, str], dataset: Dataset, sort: str
) -> None:
    pages = walk(client, admin, sort=sort, limit=2)
    seen = [label for p in pages for label in labels(dataset, p)]
    assert sorted(seen) == LIVE
    assert pages[-1]["next_cursor"] is None


def test_pages_of_a_filtered_search_walk_only_its_matches(
    client: TestClient, admin: dict[str, str], dataset: Dataset
) -> None:
    pages = walk(client, admin, vertical="SSC", sort="-exam", limit=1)
    assert [label for p in pages for label in labels(dataset, p)] == ["E2", "E6", "E1"]
    assert all(p["total"] == 3 for p in pages)


@pytest.mark.parametrize("sort", ["vertical", "-vertical", "id", "-id", "created_at"])
def test_rows_added_between_pages_never_duplicate_or_hide_the_others(
    client: TestClient, admin: dict[str, str], dataset: Dataset, sort: str
) -> None:
    newcomers = [  # one sorting before everything, one after, one in the middle
        valid_entry(
            **{
                "Email": "new@adda247.com",
                "Vertical Name": "Agriculture",
                "Exam Name": "All",
                "Subject": "Agronomy",
            }
        ),
        valid_entry(
            **{
                "Email": "new@adda247.com",
                "Vertical Name": "UGC",
                "Exam Name": "All",
                "Subject": "Other",
            }
        ),
        valid_entry(**{"Email": "new@adda247.com"}),
    ]
    seen: list[str] = []
    page = query(client, admin, sort=sort, limit=2)
    while True:
        seen += labels(dataset, page)
        if page["next_cursor"] is None:
            break
        if newcomers:
            added = client.post("/api/add", json=newcomers.pop(), headers=admin)
            assert added.status_code == 200
        page = query(client, admin, sort=sort, limit=2, cursor=page["next_cursor"])
    assert len(seen) == len(set(seen))
    assert set(LIVE) <= set(seen)
    assert page["total"] == 9


def test_a_short_last_page_has_no_cursor(
    client: TestClient, admin: dict[str, str], dataset: Dataset
) -> None:
    first = query(client, admin, limit=5)
    assert first["count"] == 5 and first["next_cursor"]
    last = query(client, admin, limit=5, cursor=first["next_cursor"])
    assert (labels(dataset, last), last["next_cursor"], last["total"]) == (["E6"], None, 6)


def test_default_page_is_fifty_rows_by_id(
    client: TestClient, admin: dict[str, str], dataset: Dataset
) -> None:
    body = query(client, admin, status="Final")
    assert labels(dataset, body) == ["E1", "E3", "E4", "E6"]
    assert body["next_cursor"] is None


# Refused queries --------------------------------------------------------------------------------


@pytest.mark.parametrize(("other_sort"), ["exam", "-vertical", "id"])
def test_a_cursor_from_another_sort_is_refused(
    client: TestClient, admin: dict[str, str], dataset: Dataset, other_sort: str
) -> None:
    cursor = query(client, admin, sort="vertical", limit=2)["next_cursor"]
    response = client.get(
        "/api/data", params={"sort": other_sort, "limit": 2, "cursor": cursor}, headers=admin
    )
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["field"] == "cursor"
    assert body["message"] == "'cursor' belongs to another sort order"


@pytest.mark.parametrize("cursor", ["garbage!", "W10", "WyJpZCIsZmFsc2UsIngiLDFd"])
def test_a_cursor_not_issued_here_is_refused(
    client: TestClient, admin: dict[str, str], dataset: Dataset, cursor: str
) -> None:
    response = client.get("/api/data", params={"cursor": cursor}, headers=admin)
    assert response.status_code == 400
    assert response.json()["field"] == "cursor"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"sort": "colour"}, "sort"),
        ({"sort": "--id"}, "sort"),
        ({"status": "final"}, "status"),
        ({"content_type": "Shorts"}, "content_type"),
        ({"contributor": "not-an-email"}, "contributor"),
        ({"vertical": "SSC'--"}, "vertical"),
        ({"page": "2"}, "page"),
    ],
)
def test_a_parameter_out_of_its_domain_is_a_400_naming_it(
    client: TestClient, admin: dict[str, str], params: dict[str, str], field: str
) -> None:
    response = client.get("/api/data", params=params, headers=admin)
    assert response.status_code == 400
    body = response.json()
    assert (body["success"], body["field"]) == (False, field)
    assert body["error"] == body["message"]


def test_queries_need_a_token(client: TestClient) -> None:
    response = client.get("/api/data", params={"vertical": "SSC"})
    assert response.status_code == 401
    assert response.json()["message"] == "Token is missing"
