"""One Redis connection pool per process, with the health bookkeeping degradation needs.

Redis is optional and never a single point of failure: every caller passes a fallback. After a
failure the link stays "down" for a short back-off, so a dead Redis costs one timeout per
back-off period, not one per request; the first success after that runs the recovery hooks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
import structlog

log = structlog.get_logger("adda_dashboard.redis")
T = TypeVar("T")
RETRY_AFTER_FAILURE_S = 1.0


class RedisLink:
    def __init__(self, url: str, *, timeout_s: float = 0.25) -> None:
        self.url = url
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            health_check_interval=30,
        )
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._was_down = False
        self.last_error: str | None = None
        self._recovery_hooks: list[Callable[[], None]] = []

    def on_recovery(self, hook: Callable[[], None]) -> None:
        self._recovery_hooks.append(hook)

    @property
    def healthy(self) -> bool:
        return not self._was_down

    def call(self, operation: Callable[[redis.Redis], T], fallback: T) -> T:
        """Run ``operation``; on any Redis error (or while backing off) return ``fallback``."""
        if time.monotonic() < self._down_until:
            return fallback
        try:
            result = operation(self.client)
        except redis.RedisError as exc:
            with self._lock:
                self._down_until = time.monotonic() + RETRY_AFTER_FAILURE_S
                if not self._was_down:
                    log.warning("redis_unavailable", error=str(exc))
                self._was_down = True
                self.last_error = f"{type(exc).__name__}: {exc}"
            return fallback
        if self._was_down:
            self._recover()
        return result

    def _recover(self) -> None:
        with self._lock:
            if not self._was_down:
                return
            self._was_down = False
            self.last_error = None
        log.info("redis_recovered")
        for hook in self._recovery_hooks:
            try:
                hook()
            except redis.RedisError:
                self._was_down = True

    def ping(self) -> bool:
        return bool(self.call(lambda r: r.ping(), False))

    def close(self) -> None:
        self.client.close()


def key(*parts: Any) -> str:
    return "adda:" + ":".join(str(p) for p in parts)
