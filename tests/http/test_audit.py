"""The audit trail: every write leaves who, when and what changed; soft deletes hide an entry
everywhere until an admin restores it, with its history intact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests.factories import add_entry
from tests.http.auth_support import bearer, signed_in


def member(container: Container, role: Role) -> tuple[str, dict[str, str]]:
    email, token = signed_in(container, role)
    return email, bearer(token)


def user_id(container: Container, email: str) -> int:
    with container.db.read() as session:
        user = users_repo.get_by_email(session, email)
        assert user is not None
        return user.id


def history(client: TestClient, entry_id: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"/api/entries/{entry_id}/history", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["history"])


def moment(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def test_every_write_records_who_when_and_the_changed_fields(
    client: TestClient, container: Container
) -> None:
    (author, author_h), (editor, editor_h), (admin, admin_h) = (
        member(container, role) for role in (Role.contributor, Role.editor, Role.admin)
    )
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    entry = add_entry(client, author_h, **{"Editor Brief": "first cut"})
    updated = client.put(
        f"/api/update/{entry['id']}",
        json={"Editor Brief": "second cut", "Subject": "English"},
        headers=editor_h,
    )
    assert updated.status_code == 200, updated.text
    assert client.delete(f"/api/delete/{entry['id']}", headers=admin_h).status_code == 200
    restored = client.post(f"/api/entries/{entry['id']}/restore", headers=admin_h)
    assert restored.status_code == 200, restored.text
    finished = datetime.now(UTC) + timedelta(seconds=1)

    records = history(client, entry["id"], author_h)
    assert [r["action"] for r in records] == ["create", "update", "delete", "restore"]
    assert [r["actor_email"] for r in records] == [author, editor, admin, admin]
    assert [r["actor_id"] for r in records] == [
        user_id(container, author),
        user_id(container, editor),
        user_id(container, admin),
        user_id(container, admin),
    ]
    times = [moment(r["at"]) for r in records]
    assert times == sorted(times)
    assert started <= times[0] and times[-1] <= finished

    created = records[0]["changes"]
    assert created["Email"] == author
    assert created["Editor Brief"] == "first cut"
    assert created["Sr no."] == entry["Sr no."]
    assert created["Video Link"] == entry["Video Link"]
    assert records[1]["changes"] == {
        "Editor Brief": {"from": "first cut", "to": "second cut"},
        "Subject": {"from": "Maths", "to": "English"},
    }
    assert records[2]["changes"] == {} and records[3]["changes"] == {}


def test_a_derived_column_change_is_recorded_with_the_link_that_caused_it(
    client: TestClient, container: Container
) -> None:
    _author, headers = member(container, Role.contributor)
    entry = add_entry(client, headers)
    new_link = "https://youtube.com/shorts/zyxwvutsrqp"
    response = client.put(
        f"/api/update/{entry['id']}", json={"Video Link": new_link}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert history(client, entry["id"], headers)[-1]["changes"] == {
        "Video Link": {"from": entry["Video Link"], "to": new_link},
        "VideoId": {"from": "abcdefghijk", "to": "zyxwvutsrqp"},
    }


def test_an_update_that_changes_nothing_and_refused_writes_leave_no_record(
    client: TestClient, container: Container
) -> None:
    _author, author_h = member(container, Role.contributor)
    _other, other_h = member(container, Role.contributor)
    entry = add_entry(client, author_h, **{"Editor Brief": "same"})
    path = f"/api/update/{entry['id']}"
    assert client.put(path, json={"Editor Brief": "same"}, headers=author_h).status_code == 200
    assert client.put(path, json={"Editor Brief": "x"}, headers=other_h).status_code == 403
    assert client.delete(f"/api/delete/{entry['id']}", headers=other_h).status_code == 403
    assert client.put(path, json={"Editor Brief": "x"}).status_code == 401
    assert [r["action"] for r in history(client, entry["id"], author_h)] == ["create"]


def test_a_deleted_entry_disappears_everywhere_and_comes_back_after_an_admin_restore(
    client: TestClient, container: Container
) -> None:
    author, author_h = member(container, Role.contributor)
    _admin, admin_h = member(container, Role.admin)
    kept = add_entry(client, author_h)
    entry = add_entry(client, author_h)
    assert (
        client.put(
            f"/api/update/{entry['id']}", json={"Editor Brief": "v2"}, headers=author_h
        ).status_code
        == 200
    )
    assert client.delete(f"/api/delete/{entry['id']}", headers=author_h).status_code == 200

    def listed_ids(headers: dict[str, str]) -> list[int]:
        return [r["id"] for r in client.get("/api/data", headers=headers).json()["data"]]

    page = client.get("/api/data", params={"contributor": author}, headers=author_h).json()
    assert [r["id"] for r in page["data"]] == [kept["id"]]
    assert listed_ids(author_h) == [kept["id"]]
    assert client.get(f"/api/entries/{entry['id']}", headers=author_h).status_code == 404
    assert client.get(f"/api/entries/{entry['id']}", headers=admin_h).status_code == 404
    summary = client.get("/api/leaderboard", headers=author_h).json()["summary"]
    assert summary["totalVideos"] == 1
    # Only an admin sees the history of a deleted entry.
    hidden = client.get(f"/api/entries/{entry['id']}/history", headers=author_h)
    assert hidden.status_code == 404
    assert [r["action"] for r in history(client, entry["id"], admin_h)] == [
        "create",
        "update",
        "delete",
    ]

    restored = client.post(f"/api/entries/{entry['id']}/restore", headers=admin_h)
    assert restored.status_code == 200, restored.text
    assert restored.json()["data"]["Editor Brief"] == "v2"
    assert listed_ids(author_h) == [kept["id"], entry["id"]]
    assert client.get("/api/leaderboard", headers=author_h).json()["summary"]["totalVideos"] == 2
    back = client.get(f"/api/entries/{entry['id']}", headers=author_h)
    assert back.status_code == 200
    assert back.json()["data"]["Editor Brief"] == "v2"
    assert [r["action"] for r in history(client, entry["id"], author_h)] == [
        "create",
        "update",
        "delete",
        "restore",
    ]


def test_a_deleted_entry_cannot_be_updated_or_deleted_again(
    client: TestClient, container: Container
) -> None:
    _author, author_h = member(container, Role.contributor)
    _admin, admin_h = member(container, Role.admin)
    entry = add_entry(client, author_h)
    assert client.delete(f"/api/delete/{entry['id']}", headers=author_h).status_code == 200
    assert (
        client.put(
            f"/api/update/{entry['id']}", json={"Editor Brief": "ghost"}, headers=admin_h
        ).status_code
        == 404
    )
    assert client.delete(f"/api/delete/{entry['id']}", headers=admin_h).status_code == 404
    assert [r["action"] for r in history(client, entry["id"], admin_h)] == ["create", "delete"]
