"""A password sign-up proves its address: the link is mailed over real SMTP (a local aiosmtpd
server), read from the received message and opened as a person would. Until then the account
cannot sign in; the link works once, with the password chosen at sign-up, expires, and new
links are limited per address. A sign-up for an unconfirmed address replaces the account, so the
owner of an address someone else signed up with claims it by signing up."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import structlog
from sqlalchemy import select, update
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.models import EmailVerificationToken, User
from adda_dashboard.db.repositories import users as users_repo
from tests.backends import reset
from tests.http.auth_support import client_of, own_container
from tests.http.browser_support import form_token
from tests.mail_support import Inbox, smtp_server, token_of

BASE_URL = "https://dashboard.example"
PASSWORD = "a long enough password"
LOGIN = "/api/auth/login"
VERIFY = "/api/auth/verify-email"
RESEND = "/api/auth/resend-verification"
RESEND_MAX = 2
LOGIN_MAX = 3


@dataclass
class Mailing:
    client: TestClient
    container: Container
    inbox: Inbox


@pytest.fixture
def mailing(database_url: str, var_dir: Path) -> Iterator[Mailing]:
    reset(database_url)
    with (
        smtp_server() as inbox,
        own_container(
            database_url,
            var_dir,
            smtp_url=inbox.url,
            mail_from="Adda Dashboard <no-reply@adda247.com>",
            public_base_url=BASE_URL,
            verification_resend_max=RESEND_MAX,
            login_max_failures=LOGIN_MAX,
        ) as container,
        client_of(container) as client,
    ):
        yield Mailing(client, container, inbox)


def sign_up_answer(
    client: TestClient, email: str, password: str = PASSWORD, username: str | None = None
) -> Any:
    return client.post(
        "/api/auth/signup",
        json={
            "username": username or email.split("@")[0],
            "email": email,
            "password": password,
            "confirm_password": password,
        },
    )


def sign_up(
    client: TestClient, email: str, password: str = PASSWORD, username: str | None = None
) -> dict[str, Any]:
    response = sign_up_answer(client, email, password, username)
    assert response.status_code == 201, response.text
    return dict(response.json())


def confirm(client: TestClient, token: str, password: str = PASSWORD) -> Any:
    return client.post(VERIFY, json={"token": token, "password": password})


def confirm_on_the_page(client: TestClient, link: str, password: str) -> Any:
    """Open the mailed link and submit its form, as a person would."""
    path = urlsplit(link)._replace(scheme="", netloc="").geturl()
    return client.post(
        "/ui/signup/confirm",
        data={
            "token": token_of(link),
            "password": password,
            "csrf_token": form_token(client, path),
        },
    )


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post(LOGIN, json={"email": email, "password": password})


def stored_token_hashes(container: Container) -> list[str]:
    with container.db.read() as session:
        return list(session.execute(select(EmailVerificationToken.token_hash)).scalars())


def link_state(container: Container, token: str) -> str:
    """ "unused", "used" or "gone": what is stored of the link holding ``token``."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    with container.db.read() as session:
        link = session.execute(
            select(EmailVerificationToken).where(EmailVerificationToken.token_hash == digest)
        ).scalar_one_or_none()
        if link is None:
            return "gone"
        return "unused" if link.used_at is None else "used"


def test_sign_up_mails_a_link_that_opens_the_account_once(mailing: Mailing) -> None:
    client, inbox = mailing.client, mailing.inbox
    email = "new.person@adda247.com"
    created = sign_up(client, email)
    assert "token" not in created and "refresh_token" not in created
    assert created["email_verification_required"] is True
    assert created["verification_email_sent"] is True
    assert email in created["message"]

    refused = log_in(client, email)
    assert refused.status_code == 401
    body = refused.json()
    assert body["field"] == "email"
    assert "a link was sent to new.person@adda247.com" in body["message"]
    assert body["email_verification_required"] is True

    [mail] = inbox.to(email)
    assert mail["From"] == "Adda Dashboard <no-reply@adda247.com>"
    assert "Confirm your email address" in mail["Subject"]
    link = inbox.last_link(email)
    assert link.startswith(f"{BASE_URL}/ui/signup/confirm?token=")
    token = token_of(link)
    assert stored_token_hashes(mailing.container) == [hashlib.sha256(token.encode()).hexdigest()]

    page = client.get(urlsplit(link)._replace(scheme="", netloc="").geturl())
    assert page.status_code == 200
    assert email in page.text and 'data-state="ready"' in page.text
    assert log_in(client, email).status_code == 401  # opening the page confirms nothing yet

    confirmed = confirm(client, token)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == email
    assert "token" not in confirmed.json()  # nobody is signed in by the link
    assert log_in(client, email).status_code == 200

    again = confirm(client, token)
    assert again.status_code == 400
    assert again.json()["field"] == "token"
    assert "already been used" in again.json()["message"]


