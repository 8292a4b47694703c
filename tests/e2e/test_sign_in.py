"""Signing in and out of the dashboard, and what a signed-out browser is shown."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests.e2e.conftest import make_user, shoot, sign_in


def test_a_browser_is_sent_from_the_root_to_the_sign_in_page(page, base_url):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shoot(page, "sign-in")
    # The contract's JSON answer is unchanged for clients that ask for JSON.
    answer = httpx.get(f"{base_url}/", headers={"Accept": "application/json"}, timeout=10)
    assert answer.json()["message"] == "Adda Education Dashboard API"


def test_signing_in_lands_on_the_overview_and_signing_out_ends_the_session(page, e2e_container):
    email = make_user(e2e_container, Role.editor)
    sign_in(page, email)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/ui/login"))
    page.goto("/ui/")
    expect(page).to_have_url(re.compile(r"/ui/login\?next="))


def test_a_wrong_password_is_said_next_to_the_field(page, e2e_container):
    email = make_user(e2e_container, Role.viewer)
    sign_in_attempt = page.goto("/ui/login")
    assert sign_in_attempt is not None
    page.get_by_label("Email or username").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".field-error")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    shoot(page, "sign-in-error")


def test_signing_up_asks_to_confirm_the_address_before_signing_in(page):
    page.goto("/ui/signup")
    page.get_by_label("Username").fill("newcomer.e2e")
    page.get_by_label("Email", exact=True).fill("newcomer.e2e@adda247.com")
    page.get_by_label("Password", exact=True).fill("a long enough password 1")
    page.get_by_label("Confirm password").fill("a long enough password 1")
    shoot(page, "sign-up")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    shoot(page, "sign-up-check-email")
    page.get_by_role("link", name="Go to sign in").click()
    page.get_by_label("Email or username").fill("newcomer.e2e@adda247.com")
    page.get_by_label("Password").fill("a long enough password 1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("a link was sent to newcomer.e2e@adda247.com")).to_be_visible()
    expect(page.get_by_role("button", name="Send a new link")).to_be_visible()


def test_the_emailed_link_confirms_with_the_password_chosen_at_sign_up(page, e2e_container):
    email, password = "linked.e2e@adda247.com", "a long enough password 2"
    page.goto("/ui/signup")
    page.get_by_label("Username").fill("linked.e2e")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Confirm password").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    # The server mails to its log; a newer link of the same account, as "send a new link" makes.
    with e2e_container.db.write() as session:
        user = users_repo.get_by_email(session, email)
        assert user is not None
        token = e2e_container.verification.issue(session, user).token

    page.goto(f"/ui/signup/confirm?token={token}")
    expect(page.get_by_text(email)).to_be_visible()
    page.get_by_label("Password chosen at sign-up").fill("someone else's password")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.locator(".field-error")).to_contain_text("sign up again with your own password")
    expect(page.get_by_label("Password chosen at sign-up")).to_have_attribute(
        "aria-invalid", "true"
    )
    shoot(page, "confirm-email-wrong-password")
    page.get_by_label("Password chosen at sign-up").fill(password)
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_text("Your email address is confirmed")).to_be_visible()
    sign_in(page, email, password)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
