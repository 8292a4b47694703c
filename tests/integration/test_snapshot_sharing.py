"""With Redis, one process builds each snapshot version and the others take its bytes; a process
whose builder is slow or gone builds the version itself. The caches here stand for two
processes: each has its own memory, and they share one Redis."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any, cast

import orjson
import pytest

from adda_dashboard.adapters.redis_link import RedisLink
from adda_dashboard.services import snapshots
from adda_dashboard.services.snapshots import SnapshotCache
from adda_dashboard.services.versions import DatasetVersions
from tests.redis_support import redis_url_or_skip


@pytest.fixture
def shared_pair() -> Iterator[tuple[SnapshotCache, SnapshotCache]]:
    link = RedisLink(redis_url_or_skip())
    prefix = f"t{uuid.uuid4().hex[:8]}"
    versions = cast(DatasetVersions, object())  # every call below names its version
    first = SnapshotCache(versions, link, key_prefix=prefix)
    second = SnapshotCache(versions, link, key_prefix=prefix)
    yield first, second
    first.clear_shared()
    link.close()


def never(*_args: Any) -> Any:
    raise AssertionError("this process should not have built the snapshot")


def test_a_version_built_in_one_process_is_taken_by_the_other(
    shared_pair: tuple[SnapshotCache, SnapshotCache],
) -> None:
    first, second = shared_pair
    built = first.get("data", lambda: {"rows": [1, 2, 3]}, version=7)
    taken = second.get("data", never, version=7)
    assert taken.body == built.body == orjson.dumps({"rows": [1, 2, 3]})
    assert taken.gzip_body == built.gzip_body
    assert second.stats.shared_hits == 1 and second.stats.misses == 0


def test_a_process_waits_for_the_build_another_has_claimed(
    shared_pair: tuple[SnapshotCache, SnapshotCache],
) -> None:
    first, second = shared_pair
    started = threading.Event()
    release = threading.Event()

    def slow_build() -> dict[str, Any]:
        started.set()
        assert release.wait(10)
        return {"rows": ["slow"]}

    builder = threading.Thread(target=lambda: first.get("data", slow_build, version=8))
    builder.start()
    assert started.wait(10)  # the first process holds the claim and is building
    threading.Timer(0.2, release.set).start()
    taken = second.get("data", never, version=8)  # waits for the first one's bytes
    builder.join(10)
    assert orjson.loads(taken.body) == {"rows": ["slow"]}
    assert first.stats.misses == 1 and second.stats.misses == 0


def test_a_claim_whose_build_never_comes_is_built_locally(
    shared_pair: tuple[SnapshotCache, SnapshotCache], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots, "WAIT_FOR_SHARED_S", 0.2)
    first, second = shared_pair
    assert first._claim("data", 9)  # a process claimed the version and then died
    made = second.get("data", lambda: {"rows": ["local"]}, version=9)
    assert orjson.loads(made.body) == {"rows": ["local"]}
    assert second.stats.misses == 1


def test_large_bodies_are_compressed_faster_and_still_decompress_exactly() -> None:
    import gzip

    small = orjson.dumps({"rows": ["x" * 100] * 10})
    large = orjson.dumps({"rows": [f"entry {i} " * 8 for i in range(6000)]})
    assert len(large) > snapshots.LARGE_BODY > len(small)
    for body in (small, large):
        assert gzip.decompress(snapshots.compress(body)) == body
