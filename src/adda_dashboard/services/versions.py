"""The dataset version: which state of the entries a cached answer belongs to.

The database counter (bumped in every writing transaction) is the truth. With Redis configured,
each commit publishes it there (set-if-greater), and requests read it from Redis, so a cached
answer is validated without touching the database; with Redis absent or down, requests read the
counter from the database. Either way every worker and every server sees a write on its very
next request.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine

from adda_dashboard.adapters.redis_link import RedisLink
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import gate as gate_repo

T = TypeVar("T")

# Raises the stored value only; the expiry bounds how long a value published before a network
# partition can outlive writes whose publication failed during it.
_SET_IF_GREATER = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local new = tonumber(ARGV[1])
if new > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return new
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return current
"""
PUBLISHED_TTL_S = 30


class KeptConnections:
    """The per-request reads (token facts, the dataset version) on a connection each thread
    keeps open, on SQLite.

    A pooled checkout and return (with its reset) cost several times these one-row queries. A
    SQLite connection in autocommit mode sees every commit on its next statement, so keeping it
    changes nothing about freshness. Other databases use the pool: a kept connection would hold
    a transaction open there.

    The repository's plain reads take an engine and ask it for ``raw_connection()``; this object
    stands in for the engine and hands out the calling thread's own connection, whose
    ``close()`` keeps it open.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.dialect = engine.dialect
        self.kept = engine.dialect.name == "sqlite"
        self._mine = threading.local()

    def run(self, read: Callable[[Any], T]) -> T:
        """``read(engine_like)``; a failed read closes this thread's connection for a new one."""
        if not self.kept:
            return read(self._engine)
        try:
            return read(self)
        except Exception:
            self._drop()
            raise

    def raw_connection(self) -> _Kept:
        kept: _Kept | None = getattr(self._mine, "connection", None)
        if kept is None:
            fairy = self._engine.raw_connection()
            fairy.detach()  # no longer the pool's: it neither counts against it nor returns to it
            kept = self._mine.connection = _Kept(fairy.dbapi_connection)
        return kept

    def _drop(self) -> None:
        kept: _Kept | None = getattr(self._mine, "connection", None)
        self._mine.connection = None
        if kept is not None:
            kept.dispose()


class _Kept:
    def __init__(self, dbapi_connection: Any) -> None:
        self._connection = dbapi_connection

    def cursor(self) -> Any:
        return self._connection.cursor()

    def close(self) -> None:
        """Kept open for this thread's next read."""

    def invalidate(self, _error: BaseException | None = None) -> None:
        """Broken: closed now (``KeptConnections.run`` then opens a new one)."""
        self.dispose()

    def dispose(self) -> None:
        with contextlib.suppress(Exception):  # already broken: a new one replaces it
            self._connection.close()


class DatasetVersions:
    def __init__(self, db: Database, redis: RedisLink | None, key: str) -> None:
        self._db = db
        self._redis = redis
        self.key = key
        self.reads = KeptConnections(db.engine)
        self._script = redis.client.register_script(_SET_IF_GREATER) if redis else None
        if redis is not None:
            redis.on_recovery(self.resync)

    def from_database(self) -> int:
        return self.reads.run(gate_repo.dataset_version)

    def current(self) -> int:
        if self._redis is None:
            return self.from_database()
        raw = self._redis.call(lambda r: r.get(self.key), b"")
        if raw:
            return int(raw)
        # Absent (Redis restarted or the value expired) or Redis down: the database decides.
        version = self.from_database()
        if raw is None:
            self.publish(version)
        return version

    def publish(self, version: int) -> None:
        if self._redis is not None and self._script is not None:
            script = self._script
            self._redis.call(
                lambda r: script(keys=[self.key], args=[version, PUBLISHED_TTL_S], client=r), None
            )

    def publish_committed(self, info: dict[str, Any]) -> None:
        """After-commit hook: publish the version a transaction wrote, if it wrote one."""
        version = info.get("dataset_version")
        if version is not None:
            self.publish(int(version))

    def resync(self) -> None:
        """After Redis comes back, writes made meanwhile were not published: publish now."""
        self.publish(self.from_database())
