"""The access log writes whole lines in batches: on a timer, when a batch is full, and at close."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson

from adda_dashboard.adapters import access_log as module
from adda_dashboard.adapters.access_log import AccessLog


def _record(log: AccessLog, n: int, status: int = 200) -> None:
    log.record(
        ("127.0.0.1", 5000 + n), "GET", f"/api/data?limit={n}", "1.1", status, 0.0012, f"r{n}"
    )


def test_lines_are_written_at_close_with_the_request_line_status_and_id(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "access.log"
    log = AccessLog(path)
    _record(log, 1)
    _record(log, 2, status=404)  # outside an event loop each line is written at once
    log.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert '127.0.0.1:5001 - "GET /api/data?limit=1 HTTP/1.1" 200 1.20ms r1' in lines[0]
    assert lines[1].endswith('"GET /api/data?limit=2 HTTP/1.1" 404 1.20ms r2')


def test_in_an_event_loop_lines_wait_for_the_timer_or_a_full_batch(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = AccessLog(path)

    async def run() -> tuple[bool, int, int]:
        _record(log, 1)
        waited = path.exists()
        # Due after the flush timer on the same loop, so it always wakes after the flush.
        await asyncio.sleep(module.FLUSH_EVERY_S + 0.5)
        after_timer = len(path.read_text().splitlines())
        for n in range(module.BATCH_LINES):
            _record(log, n)
        return waited, after_timer, len(path.read_text().splitlines())

    # On a thread of its own: another test's event loop may still be set on this one.
    with ThreadPoolExecutor(1) as pool:
        waited, after_timer, after_batch = pool.submit(asyncio.run, run()).result()
    assert not waited, "a line is not written on its own"
    assert after_timer == 1
    assert after_batch == 1 + module.BATCH_LINES
    log.close()


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = AccessLog(path, json_lines=True)
    _record(log, 3, status=503)
    log.close()
    line = orjson.loads(path.read_text())
    assert line["status"] == 503 and line["target"] == "/api/data?limit=3"
    assert line["request_id"] == "r3" and line["client"] == "127.0.0.1:5003"


def test_a_failed_write_does_not_raise(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    log = AccessLog(tmp_path / "taken")  # a directory: every write fails
    _record(log, 1)
    log.close()