def test_the_link_page_confirms_on_a_click_and_signs_nobody_in(mailing: Mailing) -> None:
    client, inbox = mailing.client, mailing.inbox
    email = "clicker@adda247.com"
    sign_up(client, email)
    token = token_of(inbox.last_link(email))
    page = client.get("/ui/signup/confirm", params={"token": token})
    assert page.status_code == 200
    assert '<label for="password">Password chosen at sign-up</label>' in page.text
    assert 'name="password" type="password"' in page.text
    assert "sign up again" in page.text
    confirmed = confirm_on_the_page(client, inbox.last_link(email), PASSWORD)
    assert confirmed.status_code == 200, confirmed.text
    assert 'data-state="confirmed"' in confirmed.text
    assert "adda_session" not in confirmed.headers.get("set-cookie", "")
    assert log_in(client, email).status_code == 200

    second = client.get("/ui/signup/confirm", params={"token": token})
    assert second.status_code == 400
    assert "already been used" in second.text and 'data-state="refused"' in second.text


def test_a_forged_post_of_the_link_page_confirms_nothing(mailing: Mailing) -> None:
    client, inbox = mailing.client, mailing.inbox
    email = "forged@adda247.com"
    sign_up(client, email)
    token = token_of(inbox.last_link(email))
    forged = client.post(
        "/ui/signup/confirm",
        data={"token": token, "password": PASSWORD, "csrf_token": "0" * 64},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    assert log_in(client, email).status_code == 401


def test_an_expired_link_is_refused_and_a_new_one_replaces_it(mailing: Mailing) -> None:
    client, container, inbox = mailing.client, mailing.container, mailing.inbox
    email = "late.opener@adda247.com"
    sign_up(client, email)
    old = token_of(inbox.last_link(email))
    with container.db.write() as session:
        session.execute(
            update(EmailVerificationToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = confirm(client, old)
    assert expired.status_code == 400
    assert "expired" in expired.json()["message"]
    assert log_in(client, email).status_code == 401

    assert client.post(RESEND, json={"email": email}).status_code == 202
    assert len(inbox.to(email)) == 2
    new = token_of(inbox.last_link(email))
    assert new != old
    replaced = confirm(client, old)
    assert replaced.status_code == 400 and "not valid" in replaced.json()["message"]
    assert confirm(client, new).status_code == 200
    assert log_in(client, email).status_code == 200


def test_a_new_link_is_limited_per_address_and_the_answer_reveals_no_account(
    mailing: Mailing,
) -> None:
    client, inbox = mailing.client, mailing.inbox
    waiting, unknown, other = (
        "waiting@adda247.com",
        "nobody.here@adda247.com",
        "other@adda247.com",
    )
    sign_up(client, waiting)  # the sign-up's mail counts against the same budget
    sign_up(client, other)
    for address, asked in ((waiting, RESEND_MAX - 1), (unknown, RESEND_MAX)):
        for _ in range(asked):
            answer = client.post(RESEND, json={"email": address})
            assert answer.status_code == 202, answer.text
            assert answer.json()["success"] is True
    assert len(inbox.to(waiting)) == RESEND_MAX
    assert inbox.to(unknown) == []
    for address in (waiting, unknown):
        limited = client.post(RESEND, json={"email": address})
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        assert limited.json()["field"] == "email"
    assert len(inbox.to(waiting)) == RESEND_MAX
    assert client.post(RESEND, json={"email": other}).status_code == 202  # per address
    assert len(inbox.to(other)) == 2


def test_a_confirmed_account_is_sent_no_new_link(mailing: Mailing) -> None:
    client, inbox = mailing.client, mailing.inbox
    email = "done@adda247.com"
    sign_up(client, email)
    assert confirm(client, token_of(inbox.last_link(email))).status_code == 200
    answer = client.post(RESEND, json={"email": email})
    assert answer.status_code == 202
    assert len(inbox.to(email)) == 1


def test_the_dashboard_sign_up_and_sign_in_say_a_link_was_sent_and_offer_a_new_one(
    mailing: Mailing,
) -> None:
    client, inbox = mailing.client, mailing.inbox
    email = "page.person@adda247.com"
    created = client.post(
        "/ui/signup",
        data={
            "username": "page.person",
            "email": email,
            "password": PASSWORD,
            "confirmPassword": PASSWORD,
            "csrf_token": form_token(client, "/ui/signup"),
        },
        follow_redirects=False,
    )
    assert created.status_code == 201, created.text
    assert "Check your email" in created.text and email in created.text
    assert "adda_session" not in created.headers.get("set-cookie", "")
    assert len(inbox.to(email)) == 1

    refused = client.post(
        "/ui/login",
        data={"email": email, "password": PASSWORD, "csrf_token": form_token(client)},
        follow_redirects=False,
    )
    assert refused.status_code == 401
    assert "a link was sent to page.person@adda247.com" in refused.text
    assert 'action="/ui/signup/resend"' in refused.text
    assert f'value="{email}"' in refused.text

    resent = client.post(
        "/ui/signup/resend", data={"email": email, "csrf_token": form_token(client)}
    )
    assert resent.status_code == 200, resent.text
    assert "a new link is on its way" in resent.text
    assert len(inbox.to(email)) == 2


def test_the_mail_carries_a_text_and_an_html_part_with_the_same_link(mailing: Mailing) -> None:
    email = "parts@adda247.com"
    sign_up(mailing.client, email)
    [mail] = mailing.inbox.to(email)
    link = mailing.inbox.last_link(email)
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    assert link in html_part.get_content()
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "24 hours" in text
    page = html_part.get_content()
    assert f'<a href="{BASE_URL}/ui/signup">' in page
    for part in (text, re.sub(r"<[^>]+>", "", page)):
        words = " ".join(part.split())
        assert "Confirming asks for the password chosen at sign-up" in words
        assert "sign up again with your own password" in words


# The sign-up's password, and the owner of an address claiming it -----------------------------

VICTIM = "priya.sharma@adda247.com"
SQUATTER_PASSWORD = "the squatter's own password"
VICTIM_PASSWORD = "priya's very own password"


def test_a_squatters_link_opened_by_the_owner_confirms_nothing_and_signing_up_claims_the_address(
    mailing: Mailing,
) -> None:
    """Someone signs up with a colleague's address and a password of their own; the colleague
    gets the link. Their click must not make the squatter's password valid, and their own
    sign-up must claim the address."""
    client, container, inbox = mailing.client, mailing.container, mailing.inbox
    sign_up(client, VICTIM, SQUATTER_PASSWORD, username="squatter")
    squatter_link = inbox.last_link(VICTIM)
    with container.db.read() as session:
        squatted = users_repo.get_by_email(session, VICTIM)
        assert squatted is not None
        held = container.auth.session_for(squatted, "Password")  # any token the account had
        squatted_id = squatted.id

    refused = confirm_on_the_page(client, squatter_link, VICTIM_PASSWORD)
    assert refused.status_code == 400, refused.text
    assert "belongs to a sign-up with another password" in refused.text
    assert "sign up again with your own password" in refused.text
    assert 'aria-invalid="true"' in refused.text and 'data-state="ready"' in refused.text
    assert VICTIM in refused.text  # the form again, for the same address
    assert link_state(container, token_of(squatter_link)) == "unused"
    assert log_in(client, VICTIM, SQUATTER_PASSWORD).status_code == 401
    with container.db.read() as session:
        waiting = users_repo.get_by_email(session, VICTIM)
        assert waiting is not None and waiting.email_verified_at is None

    claimed = sign_up_answer(client, VICTIM, VICTIM_PASSWORD, username="priya.sharma")
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["user"] == {
        "username": "priya.sharma",
        "email": VICTIM,
        "role": "contributor",
    }
    assert len(inbox.to(VICTIM)) == 2
    victim_link = inbox.last_link(VICTIM)
    assert victim_link != squatter_link
    assert stored_token_hashes(container) == [
        hashlib.sha256(token_of(victim_link).encode()).hexdigest()
    ]
    stale = confirm(client, token_of(squatter_link), SQUATTER_PASSWORD)
    assert stale.status_code == 400 and stale.json()["field"] == "token"
    assert "not valid" in stale.json()["message"]
    revoked = client.get("/api/auth/me", headers={"Authorization": f"Bearer {held['token']}"})
    assert revoked.status_code == 401

    confirmed = confirm_on_the_page(client, victim_link, VICTIM_PASSWORD)
    assert confirmed.status_code == 200, confirmed.text
    assert 'data-state="confirmed"' in confirmed.text
    signed_in = log_in(client, VICTIM, VICTIM_PASSWORD)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["user"]["username"] == "priya.sharma"
    squatter = log_in(client, VICTIM, SQUATTER_PASSWORD)
    assert squatter.status_code == 401
    assert squatter.json()["message"] == "Invalid email or password"
    with container.db.read() as session:
        assert users_repo.get_by_username(session, "squatter") is None
        assert session.execute(select(User.id).where(User.email == VICTIM)).scalars().all() == [
            squatted_id
        ]


def test_the_api_confirms_only_with_the_password_chosen_at_sign_up(mailing: Mailing) -> None:
    client, container, inbox = mailing.client, mailing.container, mailing.inbox
    email = "api.confirmer@adda247.com"
    sign_up(client, email)
    token = token_of(inbox.last_link(email))

    wrong = confirm(client, token, "not the sign-up password")
    assert wrong.status_code == 400
    body = wrong.json()
    assert body["field"] == "password"
    assert body["message"] == (
        "This link belongs to a sign-up with another password. If you did not sign up with this "
        "address, sign up again with your own password to claim it."
    )
    assert link_state(container, token) == "unused"
    missing = client.post(VERIFY, json={"token": token})
    assert missing.status_code == 400 and missing.json()["field"] == "password"
    assert log_in(client, email).status_code == 401

    right = confirm(client, token)
    assert right.status_code == 200, right.text
    assert right.json()["email"] == email
    assert log_in(client, email).status_code == 200


def test_wrong_passwords_at_the_link_count_against_the_sign_in_limit(mailing: Mailing) -> None:
    """The link is no oracle for the sign-up's password: its guesses and the sign-in form's
    share the account's budget of failures."""
    client, inbox = mailing.client, mailing.inbox
    email = "guessed@adda247.com"
    sign_up(client, email)
    token = token_of(inbox.last_link(email))
    for attempt in range(LOGIN_MAX):
        guess = confirm(client, token, f"guess number {attempt}")
        assert guess.status_code == 400, guess.text
    limited = confirm(client, token)  # even the right password waits now
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.json()["field"] == "password"
    assert log_in(client, email).status_code == 429
    assert link_state(mailing.container, token) == "unused"

    page = confirm_on_the_page(client, inbox.last_link(email), PASSWORD)
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) > 0
    assert "Too many wrong passwords" in page.text and 'data-state="ready"' in page.text


def test_sign_ups_to_one_address_are_limited_with_its_new_links(mailing: Mailing) -> None:
    client, inbox = mailing.client, mailing.inbox
    email = "overwritten@adda247.com"
    for attempt in range(RESEND_MAX):
        sign_up(client, email, f"password number {attempt}")
    limited = sign_up_answer(client, email, "one password too many")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.json()["field"] == "email"
    assert client.post(RESEND, json={"email": email}).status_code == 429
    assert len(inbox.to(email)) == RESEND_MAX
    last = token_of(inbox.last_link(email))
    assert confirm(client, last, "one password too many").status_code == 400  # not replaced
    assert confirm(client, last, f"password number {RESEND_MAX - 1}").status_code == 200

    page = client.post(
        "/ui/signup",
        data={
            "username": "paged.first",
            "email": "paged@adda247.com",
            "password": PASSWORD,
            "confirmPassword": PASSWORD,
            "csrf_token": form_token(client, "/ui/signup"),
        },
    )
    assert page.status_code == 201
    for _ in range(RESEND_MAX - 1):
        assert client.post(RESEND, json={"email": "paged@adda247.com"}).status_code == 202
    again = client.post(
        "/ui/signup",
        data={
            "username": "paged",
            "email": "paged@adda247.com",
            "password": PASSWORD,
            "confirmPassword": PASSWORD,
            "csrf_token": form_token(client, "/ui/signup"),
        },
    )
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) > 0
    assert "Too many sign-ups" in again.text


def test_a_sign_up_for_a_confirmed_address_is_still_refused_with_409(mailing: Mailing) -> None:
    client, inbox = mailing.client, mailing.inbox
    email = "settled@adda247.com"
    sign_up(client, email)
    assert confirm(client, token_of(inbox.last_link(email))).status_code == 200
    taken = sign_up_answer(client, email, "somebody else's password", username="someone.else")
    assert taken.status_code == 409
    assert taken.json()["field"] == "email"
    assert len(inbox.to(email)) == 1
    assert log_in(client, email).status_code == 200
    assert log_in(client, email, "somebody else's password").status_code == 401


def test_a_claiming_sign_up_with_a_taken_username_changes_nothing(mailing: Mailing) -> None:
    client, container, inbox = mailing.client, mailing.container, mailing.inbox
    sign_up(client, "holder@adda247.com", username="taken.name")
    sign_up(client, VICTIM, SQUATTER_PASSWORD, username="squatter")

    def account() -> tuple[str, int, str | None]:
        with container.db.read() as session:
            user = users_repo.get_by_email(session, VICTIM)
            assert user is not None
            return user.username, user.token_version, user.password_hash

    before = account()
    refused = sign_up_answer(client, VICTIM, VICTIM_PASSWORD, username="Taken.Name")
    assert refused.status_code == 409
    assert refused.json()["field"] == "username"
    assert len(inbox.to(VICTIM)) == 1
    assert account() == before and before[0] == "squatter"
    assert confirm(client, token_of(inbox.last_link(VICTIM)), SQUATTER_PASSWORD).status_code == 200


def test_smtp_credentials_from_the_url_are_used(database_url: str, var_dir: Path) -> None:
    reset(database_url)
    with (
        smtp_server(credentials=("mailer", "p@ss:word")) as inbox,
        own_container(
            database_url, var_dir, smtp_url=f"smtp://mailer:p%40ss%3Aword@{inbox.host}:{inbox.port}"
        ) as container,
        client_of(container) as client,
    ):
        sign_up(client, "authed@adda247.com")
        assert inbox.logins == ["mailer"]
        assert len(inbox.to("authed@adda247.com")) == 1


def test_without_smtp_the_link_goes_to_the_log(database_url: str, var_dir: Path) -> None:
    reset(database_url)
    with (
        own_container(database_url, var_dir, public_base_url=BASE_URL) as container,
        client_of(container) as client,
        structlog.testing.capture_logs() as logs,
    ):
        created = sign_up(client, "dev@adda247.com")
        assert created["verification_email_sent"] is True
        [logged] = [e for e in logs if e["event"] == "mail_not_sent_no_smtp"]
        assert logged["to"] == "dev@adda247.com"
        assert f"{BASE_URL}/ui/signup/confirm?token=" in logged["text"]


def test_a_mail_server_that_is_down_leaves_the_account_waiting_for_a_new_link(
    database_url: str, var_dir: Path
) -> None:
    reset(database_url)
    with smtp_server() as probe:
        closed_url = probe.url  # the port is free again once this server stops
    with (
        own_container(database_url, var_dir, smtp_url=closed_url) as container,
        client_of(container) as client,
    ):
        created = sign_up(client, "unlucky@adda247.com")
        assert created["verification_email_sent"] is False
        assert "could not be sent" in created["message"]
        with container.db.read() as session:
            user = users_repo.get_by_email(session, "unlucky@adda247.com")
            assert user is not None and user.email_verified_at is None
        assert client.post(RESEND, json={"email": "unlucky@adda247.com"}).status_code == 202


def test_accounts_made_by_an_operator_are_verified(mailing: Mailing) -> None:
    from adda_dashboard.domain.roles import Role

    view = mailing.container.users.create(
        email="made@adda247.com", role=Role.editor, password=PASSWORD
    )
    assert view.email_verified is True
    assert log_in(mailing.client, "made@adda247.com").status_code == 200
    with mailing.container.db.read() as session:
        made = session.execute(select(User).where(User.email == "made@adda247.com")).scalar_one()
        assert made.email_verified_at is not None
    assert mailing.inbox.messages == []


def test_openapi_names_the_bodies_and_answers_of_the_sign_up_link_routes(mailing: Mailing) -> None:
    paths = mailing.client.get("/openapi.json").json()["paths"]
    expected = {
        "/api/auth/signup": ("201", {"400", "409", "429"}, "confirm_password"),
        "/api/auth/verify-email": ("200", {"400", "429"}, "password"),
        "/api/auth/resend-verification": ("202", {"400", "429"}, "email"),
        "/api/auth/login": ("200", {"400", "401", "403", "429"}, "password"),
    }
    for path, (ok, errors, field) in expected.items():
        operation = paths[path]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert field in schema["properties"], path
        assert {ok, *errors} <= set(operation["responses"]), path
        for status in errors:
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert "field" in error["properties"], (path, status)
    verify = paths["/api/auth/verify-email"]["post"]["requestBody"]["content"]["application/json"]
    assert set(verify["schema"]["required"]) == {"token", "password"}
