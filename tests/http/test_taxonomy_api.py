"""/api/exams and /api/categories: the packaged taxonomy, served from the database in the order
the original's Flask served it (keys sorted), behind a token."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from starlette.testclient import TestClient

# API.md A.3: the order the frontend's vertical dropdown shows.
SERVED_VERTICALS = [
    "Agriculture",
    "Bank Post",
    "Bank Pre",
    "Odia",
    "Police",
    "Punjab",
    "Railway",
    "SSC",
    "Spoken English",
    "Tamil",
    "Telugu",
    "bengal",
    "bihar",
    "teaching",
    "ugc",
]
SERVED_CATEGORIES = [
    "Classroom Moments",
    "Conceptual Insights",
    "Exam Life Situations",
    "Exam Pattern",
    "Motivational Shorts",
    "PYQs / Practice Questions",
    "Preparation Strategy",
    "Science / GK Facts",
    "Study Plan",
    "Syllabus Overview",
    "Tips & Tricks / Shortcuts",
]


def packaged(section: str) -> dict[str, Any]:
    """A section of the shipped taxonomy.json, keys in file order."""
    text = resources.files("adda_dashboard").joinpath("data/taxonomy.json").read_text("utf-8")
    return json.loads(text)[section]


def test_exams_are_the_taxonomy_exactly_in_served_order(
    client: TestClient, contributor: dict[str, str]
) -> None:
    response = client.get("/api/exams", headers=contributor)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "exams"]
    assert body["success"] is True
    assert body["exams"] == packaged("exams")
    assert list(body["exams"]) == SERVED_VERTICALS
    for vertical, lists in body["exams"].items():
        assert list(lists) == ["exams", "subjects"], vertical
    assert body["exams"]["Spoken English"] == {"exams": ["All"], "subjects": ["English"]}
    assert body["exams"]["Railway"] == {
        "exams": ["RRB NTPC", "ALP", "Group D", "RPF"],
        "subjects": ["Other", "Current Affairs", "GK/GS", "Maths", "Reasoning", "Science"],
    }


def test_categories_are_the_taxonomy_exactly_in_served_order(
    client: TestClient, contributor: dict[str, str]
) -> None:
    response = client.get("/api/categories", headers=contributor)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "categories"]
    assert body["success"] is True
    assert body["categories"] == packaged("categories")
    assert list(body["categories"]) == SERVED_CATEGORIES


def test_every_role_may_read_the_taxonomy(
    client: TestClient, viewer: dict[str, str], admin: dict[str, str]
) -> None:
    for headers in (viewer, admin):
        assert client.get("/api/exams", headers=headers).json()["exams"] == packaged("exams")
        assert client.get("/api/categories", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/api/exams", "/api/categories"])
def test_taxonomy_needs_a_token(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False
    assert body["message"] == body["error"] == "Token is missing"


@pytest.mark.parametrize("path", ["/api/exams", "/api/categories"])
def test_taxonomy_refuses_a_forged_token(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid token"
