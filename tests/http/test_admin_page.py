"""The admin pages over HTTP (bearer tokens, as the pages also accept): what an admin sees and
changes, and that every other role is refused every admin route without changing anything."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.repositories import counters
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.http.browser_support import page_csrf, sign_in_browser

HTMX = {"HX-Request": "true"}


def user_id(container: Container, email: str) -> int:
    return next(u.id for u in container.users.list() if u.email == email)


def stored(container: Container, uid: int) -> tuple[str, bool, int]:
    with container.db.read() as session:
        user = users_repo.get_by_id(session, uid)
        assert user is not None
        return user.role, user.is_active, user.token_version


def dataset_version(container: Container) -> int:
    with container.db.read() as session:
        return counters.current(session, counters.DATASET_VERSION)


def me(client: TestClient, headers: dict[str, str]) -> str:
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["user"]["email"])


def test_an_admin_sees_health_metrics_and_the_cache_button(
    client: TestClient, admin: dict[str, str]
) -> None:
    page = client.get("/ui/admin", headers=admin)
    assert page.status_code == 200
    for part in ("Database", "Redis", "Video storage", "Job queue", "Free disk"):
        assert f'data-part="{part}"' in page.text, part
    assert re.search(r'data-part="Database">OK<', page.text)
    assert 'data-part="Redis">Not configured<' in page.text
    for label in ("Requests served", "Success rate", "Cache hit rate", "Videos stored"):
        assert label in page.text
    assert "Downloads in progress" in page.text
    assert 'hx-post="/ui/admin/cache/clear"' in page.text
    assert 'href="/ui/admin"' in page.text  # the Admin link is in the navigation


def test_a_part_that_fails_is_shown_down_and_the_whole_degraded(
    client: TestClient,
    container: Container,
    admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> int:
        raise OSError("queue file is gone")

    monkeypatch.setattr(container.queue, "pending", broken)
    page = client.get("/ui/admin", headers=admin)
    assert page.status_code == 200
    assert 'data-part="Job queue">Down<' in page.text
    assert "OSError: queue file is gone" in page.text
    assert 'data-part="overall">Degraded<' in page.text
    assert "1 part needs attention:" in page.text and "Job queue (down)" in page.text
    assert 'data-part="Database">OK<' in page.text


def test_clearing_caches_starts_a_new_dataset_version_and_says_so(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    before = dataset_version(container)
    response = client.post("/ui/admin/cache/clear", headers={**admin, **HTMX})
    assert response.status_code == 200
    assert "All caches cleared successfully" in response.text
    assert 'role="alert"' in response.text
    assert dataset_version(container) == before + 1


def test_an_admin_sees_users_with_search_and_paging(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    for n in range(30):
        factories.make_user(container, Role.viewer, email=f"pager.{n:02d}@adda247.com")
    first = client.get("/ui/admin/users", params={"q": "pager."}, headers=admin)
    assert first.status_code == 200
    assert "30 users matching" in first.text
    assert "pager.00@adda247.com" in first.text and "pager.24@adda247.com" in first.text
    assert "pager.25@adda247.com" not in first.text
    assert "page=2" in first.text and "Next" in first.text
    second = client.get(
        "/ui/admin/users",
        params={"q": "pager.", "page": "2"},
        headers={**admin, **HTMX, "HX-Target": "users-region"},
    )
    assert second.status_code == 200
    assert second.text.lstrip().startswith('<div id="users-region">')  # the region alone
    assert "pager.25@adda247.com" in second.text and "pager.00@" not in second.text
    for column in ("Email", "Username", "Role", "Access", "Last sign-in", "Created"):
        assert f'<th scope="col">{column}</th>' in first.text


def test_bad_search_input_is_said_next_to_the_field(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.get("/ui/admin/users", params={"page": "zero"}, headers=admin)
    assert response.status_code == 400
    assert 'id="page-error"' in response.text
    assert "&#39;page&#39; must be a whole number" in response.text
    response = client.get("/ui/admin/users", params={"q": "x" * 300}, headers=admin)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text and "&#39;q&#39; is too long" in response.text


def test_an_admin_changes_a_role_and_access_and_they_apply_at_once(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    email = factories.make_user(container, Role.viewer)
    headers = factories.login(client, email)
    uid = user_id(container, email)
    response = client.post(
        f"/ui/admin/users/{uid}/role", data={"role": "editor"}, headers={**admin, **HTMX}
    )
    assert response.status_code == 200
    assert '<option value="editor" selected>' in response.text
    assert f"{email} is now editor." in response.text and 'hx-swap-oob="innerHTML"' in response.text
    assert stored(container, uid)[0] == "editor"
    assert client.get("/api/auth/me", headers=headers).json()["user"]["role"] == "editor"

    response = client.post(
        f"/ui/admin/users/{uid}/active", data={"active": "false"}, headers={**admin, **HTMX}
    )
    assert response.status_code == 200
    assert "Deactivated" in response.text and re.search(r">\s*Activate<", response.text)
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert client.get("/ui/", headers=headers, follow_redirects=False).status_code == 303

    response = client.post(
        f"/ui/admin/users/{uid}/active", data={"active": "true"}, headers={**admin, **HTMX}
    )
    assert response.status_code == 200
    assert client.get("/api/auth/me", headers=headers).status_code == 401  # still revoked
    assert me(client, factories.login(client, email)) == email


def test_a_refused_or_bad_change_shows_the_stored_row_with_the_reason(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    own = user_id(container, me(client, admin))
    response = client.post(
        f"/ui/admin/users/{own}/role", data={"role": "viewer"}, headers={**admin, **HTMX}
    )
    assert response.status_code == 403
    assert "You cannot change your own role" in response.text
    assert '<option value="admin" selected>' in response.text  # the stored role, not the choice
    assert f'id="role-{own}-error"' in response.text
    response = client.post(
        f"/ui/admin/users/{own}/active", data={"active": "false"}, headers={**admin, **HTMX}
    )
    assert response.status_code == 403
    assert "You cannot deactivate your own account" in response.text
    assert stored(container, own)[:2] == ("admin", True)

    email = factories.make_user(container, Role.contributor)
    uid = user_id(container, email)
    before = stored(container, uid)
    response = client.post(
        f"/ui/admin/users/{uid}/role", data={"role": "owner"}, headers={**admin, **HTMX}
    )
    assert response.status_code == 400
    assert "&#39;role&#39; must be one of" in response.text
    assert '<option value="contributor" selected>' in response.text
    response = client.post(
        f"/ui/admin/users/{uid}/role", content=b'{"role": "admin"}', headers={**admin, **HTMX}
    )
    assert response.status_code == 400 and "Expected a form post" in response.text
    assert stored(container, uid) == before
    missing = client.post(
        "/ui/admin/users/987654/role", data={"role": "viewer"}, headers={**admin, **HTMX}
    )
    assert missing.status_code == 404
    assert missing.headers["HX-Retarget"] == "#flash"


def _sign_up(client: TestClient, email: str) -> None:
    """A password sign-up, its address unconfirmed (no mail server: the link is only logged)."""
    response = client.post(
        "/api/auth/signup",
        json={
            "username": email.split("@")[0],
            "email": email,
            "password": factories.PASSWORD,
            "confirm_password": factories.PASSWORD,
        },
    )
    assert response.status_code == 201, response.text


def test_an_admin_confirms_an_address_by_hand_from_the_users_page(
    client: TestClient, container: Container, admin: dict[str, str]
) -> None:
    email = "no.mail.server@adda247.com"
    _sign_up(client, email)
    uid = user_id(container, email)
    page = client.get("/ui/admin/users", params={"q": "no.mail"}, headers=admin)
    assert "Email unconfirmed" in page.text
    assert f'hx-post="/ui/admin/users/{uid}/verify-email"' in page.text
    assert (
        client.post(
            "/api/auth/login", json={"email": email, "password": factories.PASSWORD}
        ).status_code
        == 401
    )

    response = client.post(f"/ui/admin/users/{uid}/verify-email", headers={**admin, **HTMX})
    assert response.status_code == 200, response.text
    assert f"{email} is confirmed and can sign in." in response.text
    assert "Email unconfirmed" not in response.text and "verify-email" not in response.text
    assert me(client, factories.login(client, email)) == email
    verified_page = client.get("/ui/admin/users", params={"q": "no.mail"}, headers=admin)
    assert "Email unconfirmed" not in verified_page.text


def test_confirming_by_hand_needs_the_pages_anti_forgery_token(
    client: TestClient, container: Container
) -> None:
    sign_in_browser(client, container, Role.admin)  # the session cookie, as a browser has it
    email = "forged.confirm@adda247.com"
    _sign_up(client, email)
    uid = user_id(container, email)
    forged = client.post(f"/ui/admin/users/{uid}/verify-email", headers=HTMX)
    assert forged.status_code == 403
    assert next(u for u in container.users.list() if u.id == uid).email_verified is False
    genuine = client.post(
        f"/ui/admin/users/{uid}/verify-email",
        headers={**HTMX, "X-CSRF-Token": page_csrf(client, "/ui/admin/users")},
    )
    assert genuine.status_code == 200, genuine.text
    assert next(u for u in container.users.list() if u.id == uid).email_verified is True


@pytest.mark.parametrize("role", ["editor", "contributor", "viewer"])
def test_every_admin_route_refuses_other_roles_and_changes_nothing(
    client: TestClient, container: Container, role: str, request: pytest.FixtureRequest
) -> None:
    headers: dict[str, str] = request.getfixturevalue(role)
    own = user_id(container, me(client, headers))
    target = user_id(container, factories.make_user(container, Role.viewer))
    users_before = {uid: stored(container, uid) for uid in (own, target)}
    version_before = dataset_version(container)
    reads = ["/ui/admin", "/ui/admin/users", "/ui/admin/users?q=a&page=2", "/ui/admin/users?page=x"]
    for path in reads:
        response = client.get(path, headers=headers)
        assert response.status_code == 403, path
        assert "Not allowed" in response.text and "Only an admin may" in response.text
    writes = [
        ("/ui/admin/cache/clear", {}),
        (f"/ui/admin/users/{target}/role", {"role": "admin"}),
        (f"/ui/admin/users/{own}/role", {"role": "admin"}),
        (f"/ui/admin/users/{target}/role", {"role": "no such role"}),
        (f"/ui/admin/users/{target}/active", {"active": "false"}),
        (f"/ui/admin/users/{own}/active", {"active": "true"}),
        ("/ui/admin/users/987654/active", {"active": "false"}),
        (f"/ui/admin/users/{target}/verify-email", {}),
    ]
    for path, form in writes:
        for extra in ({}, HTMX):
            response = client.post(path, data=form, headers={**headers, **extra})
            assert response.status_code == 403, (path, extra)
            assert "Only an admin may" in response.text
            if extra:
                assert response.headers["HX-Retarget"] == "#flash"
                assert "<tr" not in response.text  # no row of anyone is shown
    assert {uid: stored(container, uid) for uid in (own, target)} == users_before
    assert dataset_version(container) == version_before
    page = client.get("/ui/", headers=headers)
    assert 'href="/ui/admin"' not in page.text


def test_signed_out_requests_go_to_sign_in(client: TestClient) -> None:
    for path in ("/ui/admin", "/ui/admin/users"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/ui/login?next=")
