"""The admin pages in a real browser: health at a glance, clearing caches, changing a user's role
and access from the table, and the refusal every other role meets (links, pages and forged
posts alike)."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import expect

from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests import factories
from tests.e2e.conftest import api_token, make_user, shoot


def stored(container, email: str) -> tuple[int, str, bool]:
    with container.db.read() as session:
        user = users_repo.get_by_email(session, email)
        assert user is not None
        return user.id, user.role, user.is_active


def test_an_admin_sees_health_and_clears_caches(signed_in):
    page, _email = signed_in(Role.admin)
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()
    health = page.get_by_role("table")
    for part in ("Database", "Redis", "Video storage", "Job queue", "Free disk"):
        expect(health.get_by_role("rowheader", name=part)).to_be_visible()
    expect(page.locator('[data-part="Database"]')).to_have_text("OK")
    expect(page.get_by_text("Requests served")).to_be_visible()
    expect(page.get_by_text("Downloads in progress")).to_be_visible()
    page.get_by_role("button", name="Clear caches").click()
    confirmation = page.locator("#flash [role=alert]")
    expect(confirmation).to_contain_text("All caches cleared successfully")
    expect(confirmation).to_be_focused()  # announced to screen readers
    shoot(page, "admin")


def test_an_admin_changes_a_role_in_the_table_and_it_persists(signed_in, e2e_container):
    page, _admin = signed_in(Role.admin)
    email = make_user(e2e_container, Role.viewer)
    page.goto("/ui/admin")
    page.get_by_role("link", name="Manage users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_label("Search by email or username").fill(email)
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/ui/admin/users\?q="))
    expect(page.locator("#users-count")).to_contain_text("1 user matching")
    select = page.get_by_label(f"Role of {email}")
    select.focus()
    select.select_option("editor")
    expect(page.locator("#flash")).to_contain_text(f"{email} is now editor.")
    # The row came back from the server; keyboard focus stays on the control.
    expect(page.get_by_label(f"Role of {email}")).to_be_focused()
    assert stored(e2e_container, email)[1] == "editor"
    shoot(page, "admin-users")
    page.reload()
    expect(page.get_by_label(f"Role of {email}")).to_have_value("editor")


def test_an_admin_deactivates_a_user_whose_token_stops_working(signed_in, e2e_container, base_url):
    page, _admin = signed_in(Role.admin)
    email = make_user(e2e_container, Role.contributor)
    token = api_token(base_url, email)
    me = f"{base_url}/api/auth/me"
    assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page.goto(f"/ui/admin/users?q={email}")
    row = page.locator(f'tr[data-email="{email}"]')
    row.get_by_role("button", name=f"Deactivate {email}").click()
    expect(row.get_by_text("Deactivated")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("deactivated and signed out everywhere")
    assert stored(e2e_container, email)[2] is False
    assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    row.get_by_role("button", name=f"Activate {email}").click()
    expect(row.get_by_text("Active", exact=True)).to_be_visible()
    assert stored(e2e_container, email)[2] is True


def test_an_admin_cannot_demote_themselves_from_the_table(signed_in):
    page, email = signed_in(Role.admin)
    page.goto(f"/ui/admin/users?q={email}")
    expect(page.get_by_label(f"Role of {email}")).to_be_disabled()
    expect(page.get_by_text("Only another admin can change your own role")).to_be_visible()


def test_the_admin_pages_fit_a_phone(signed_in, e2e_container):
    page, _admin = signed_in(Role.admin, phone=True)
    tag = uuid.uuid4().hex[:8]
    for n in range(3):
        factories.make_user(e2e_container, Role.viewer, email=f"phone.{tag}.{n}@adda247.com")
    for path in ("/ui/admin", f"/ui/admin/users?q=phone.{tag}"):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        if "users" in path:
            expect(page.locator("tbody tr")).to_have_count(3)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)


def test_a_viewer_is_refused_the_admin_pages_and_forged_posts(signed_in, e2e_container):
    page, email = signed_in(Role.viewer)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    own_id, role_before, _active = stored(e2e_container, email)
    csrf = page.locator("body").get_attribute("data-csrf")
    assert csrf

    response = page.goto("/ui/admin")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Only an admin may")).to_be_visible()
    shoot(page, "admin-refused")

    forged = page.request.post(
        f"/ui/admin/users/{own_id}/role",
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
        form={"role": "admin"},
    )
    assert forged.status == 403
    assert "Only an admin may" in forged.text()
    cleared = page.request.post(
        "/ui/admin/cache/clear", headers={"X-CSRF-Token": csrf, "HX-Request": "true"}
    )
    assert cleared.status == 403
    assert stored(e2e_container, email)[1] == role_before == "viewer"
