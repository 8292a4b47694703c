"""Failed sign-in limits per account and per client address, shared through Redis when set.

Strategy: a moving window. It holds exactly "at most N failures in any trailing window", with
no burst of 2N around a fixed window's boundary, and the time until the oldest failure ages out
is the honest ``Retry-After``. It keeps one timestamp per failure, which is cheap at the small N
a sign-in limit uses.

An attempt with a password takes its account's slot *before* the password is checked (an
atomic acquire in either storage), so parallel guesses at one account cannot exceed the limit;
a success clears the account's failures. The address is only tested first and charged after a
failure, because successes from a shared office address must not use up its budget. The
address budget is ``ADDRESS_FACTOR`` times the account's, so a few colleagues' typos behind
one NAT do not lock the whole office out, while spraying many accounts from one address does.

Redis is optional and never a single point of failure: while it is unreachable the limits are
kept in this process's memory (per process, still bounded) instead of being dropped.

``SendThrottle`` applies the same windows to mail the server sends on request (a new sign-up
link): at most N messages to one address per window, counted whether or not an account has
that address, so the limit reveals nothing either.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from adda_dashboard.adapters.redis_link import RedisLink

if TYPE_CHECKING:
    from adda_dashboard.settings import Settings

T = TypeVar("T")
ADDRESS_FACTOR = 4
_UNAVAILABLE = object()


def account_key(identifier: str) -> str:
    """Accounts are keyed by a digest of the lower-cased identifier: no emails in Redis."""
    return hashlib.sha256(identifier.strip().lower().encode("utf-8")).hexdigest()[:32]


class _MovingWindows:
    """Moving-window counters in Redis when configured, else (and while it is down) in memory."""

    def __init__(self, redis: RedisLink | None, key_prefix: str) -> None:
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._redis = redis
        self._shared: MovingWindowRateLimiter | None = None
        if redis is not None:
            storage = RedisStorage(
                redis.url, connection_pool=redis.client.connection_pool, key_prefix=key_prefix
            )
            self._shared = MovingWindowRateLimiter(storage)

    def reset(self) -> None:
        """Forget every count (operators after an incident; tests between cases)."""
        self._local.storage.reset()
        if self._shared is not None and self._redis is not None:
            shared = self._shared
            self._redis.call(lambda _client: shared.storage.reset(), None)

    @staticmethod
    def _wait(
        limiter: MovingWindowRateLimiter, item: RateLimitItemPerSecond, key: str, now: float
    ) -> int:
        stats = limiter.get_window_stats(item, key)
        if stats.remaining > 0:
            return 0
        return max(1, math.ceil(stats.reset_time - now))

    def _run(self, operation: Callable[[MovingWindowRateLimiter], T]) -> T:
        if self._shared is not None and self._redis is not None:
            shared = self._shared
            result = self._redis.call(lambda _client: operation(shared), _UNAVAILABLE)
            if result is not _UNAVAILABLE:
                return result  # type: ignore[return-value]
        return operation(self._local)


class LoginThrottle(_MovingWindows):
    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: int,
        redis: RedisLink | None = None,
        key_prefix: str = "adda:login",
    ) -> None:
        super().__init__(redis, key_prefix)
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._account = RateLimitItemPerSecond(max_failures, window_seconds, namespace="account")
        self._address = RateLimitItemPerSecond(
            max_failures * ADDRESS_FACTOR, window_seconds, namespace="address"
        )

    @classmethod
    def from_settings(cls, settings: Settings, redis: RedisLink | None) -> LoginThrottle:
        """In Redis when ``ADDA_REDIS_URL`` is set (shared by every instance), else in memory."""
        return cls(
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
            redis=redis,
            key_prefix=f"{settings.cache_prefix}:login",
        )

    # The three moments of a sign-in -------------------------------------------------------------

    def admit(self, identifier: str, address: str | None) -> int:
        """Seconds the caller must wait (0: go ahead; the attempt now counts for the account)."""

        def run(limiter: MovingWindowRateLimiter) -> int:
            now = time.time()
            address_wait = self._wait(limiter, self._address, address, now) if address else 0
            account = account_key(identifier)
            if address_wait or not limiter.hit(self._account, account):
                return max(address_wait, self._wait(limiter, self._account, account, now))
            return 0

        return self._run(run)

    def failed(self, address: str | None) -> None:
        """Charge a failure to the address (the account was charged on admission)."""
        if address:
            self._run(lambda limiter: limiter.hit(self._address, address))

    def succeeded(self, identifier: str) -> None:
        """The right password: the account's failures are forgotten, the address's are not."""
        self._run(lambda limiter: limiter.clear(self._account, account_key(identifier)))


class SendThrottle(_MovingWindows):
    """At most ``max_messages`` requested messages to one email address per window."""

    def __init__(
        self,
        *,
        max_messages: int,
        window_seconds: int,
        redis: RedisLink | None = None,
        key_prefix: str = "adda:mail",
    ) -> None:
        super().__init__(redis, key_prefix)
        self._recipient = RateLimitItemPerSecond(
            max_messages, window_seconds, namespace="recipient"
        )

    @classmethod
    def from_settings(cls, settings: Settings, redis: RedisLink | None) -> SendThrottle:
        return cls(
            max_messages=settings.verification_resend_max,
            window_seconds=settings.verification_resend_window_seconds,
            redis=redis,
            key_prefix=f"{settings.cache_prefix}:mail",
        )

    def admit(self, email: str) -> int:
        """Seconds to wait (0: go ahead, and the message counts against the address)."""

        def run(limiter: MovingWindowRateLimiter) -> int:
            key = account_key(email)
            if limiter.hit(self._recipient, key):
                return 0
            return self._wait(limiter, self._recipient, key, time.time())

        return self._run(run)


class WriteBudget(_MovingWindows):
    """At most ``limit`` write requests to Google Sheets in any trailing window, counted for
    every worker together when Redis is set (else in this process, where the push's lease
    already lets one worker write at a time).

    Google counts a request when it arrives and we count it when it leaves, so a request that
    leaves late could meet the next window's first: the window kept here is one second longer
    than the one promised.
    """

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: int = 60,
        redis: RedisLink | None = None,
        key_prefix: str = "adda:sheets",
    ) -> None:
        super().__init__(redis, key_prefix)
        self.limit = limit
        self.window_seconds = window_seconds
        self._item = RateLimitItemPerSecond(limit, window_seconds + 1, namespace="writes")

    @classmethod
    def from_settings(cls, settings: Settings, redis: RedisLink | None) -> WriteBudget:
        return cls(
            limit=settings.sheets_writes_per_minute,
            window_seconds=settings.sheets_write_window_seconds,
            redis=redis,
            key_prefix=f"{settings.cache_prefix}:sheets",
        )

    def take(
        self,
        *,
        on_wait: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> float:
        """Wait until one more write fits, and count it; returns the seconds waited.
        ``on_wait`` is called about once a second while waiting (the push renews its lease)."""
        waited = 0.0
        while True:
            wait = self._run(lambda limiter: self._fits_in(limiter, time.time()))
            if wait == 0.0:
                return waited
            pause = min(max(wait, 0.01), 1.0)
            sleep(pause)
            waited += pause
            if on_wait is not None:
                on_wait()

    def _fits_in(self, limiter: MovingWindowRateLimiter, now: float) -> float:
        if limiter.hit(self._item, "spreadsheet"):
            return 0.0
        stats = limiter.get_window_stats(self._item, "spreadsheet")
        return max(0.01, stats.reset_time - now)
