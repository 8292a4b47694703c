"""The legacy entry endpoints: shapes, routing, stable ids and optimistic concurrency."""

from __future__ import annotations

from starlette.testclient import TestClient

from adda_dashboard.domain import columns as c
from tests.factories import add_entry, reedit_entry, valid_entry


def test_empty_data_has_the_legacy_shape(client: TestClient, contributor: dict[str, str]) -> None:
    response = client.get("/api/data", headers=contributor)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": [],
        "count": 0,
        "finalCount": 0,
        "reEditCount": 0,
    }


def test_final_and_reedit_rows_are_listed_main_first_with_their_tab_columns(
    client: TestClient, contributor: dict[str, str]
) -> None:
    reedit = client.post("/api/add", json=reedit_entry(), headers=contributor)
    final = client.post("/api/add", json=valid_entry(), headers=contributor)
    assert reedit.json()["message"] == "Re-edit entry added successfully to re-edit sheet"
    assert final.json()["message"] == "Row added successfully to main sheet"

    body = client.get("/api/data", headers=contributor).json()
    assert (body["count"], body["finalCount"], body["reEditCount"]) == (2, 1, 1)
    first, second = body["data"]
    assert first["Edit"] == "Final" and second["Edit"] == "Re-edit"
    assert list(first) == [*c.MAIN_COLUMNS, "id", "version"]
    assert list(second) == [*c.REEDIT_COLUMNS, "id", "version"]
    assert second["VideoId"] == "1AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def test_server_assigns_serial_numbers_ignoring_the_clients(
    client: TestClient, contributor: dict[str, str]
) -> None:
    first = add_entry(client, contributor, **{"Sr no.": "77"})
    second = add_entry(client, contributor, **{"Sr no.": "77"})
    assert (first["Sr no."], second["Sr no."]) == ("1", "2")


def test_update_changes_only_the_given_columns_and_bumps_the_version(
    client: TestClient, contributor: dict[str, str]
) -> None:
    entry = add_entry(client, contributor, **{"Editor Brief": "keep me"})
    response = client.put(
        f"/api/update/{entry['id']}",
        json={"Final Edited Link": "https://x.test/v"},
        headers=contributor,
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Row updated successfully"
    stored = client.get("/api/data", headers=contributor).json()["data"][0]
    assert stored["Editor Brief"] == "keep me"
    assert stored["Final Edited Link"] == "https://x.test/v"
    assert stored["version"] == entry["version"] + 1


def test_stale_version_is_refused_and_nothing_changes(
    client: TestClient, contributor: dict[str, str]
) -> None:
    entry = add_entry(client, contributor)
    ok = client.put(
        f"/api/update/{entry['id']}", json={**entry, "Editor Brief": "first"}, headers=contributor
    )
    assert ok.status_code == 200
    stale = client.put(
        f"/api/update/{entry['id']}", json={**entry, "Editor Brief": "second"}, headers=contributor
    )
    assert stale.status_code == 409
    assert stale.json()["field"] == "version"
    assert stale.json()["current"]["Editor Brief"] == "first"
    header = client.put(
        f"/api/update/{entry['id']}",
        json={"Editor Brief": "third"},
        headers={**contributor, "If-Match": '"1"'},
    )
    assert header.status_code == 412
    assert client.get("/api/data", headers=contributor).json()["data"][0]["Editor Brief"] == "first"


def test_update_refuses_a_body_naming_another_entry(
    client: TestClient, contributor: dict[str, str]
) -> None:
    a = add_entry(client, contributor)
    b = add_entry(client, contributor)
    response = client.put(
        f"/api/update/{a['id']}", json={**b, "Editor Brief": "x"}, headers=contributor
    )
    assert response.status_code == 409
    assert response.json()["field"] == "id"
    data = client.get("/api/data", headers=contributor).json()["data"]
    assert [d["Editor Brief"] for d in data] == ["", ""]


def test_delete_addresses_the_id_not_a_position(
    client: TestClient, contributor: dict[str, str]
) -> None:
    a, b, d = (add_entry(client, contributor) for _ in range(3))
    assert client.delete(f"/api/delete/{b['id']}", headers=contributor).json() == {
        "success": True,
        "message": "Row deleted successfully",
        "id": b["id"],
    }
    ids = [r["id"] for r in client.get("/api/data", headers=contributor).json()["data"]]
    assert ids == [a["id"], d["id"]]
    assert client.delete(f"/api/delete/{b['id']}", headers=contributor).status_code == 404


def test_unknown_and_malformed_ids(client: TestClient, contributor: dict[str, str]) -> None:
    for path in ("/api/update/999", "/api/delete/999"):
        method = client.put if "update" in path else client.delete
        kwargs = {"json": {"Editor Brief": "x"}} if "update" in path else {}
        response = method(path, headers=contributor, **kwargs)
        assert response.status_code == 404
        assert response.json()["field"] == "id"
    for bad in ("abc", "-1", "0", "1.5", "99999999999999999999"):
        response = client.delete(f"/api/delete/{bad}", headers=contributor)
        assert response.status_code == 400, bad
        assert response.json()["field"] == "entry_id"


def test_a_cached_filtered_page_reflects_the_very_next_write(
    client: TestClient, contributor: dict[str, str]
) -> None:
    add_entry(client, contributor)
    first = client.get("/api/data?vertical=SSC&limit=10", headers=contributor)
    assert first.json()["total"] == 1
    again = client.get(
        "/api/data?limit=10&vertical=SSC",  # same query, other order: same cached answer
        headers={**contributor, "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    add_entry(client, contributor)
    after = client.get(
        "/api/data?vertical=SSC&limit=10",
        headers={**contributor, "If-None-Match": first.headers["etag"]},
    )
    assert after.status_code == 200
    assert after.json()["total"] == 2
