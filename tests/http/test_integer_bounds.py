"""No integer a client sends reaches the database out of its range: every numeric query and
path parameter answers a number it cannot take with a 400 naming it, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from adda_dashboard.domain.bounds import MAX_ID

# Every list endpoint's numeric parameters (the API and the dashboard).
LIST_PARAMETERS = [
    ("/api/data", "limit"),
    ("/api/tickets", "limit"),
    ("/api/tickets", "offset"),
    ("/api/videos/list", "limit"),
    ("/api/videos/list", "offset"),
    ("/api/download-youtube/jobs", "limit"),
    ("/ui/entries", "limit"),
    ("/ui/tickets", "limit"),
    ("/ui/tickets", "offset"),
    ("/ui/videos", "page"),
    ("/ui/videos/library", "page"),
    ("/ui/admin/users", "page"),
]
# Paths whose number is a row id.
ID_PATHS = [
    "/api/entries/{}",
    "/api/entries/{}/history",
    "/ui/entries/{}/edit",
    "/ui/entries/{}/row",
]
EDGES = [0, 1, -1, MAX_ID, MAX_ID + 1, 10**9, 10**9 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1]
numbers = st.one_of(st.sampled_from(EDGES), st.integers(min_value=-(2**80), max_value=2**80))
texts = st.one_of(numbers.map(str), st.sampled_from(["1.5", "1e3", "²", "٣", " 7", "0x10", ""]))
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def assert_refused_by_name(response: Any, name: str) -> None:
    assert response.status_code == 400, (name, response.status_code, response.text[:300])
    if response.headers["content-type"].startswith("application/json"):
        assert response.json()["field"] == name
    else:
        assert name in response.text


def test_the_oversized_offset_of_the_report_is_refused(
    client: TestClient, contributor: dict[str, str]
) -> None:
    response = client.get("/api/videos/list?offset=9223372036854775808", headers=contributor)
    assert_refused_by_name(response, "offset")


@pytest.mark.parametrize(("path", "name"), LIST_PARAMETERS)
def test_a_list_answers_any_number_with_a_page_or_a_400_naming_it(
    client: TestClient, admin: dict[str, str], path: str, name: str
) -> None:
    assert client.get(path, headers=admin).status_code == 200

    @PROPERTY
    @given(value=texts)
    def check(value: str) -> None:
        response = client.get(path, params={name: value}, headers=admin)
        if response.status_code != 200:
            assert_refused_by_name(response, name)

    check()


@pytest.mark.parametrize("template", ID_PATHS)
def test_a_row_id_out_of_range_is_a_400_and_in_range_a_404(
    client: TestClient, admin: dict[str, str], template: str
) -> None:
    @PROPERTY
    @given(number=numbers)
    def check(number: int) -> None:
        response = client.get(template.format(number), headers=admin)
        if 1 <= number <= MAX_ID:
            assert response.status_code == 404, (number, response.text[:200])
        elif number >= 0:  # a negative number is no id at all: the route does not match
            assert_refused_by_name(response, "entry_id")
        else:
            assert response.status_code in (400, 404)

    check()


def test_every_integer_parameter_of_the_api_has_bounds(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    unbounded = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                kinds = [schema, *schema.get("anyOf", [])]
                for kind in kinds:
                    if kind.get("type") == "integer" and (
                        "maximum" not in kind or "minimum" not in kind
                    ):
                        unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert unbounded == []
