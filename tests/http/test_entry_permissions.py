"""Object-level permissions: who may change whose entry, by every route that changes one.

A contributor writes only under their own email and changes only their own entries; an editor
edits anyone's and may credit another address, but deletes only their own; whoever may delete an
entry may restore it, so an admin deletes and restores any; a viewer only reads. Every refusal is
a 403 that leaves the stored row alone.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import SYSTEM, Role
from tests.factories import add_entry, valid_entry
from tests.http.auth_support import bearer, signed_in

Member = tuple[str, dict[str, str]]  # (email, Authorization header)


def member(container: Container, role: Role) -> Member:
    email, token = signed_in(container, role)
    return email, bearer(token)


@pytest.fixture
def alice(container: Container) -> Member:
    return member(container, Role.contributor)


@pytest.fixture
def bob(container: Container) -> Member:
    return member(container, Role.contributor)


def stored(container: Container, entry_id: int) -> dict[str, Any] | None:
    """The live entry as stored, or None when it is deleted or absent."""
    for record in container.entries.legacy_list()["data"]:
        if record["id"] == entry_id:
            return dict(record)
    return None


def history_actions(container: Container, entry_id: int) -> list[str]:
    return [h["action"] for h in container.entries.history(SYSTEM, entry_id)]


# A contributor and someone else's entry ---------------------------------------------------------


def test_contributor_cannot_update_another_contributors_entry(
    client: TestClient, container: Container, alice: Member, bob: Member
) -> None:
    entry = add_entry(client, bob[1])
    response = client.put(
        f"/api/update/{entry['id']}", json={"Editor Brief": "mine now"}, headers=alice[1]
    )
    assert response.status_code == 403
    assert response.json()["success"] is False
    assert stored(container, entry["id"]) == entry
    assert history_actions(container, entry["id"]) == ["create"]


def test_contributor_cannot_update_another_contributors_entry_with_its_whole_record(
    client: TestClient, container: Container, alice: Member, bob: Member
) -> None:
    """The frontend sends the whole record back, owner's email included: still refused."""
    entry = add_entry(client, bob[1])
    response = client.put(
        f"/api/update/{entry['id']}", json={**entry, "Editor Brief": "mine now"}, headers=alice[1]
    )
    assert response.status_code == 403
    assert stored(container, entry["id"]) == entry


def test_contributor_cannot_take_over_another_contributors_entry_by_crediting_themselves(
    client: TestClient, container: Container, alice: Member, bob: Member
) -> None:
    entry = add_entry(client, bob[1])
    response = client.put(f"/api/update/{entry['id']}", json={"Email": alice[0]}, headers=alice[1])
    assert response.status_code == 403
    assert stored(container, entry["id"]) == entry


def test_contributor_cannot_delete_another_contributors_entry(
    client: TestClient, container: Container, alice: Member, bob: Member
) -> None:
    entry = add_entry(client, bob[1])
    response = client.delete(f"/api/delete/{entry['id']}", headers=alice[1])
    assert response.status_code == 403
    assert stored(container, entry["id"]) == entry
    assert history_actions(container, entry["id"]) == ["create"]


def test_contributor_cannot_restore_another_contributors_entry(
    client: TestClient, container: Container, alice: Member, bob: Member
) -> None:
    entry = add_entry(client, bob[1])
    assert client.delete(f"/api/delete/{entry['id']}", headers=bob[1]).status_code == 200
    response = client.post(f"/api/entries/{entry['id']}/restore", headers=alice[1])
    assert response.status_code == 403
    assert stored(container, entry["id"]) is None
    assert history_actions(container, entry["id"]) == ["create", "delete"]


def test_contributor_can_restore_their_own_deleted_entry(
    client: TestClient, container: Container, bob: Member
) -> None:
    """Whoever may delete an entry may undo that delete."""
    entry = add_entry(client, bob[1])
    assert client.delete(f"/api/delete/{entry['id']}", headers=bob[1]).status_code == 200
    response = client.post(f"/api/entries/{entry['id']}/restore", headers=bob[1])
    assert response.status_code == 200, response.text
    restored = stored(container, entry["id"])
    assert restored is not None
    assert {k: v for k, v in restored.items() if k != "version"} == {
        k: v for k, v in entry.items() if k != "version"
    }
    assert history_actions(container, entry["id"]) == ["create", "delete", "restore"]


# Mass assignment of the owner's email ----------------------------------------------------------


def test_contributor_cannot_add_an_entry_under_another_contributors_email(
    client: TestClient, container: Container, alice: Member, bob: Member
) -> None:
    response = client.post("/api/add", json=valid_entry(Email=bob[0]), headers=alice[1])
    assert response.status_code == 403
    assert response.json()["field"] == "Email"
    assert container.entries.legacy_list()["count"] == 0


def test_contributor_cannot_credit_their_own_entry_to_another_contributor(
    client: TestClient, container: Container, alice: Member, bob: Member
) -> None:
    entry = add_entry(client, alice[1])
    response = client.put(
        f"/api/update/{entry['id']}",
        json={"Email": bob[0], "Editor Brief": "slipped in"},
        headers=alice[1],
    )
    assert response.status_code == 403
    assert response.json()["field"] == "Email"
    assert stored(container, entry["id"]) == entry


