"""Request rate limits per user and per client address, by kind of operation.

Fixed windows (one counter per key and window), which is what a request budget needs and the
cheapest check to run on every request. Limits are kept in Redis when it is configured, so they
hold across processes and servers: both counters of a request (its user's and its address's)
move in one round trip. While Redis is unreachable they fall back to this process's memory
rather than being dropped or failing the request.

The in-process windows are a plain dictionary: this check runs on every request, and a general
rate-limit store (locks per key, a timer thread started every few milliseconds to expire keys)
cost more than the rest of a cached read.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse

from adda_dashboard.adapters.redis_link import RedisLink

_UNAVAILABLE = object()
# INCR each key; a key's first hit starts its window. A key somehow left without an expiry gets
# one, so it can never hold a budget at zero for good. Returns count, ttl pairs.
_HIT_ALL = """
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('TTL', key)
  if count == 1 or ttl < 0 then
    redis.call('EXPIRE', key, ARGV[i])
    ttl = tonumber(ARGV[i])
  end
  out[#out + 1] = count
  out[#out + 1] = ttl
end
return out
"""
PURGE_ABOVE = 10_000  # local keys; expired windows are dropped when there are more


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


class LocalWindows:
    """Fixed-window counters in this process: key -> [count, end of window (monotonic)]."""

    def __init__(self) -> None:
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, expiry_s: int) -> tuple[int, float]:
        """Count one hit; returns the count in the current window and the seconds it has left."""
        now = time.monotonic()
        with self._lock:
            window = self._windows.get(key)
            if window is None or window[1] <= now:
                if len(self._windows) >= PURGE_ABOVE:
                    self._purge(now)
                window = self._windows[key] = [0, now + expiry_s]
            window[0] += 1
            return int(window[0]), window[1] - now

    def _purge(self, now: float) -> None:
        for key in [k for k, (_count, end) in self._windows.items() if end <= now]:
            del self._windows[key]

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


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
        self._local = LocalWindows()
        self._redis = redis
        self._prefix = f"{key_prefix}:rate:"
        self._script = redis.client.register_script(_HIT_ALL) if redis is not None else None

    def check(self, kind: str, user: str | None, address: str | None) -> Verdict:
        """Count one request of ``kind`` against its user and address budgets."""
        hits: list[tuple[RateLimitItem, str]] = []
        for scope, key in (("user", user), ("address", address)):
            item = self._items.get((kind, scope))
            if item is not None and key:
                hits.append((item, f"{kind}:{scope}:{key}"))
        if not hits:
            return Verdict(True, 0, 0, 0)
        counts = self._shared_hits(hits)
        if counts is None:
            counts = [self._local.hit(key, item.get_expiry()) for item, key in hits]
        refused: Verdict | None = None
        for (item, _key), (count, left_s) in zip(hits, counts, strict=True):
            if count > item.amount:
                reset_after = max(1, math.ceil(left_s))
                if refused is None or reset_after > refused.reset_after:
                    refused = Verdict(False, item.amount, 0, reset_after)
        return refused or Verdict(True, hits[0][0].amount, -1, 0)

    def _shared_hits(self, hits: list[tuple[RateLimitItem, str]]) -> list[tuple[int, float]] | None:
        """Both counters moved in Redis in one round trip; None when Redis is not there."""
        if self._redis is None or self._script is None:
            return None
        script = self._script
        keys = [self._prefix + key for _item, key in hits]
        expiries = [item.get_expiry() for item, _key in hits]
        raw: Any = self._redis.call(
            lambda r: script(keys=keys, args=expiries, client=r), _UNAVAILABLE
        )
        if raw is _UNAVAILABLE:
            return None
        return [(int(raw[i]), float(raw[i + 1])) for i in range(0, len(raw), 2)]

    def reset(self) -> None:
        self._local.reset()
        if self._redis is not None:
            pattern = f"{self._prefix}*"

            def delete_all(r: Any) -> int:
                keys = list(r.scan_iter(match=pattern, count=500))
                return int(r.delete(*keys)) if keys else 0

            self._redis.call(delete_all, 0)
