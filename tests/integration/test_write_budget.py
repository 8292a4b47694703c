"""The Sheets write budget across processes: workers sharing one Redis draw on one budget, so
together they never send more than ``ADDA_SHEETS_WRITES_PER_MINUTE`` write requests in any
window, checked against the time of every slot granted."""

from __future__ import annotations

import bisect
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_support import redis_keyspace

LIMIT = 4
WINDOW_S = 1
PER_PROCESS = 8
PROCESSES = 2
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    with redis_keyspace("budget") as keyspace:
        yield keyspace


def most_in_any_window(stamps: list[float], window_s: float) -> int:
    """The most stamps in any half-open interval ``[t, t + window_s)``."""
    ordered = sorted(stamps)
    return max(
        bisect.bisect_left(ordered, start + window_s) - index for index, start in enumerate(ordered)
    )


def test_two_processes_sharing_redis_never_exceed_the_write_budget_in_any_window(
    redis_prefix: tuple[str, str],
) -> None:
    url, prefix = redis_prefix
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDA_")}
    env.update(
        ADDA_ENVIRONMENT="test",
        ADDA_REDIS_URL=url,
        ADDA_CACHE_PREFIX=prefix,
        ADDA_SHEETS_WRITES_PER_MINUTE=str(LIMIT),
        ADDA_SHEETS_WRITE_WINDOW_SECONDS=str(WINDOW_S),
    )
    start_at = time.time() + 3  # both processes are up and waiting by then
    command = [sys.executable, "-m", "tests.integration.write_budget_worker"]
    processes = [
        subprocess.Popen(
            [*command, str(start_at), str(PER_PROCESS)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    grants: list[list[float]] = []
    for process in processes:
        out, err = process.communicate(timeout=90)
        assert process.returncode == 0, err.decode()
        grants.append(json.loads(out))

    stamps = [stamp for granted in grants for stamp in granted]
    assert [len(granted) for granted in grants] == [PER_PROCESS] * PROCESSES
    # Each alone would have had the whole budget: 8 slots at once, twice the limit.
    assert most_in_any_window(stamps, WINDOW_S) <= LIMIT
    # Together they waited for one another: 16 slots at 4 a window need three more windows.
    assert max(stamps) - min(stamps) >= (len(stamps) // LIMIT - 1) * WINDOW_S
    print(f"\n{len(stamps)} slots in {max(stamps) - min(stamps):.1f} s by {PROCESSES} processes")