def test_contributor_may_name_their_own_email_in_any_case(
    client: TestClient, container: Container, alice: Member
) -> None:
    entry = add_entry(client, alice[1], Email=alice[0].upper())
    assert entry["Email"] == alice[0]


def test_an_entry_without_email_is_credited_to_its_author(
    client: TestClient, alice: Member
) -> None:
    assert add_entry(client, alice[1], Email="")["Email"] == alice[0]


# A contributor and their own entry --------------------------------------------------------------


def test_contributor_can_edit_and_delete_their_own_entry(
    client: TestClient, container: Container, alice: Member
) -> None:
    entry = add_entry(client, alice[1])
    response = client.put(
        f"/api/update/{entry['id']}", json={"Editor Brief": "tighter cut"}, headers=alice[1]
    )
    assert response.status_code == 200
    assert stored(container, entry["id"])["Editor Brief"] == "tighter cut"  # type: ignore[index]
    assert client.delete(f"/api/delete/{entry['id']}", headers=alice[1]).status_code == 200
    assert stored(container, entry["id"]) is None


# Editors ---------------------------------------------------------------------------------------


def test_editor_can_edit_anyones_entry_and_credit_another_email(
    client: TestClient, container: Container, alice: Member, bob: Member
) -> None:
    editor = member(container, Role.editor)
    entry = add_entry(client, alice[1])
    response = client.put(
        f"/api/update/{entry['id']}",
        json={"Editor Brief": "recut", "Email": bob[0]},
        headers=editor[1],
    )
    assert response.status_code == 200, response.text
    after = stored(container, entry["id"])
    assert after is not None
    assert (after["Editor Brief"], after["Email"]) == ("recut", bob[0])


def test_editor_can_add_an_entry_credited_to_a_contributor(
    client: TestClient, container: Container, alice: Member
) -> None:
    editor = member(container, Role.editor)
    assert add_entry(client, editor[1], Email=alice[0])["Email"] == alice[0]


def test_editor_cannot_delete_another_contributors_entry_but_can_delete_their_own(
    client: TestClient, container: Container, alice: Member
) -> None:
    editor = member(container, Role.editor)
    theirs = add_entry(client, alice[1])
    own = add_entry(client, editor[1])
    assert client.delete(f"/api/delete/{theirs['id']}", headers=editor[1]).status_code == 403
    assert stored(container, theirs["id"]) == theirs
    assert client.delete(f"/api/delete/{own['id']}", headers=editor[1]).status_code == 200


def test_editor_cannot_restore_another_contributors_entry_but_can_restore_their_own(
    client: TestClient, container: Container, alice: Member
) -> None:
    editor = member(container, Role.editor)
    entry = add_entry(client, alice[1])
    own = add_entry(client, editor[1])
    assert client.delete(f"/api/delete/{entry['id']}", headers=alice[1]).status_code == 200
    assert client.delete(f"/api/delete/{own['id']}", headers=editor[1]).status_code == 200
    assert client.post(f"/api/entries/{entry['id']}/restore", headers=editor[1]).status_code == 403
    assert stored(container, entry["id"]) is None
    assert client.post(f"/api/entries/{own['id']}/restore", headers=editor[1]).status_code == 200
    assert stored(container, own["id"]) is not None


# Admins ----------------------------------------------------------------------------------------


def test_admin_can_delete_any_entry_and_restore_it(
    client: TestClient, container: Container, alice: Member
) -> None:
    admin = member(container, Role.admin)
    entry = add_entry(client, alice[1])
    assert client.delete(f"/api/delete/{entry['id']}", headers=admin[1]).status_code == 200
    assert stored(container, entry["id"]) is None
    response = client.post(f"/api/entries/{entry['id']}/restore", headers=admin[1])
    assert response.status_code == 200, response.text
    restored = stored(container, entry["id"])
    assert restored is not None
    assert {k: v for k, v in restored.items() if k != "version"} == {
        k: v for k, v in entry.items() if k != "version"
    }


def test_restoring_a_live_entry_is_404(
    client: TestClient, container: Container, alice: Member
) -> None:
    admin = member(container, Role.admin)
    entry = add_entry(client, alice[1])
    response = client.post(f"/api/entries/{entry['id']}/restore", headers=admin[1])
    assert response.status_code == 404
    assert stored(container, entry["id"]) == entry


# Viewers ---------------------------------------------------------------------------------------


def test_viewer_can_read_but_not_write(
    client: TestClient, container: Container, alice: Member
) -> None:
    viewer = member(container, Role.viewer)
    entry = add_entry(client, alice[1])
    path = f"/api/entries/{entry['id']}"
    assert client.get("/api/data", headers=viewer[1]).json()["count"] == 1
    assert client.get(path, headers=viewer[1]).json()["data"] == entry
    assert client.get(f"{path}/history", headers=viewer[1]).status_code == 200
    refused = [
        client.post("/api/add", json=valid_entry(), headers=viewer[1]),
        client.post("/api/add", json=valid_entry(Email=viewer[0]), headers=viewer[1]),
        client.put(f"/api/update/{entry['id']}", json={"Editor Brief": "x"}, headers=viewer[1]),
        client.delete(f"/api/delete/{entry['id']}", headers=viewer[1]),
        client.post(f"{path}/restore", headers=viewer[1]),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert container.entries.legacy_list()["data"] == [entry]
