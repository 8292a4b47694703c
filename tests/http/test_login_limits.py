"""Failed sign-in limits: per account and per client address, 429 with ``Retry-After`` even for
the right password until the window frees, and shared by every instance through Redis.

Accounts here mostly hold a cheap legacy bcrypt hash, so a burst of wrong passwords takes
milliseconds and the short windows below are never at risk of passing mid-burst.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
import redis
from starlette.testclient import TestClient

from adda_dashboard.adapters.rate_limits import ADDRESS_FACTOR
from adda_dashboard.bootstrap import Container
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain.roles import Role
from tests.backends import reset
from tests.factories import PASSWORD
from tests.http.auth_support import client_of, own_container, signed_in
from tests.redis_support import redis_keyspace

LOGIN = "/api/auth/login"
MAX_FAILURES = 3
WRONG = "not the password at all"


def account(container: Container) -> str:
    """A contributor whose stored hash is a fast legacy bcrypt one."""
    email, _token = signed_in(container, Role.contributor)
    cheap = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    with container.db.write() as session:
        user = users_repo.get_by_email(session, email)
        assert user is not None
        user.password_hash = cheap
    return email


def attempt(client: TestClient, email: str, password: str = WRONG) -> int:
    return client.post(LOGIN, json={"email": email, "password": password}).status_code


@pytest.fixture
def limited(database_url: str, var_dir: Path) -> Iterator[Container]:
    """A window of 2 seconds: short enough to wait out, as the server announces."""
    reset(database_url)
    with own_container(
        database_url, var_dir, login_max_failures=MAX_FAILURES, login_window_seconds=2
    ) as container:
        yield container


@pytest.fixture
def long_window(database_url: str, var_dir: Path) -> Iterator[Container]:
    reset(database_url)
    with own_container(
        database_url, var_dir, login_max_failures=MAX_FAILURES, login_window_seconds=600
    ) as container:
        yield container


def test_the_account_is_refused_with_429_even_for_the_right_password_until_the_window_passes(
    limited: Container,
) -> None:
    email = account(limited)
    with client_of(limited) as client:
        assert [attempt(client, email) for _ in range(MAX_FAILURES)] == [401] * MAX_FAILURES
        refused = client.post(LOGIN, json={"email": email, "password": WRONG})
        assert refused.status_code == 429
        body = refused.json()
        assert body["success"] is False
        assert body["message"].startswith("Too many failed sign-in attempts")
        right = client.post(LOGIN, json={"email": email.upper(), "password": PASSWORD})
        assert right.status_code == 429, "the right password must wait too"
        wait = int(right.headers["Retry-After"])
        assert 1 <= wait <= 2
        assert f"{wait} seconds" in right.json()["message"]

        time.sleep(wait)  # the window the server itself announced
        assert attempt(client, email, PASSWORD) == 200


def test_the_limit_counts_the_account_whatever_the_case_of_its_identifier(
    long_window: Container,
) -> None:
    email = account(long_window)
    with client_of(long_window) as client:
        for spelling in (email, email.upper(), email.title()):
            assert attempt(client, spelling) == 401
        assert attempt(client, email) == 429


def test_other_accounts_are_unaffected_from_the_same_and_from_other_addresses(
    long_window: Container,
) -> None:
    locked, other = account(long_window), account(long_window)
    with client_of(long_window, "10.0.0.1") as first, client_of(long_window, "10.0.0.2") as second:
        for _ in range(MAX_FAILURES):
            assert attempt(first, locked) == 401
        assert attempt(first, locked, PASSWORD) == 429
        assert attempt(second, locked, PASSWORD) == 429  # the account's limit holds everywhere
        assert attempt(first, other, PASSWORD) == 200
        assert attempt(second, other, PASSWORD) == 200
        assert attempt(second, other) == 401  # its own count starts at one


def test_an_unknown_account_is_limited_exactly_like_a_real_one(long_window: Container) -> None:
    real = account(long_window)
    with client_of(long_window) as client:
        answers = {}
        for email in (real, "nobody.here@adda247.com"):
            responses = [
                client.post(LOGIN, json={"email": email, "password": WRONG})
                for _ in range(MAX_FAILURES + 1)
            ]
            # The seconds to wait differ by how long the attempts took; the words may not.
            answers[email] = [
                (r.status_code, re.sub(r"\d+", "N", r.json()["message"])) for r in responses
            ]
        assert answers[real] == answers["nobody.here@adda247.com"]
        assert answers[real][-1][0] == 429


def test_successful_sign_ins_do_not_count_and_clear_the_accounts_failures(
    long_window: Container,
) -> None:
    email = account(long_window)
    with client_of(long_window) as client:
        assert [attempt(client, email, PASSWORD) for _ in range(MAX_FAILURES + 2)] == [200] * 5
        assert [attempt(client, email) for _ in range(MAX_FAILURES - 1)] == [401, 401]
        assert attempt(client, email, PASSWORD) == 200
        assert [attempt(client, email) for _ in range(MAX_FAILURES)] == [401] * MAX_FAILURES
        assert attempt(client, email) == 429


def test_many_accounts_failing_from_one_address_lock_that_address_only(
    long_window: Container,
) -> None:
    budget = MAX_FAILURES * ADDRESS_FACTOR
    victim = account(long_window)
    with (
        client_of(long_window, "10.0.0.1") as sprayer,
        client_of(long_window, "10.0.0.2") as colleague,
    ):
        # One guess per account: no account reaches its own limit.
        statuses = [attempt(sprayer, account(long_window)) for _ in range(budget)]
        assert statuses == [401] * budget
        refused = sprayer.post(LOGIN, json={"email": victim, "password": PASSWORD})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert attempt(sprayer, "fresh.name@adda247.com") == 429
        assert attempt(colleague, victim, PASSWORD) == 200


def test_email_only_requests_are_not_counted_as_failed_passwords(long_window: Container) -> None:
    email = account(long_window)
    with client_of(long_window) as client:
        for _ in range(MAX_FAILURES + 1):
            assert client.post(LOGIN, json={"email": email}).status_code == 401
        assert attempt(client, email, PASSWORD) == 200


# Across instances ------------------------------------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    with redis_keyspace("limits") as keyspace:
        yield keyspace


def test_limits_hold_across_two_instances_sharing_redis(
    database_url: str, var_dir: Path, redis_prefix: tuple[str, str]
) -> None:
    url, prefix = redis_prefix
    reset(database_url)
    settings = {
        "login_max_failures": MAX_FAILURES,
        "login_window_seconds": 600,
        "redis_url": url,
        "cache_prefix": prefix,
    }
    with (
        own_container(database_url, var_dir, **settings) as one,
        own_container(database_url, var_dir, **settings) as two,
        client_of(one) as first,
        client_of(two) as second,
    ):
        email = account(one)
        assert [attempt(first, email), attempt(second, email), attempt(first, email)] == [401] * 3
        assert attempt(second, email, PASSWORD) == 429
        assert attempt(first, email, PASSWORD) == 429
        stored = redis.Redis.from_url(url)
        assert list(stored.scan_iter(match=f"{prefix}:login:*")), "failures are kept in Redis"
        stored.close()


def test_limits_still_hold_in_memory_while_redis_is_unreachable(
    database_url: str, var_dir: Path
) -> None:
    reset(database_url)
    with (
        own_container(
            database_url,
            var_dir,
            login_max_failures=MAX_FAILURES,
            login_window_seconds=600,
            redis_url="redis://127.0.0.1:1/0",
        ) as container,
        client_of(container) as client,
    ):
        email = account(container)
        assert [attempt(client, email) for _ in range(MAX_FAILURES)] == [401] * MAX_FAILURES
        assert attempt(client, email, PASSWORD) == 429
