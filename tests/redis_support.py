"""Where the tests find Redis: ADDA_TEST_REDIS_URL, default the local server."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

REDIS_URL = os.environ.get("ADDA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_url_or_skip() -> str:
    """The Redis URL; absent Redis fails under CI and is skipped loudly elsewhere."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return REDIS_URL
    except redis.RedisError as exc:
        message = f"Redis NOT AVAILABLE at {REDIS_URL}, its tests are SKIPPED: {exc}"
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required under CI: {exc}")
        print(f"\n!!! {message} !!!\n", file=sys.stderr)
        pytest.skip(message)


@contextmanager
def redis_keyspace(tag: str) -> Iterator[tuple[str, str]]:
    """The Redis URL and a key prefix of one test's own; its keys are deleted afterwards."""
    url = redis_url_or_skip()
    prefix = f"test-{tag}-{uuid.uuid4().hex[:12]}"
    yield url, prefix
    link = redis.Redis.from_url(url)
    keys = list(link.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        link.delete(*keys)
    link.close()
