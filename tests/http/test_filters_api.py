"""/api/filters: sorted distinct non-empty values of live Final entries.

The original read ``types`` from a ``Content Type`` key the sheet does not have, so it was always
empty (C12); here it comes from ``Type of Content``. Re-edit and deleted entries never contribute.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from adda_dashboard.app import create_app
from adda_dashboard.db import migrate
from adda_dashboard.domain.roles import SYSTEM, Role
from tests.backends import POSTGRES_ADMIN_URL, require_postgres
from tests.factories import add_entry, reedit_entry, valid_entry
from tests.http.auth_support import headers_of, own_container

EMPTY = {"success": True, "filters": {"types": [], "subcategories": [], "subjects": []}}


def exam_info(**overrides: str) -> dict[str, str]:
    """A Final entry with no subject and no sub category (allowed outside Content)."""
    return {"Type of Content": "Exam_Information", "Subject": "", "Sub category": "", **overrides}


def test_no_entries_give_empty_lists(client: TestClient, contributor: dict[str, str]) -> None:
    response = client.get("/api/filters", headers=contributor)
    assert response.status_code == 200
    assert response.json() == EMPTY


def test_filters_list_sorted_distinct_values_of_live_final_entries_only(
    client: TestClient, admin: dict[str, str]
) -> None:
    add_entry(client, admin, **{"Subject": "Maths", "Sub category": "Question"})
    add_entry(client, admin, **{"Subject": "Maths", "Sub category": "Question"})
    add_entry(
        client,
        admin,
        **{
            "Vertical Name": "Teaching",
            "Exam Name": "CTET",
            "Subject": "English",
            "Sub category": "Topic/Facts",
        },
    )
    add_entry(client, admin, **exam_info(**{"Sub category": "Syllabus Overview"}))
    add_entry(client, admin, **exam_info())  # blank subject and sub category: not listed
    # Values that appear only on Re-edit or deleted entries must not be listed.
    reedit = reedit_entry(
        **{
            "Type of Content": "Motivational_or_Fun",
            "Subject": "Science",
            "Sub category": "Classroom Moments",
        }
    )
    assert client.post("/api/add", json=reedit, headers=admin).status_code == 200
    gone = add_entry(
        client,
        admin,
        **{
            "Subject": "Reasoning",
            "Sub category": "Tricks & Formulas",
            "Type of Content": "Content",
        },
    )
    gone_too = add_entry(client, admin, **exam_info(**{"Type of Content": "Motivational_or_Fun"}))
    for entry in (gone, gone_too):
        assert client.delete(f"/api/delete/{entry['id']}", headers=admin).status_code == 200

    response = client.get("/api/filters", headers=admin)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "filters": {
            "types": ["Content", "Exam_Information"],
            "subcategories": ["Question", "Syllabus Overview", "Topic/Facts"],
            "subjects": ["English", "Maths"],
        },
    }


def test_types_come_from_type_of_content(client: TestClient, admin: dict[str, str]) -> None:
    add_entry(client, admin, **exam_info(**{"Type of Content": "Motivational_or_Fun"}))
    body = client.get("/api/filters", headers=admin).json()
    assert body["filters"]["types"] == ["Motivational_or_Fun"]


def test_filters_follow_writes_and_deletes(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get("/api/filters", headers=admin).json() == EMPTY
    entry = add_entry(client, admin)
    assert client.get("/api/filters", headers=admin).json()["filters"]["subjects"] == ["Maths"]
    client.put(f"/api/update/{entry['id']}", json={"Subject": "English"}, headers=admin)
    assert client.get("/api/filters", headers=admin).json()["filters"]["subjects"] == ["English"]
    client.delete(f"/api/delete/{entry['id']}", headers=admin)
    assert client.get("/api/filters", headers=admin).json() == EMPTY


def test_filters_need_a_token(client: TestClient) -> None:
    response = client.get("/api/filters")
    assert response.status_code == 401
    assert response.json()["message"] == "Token is missing"


# Sorting is by code point, as Python's sorted() in the original, whatever the database's collation.


@pytest.fixture
def language_collated_url(tmp_path: Path) -> Iterator[str]:
    """A migrated PostgreSQL database whose default collation is ICU English, where ``ORDER BY``
    puts ``General Studies`` before ``GK/GS`` (the C collation and Python do the opposite)."""
    require_postgres()
    name = f"adda_icu_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
            )
        )
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_values_are_sorted_by_code_point_under_any_database_collation(
    language_collated_url: str, tmp_path: Path
) -> None:
    with own_container(language_collated_url, tmp_path) as container:
        for overrides in (
            {"Subject": "GK/GS", "Sub category": "Topic/Facts"},
            {"Vertical Name": "Teaching", "Exam Name": "CTET", "Subject": "General Studies"},
            {"Subject": "English", "Sub category": "Tricks & Formulas"},
        ):
            container.entries.add(SYSTEM, valid_entry(**{"Email": "a@adda247.com", **overrides}))
        headers = headers_of(container, Role.viewer)
        with TestClient(create_app(container=container)) as client:
            filters = client.get("/api/filters", headers=headers).json()["filters"]
    assert filters["subjects"] == sorted(["English", "GK/GS", "General Studies"])
    assert filters["subjects"] == ["English", "GK/GS", "General Studies"]
    assert filters["subcategories"] == ["Question", "Topic/Facts", "Tricks & Formulas"]
