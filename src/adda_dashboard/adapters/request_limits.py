"""Request rate limits per user and per client address, by kind of operation.

Fixed windows (one counter per key and window: a single INCR in Redis), which is what a request
budget needs and the cheapest check to run on every request. Limits are kept in Redis when it is
configured, so they hold across processes and servers; while Redis is unreachable they fall back
to this process's memory rather than being dropped or failing the request.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter

from adda_dashboard.adapters.redis_link import RedisLink

_UNAVAILABLE = object()


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int  # -1 when allowed: not looked up, to keep the common path to one hit
    reset_after: int  # seconds until the window that refused frees up

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_after)
        return headers


class RequestLimiter:
    def __init__(
        self,
        policies: dict[str, tuple[str, str]],
        *,
        redis: RedisLink | None,
        key_prefix: str,
    ) -> None:
        """``policies``: kind -> (per-user limit, per-address limit), e.g. "600/minute"."""
        self._items: dict[tuple[str, str], RateLimitItem] = {}
        for kind, (per_user, per_address) in policies.items():
            self._items[(kind, "user")] = parse(per_user)
            self._items[(kind, "address")] = parse(per_address)
        self._local = FixedWindowRateLimiter(MemoryStorage())
        self._redis = redis
        self._shared: FixedWindowRateLimiter | None = None
        if redis is not None:
            storage = RedisStorage(
                redis.url,
                connection_pool=redis.client.connection_pool,
                key_prefix=f"{key_prefix}:rate",
            )
            self._shared = FixedWindowRateLimiter(storage)

    def check(self, kind: str, user: str | None, address: str | None) -> Verdict:
        """Count one request of ``kind`` against its user and address budgets."""
        verdicts = []
        for scope, key in (("user", user), ("address", address)):
            item = self._items.get((kind, scope))
            if item is None or not key:
                continue
            verdicts.append(self._hit(item, f"{kind}:{scope}:{key}"))
        if not verdicts:
            return Verdict(True, 0, 0, 0)
        refused = [v for v in verdicts if not v.allowed]
        if refused:
            return max(refused, key=lambda v: v.reset_after)
        return verdicts[0]

    def _hit(self, item: RateLimitItem, key: str) -> Verdict:
        def run(limiter: FixedWindowRateLimiter) -> Verdict:
            if limiter.hit(item, key):  # one round trip on the common path
                return Verdict(True, item.amount, -1, 0)
            stats = limiter.get_window_stats(item, key)
            reset_after = max(1, math.ceil(stats.reset_time - time.time()))
            return Verdict(False, item.amount, stats.remaining, reset_after)

        if self._shared is not None and self._redis is not None:
            shared = self._shared
            result: Any = self._redis.call(lambda _client: run(shared), _UNAVAILABLE)
            if result is not _UNAVAILABLE:
                return result  # type: ignore[no-any-return]
        return run(self._local)

    def reset(self) -> None:
        self._local.storage.reset()
        if self._shared is not None and self._redis is not None:
            shared = self._shared
            self._redis.call(lambda _client: shared.storage.reset(), None)
