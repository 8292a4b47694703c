"""The production server's access log: one line per answered request, written in batches.

Uvicorn's own access log goes through ``logging`` for every request (a record, a formatter, a
write and a flush): on the hot reads that was a quarter of the server's work. Here a request
costs one formatted line appended to a list. The lines go to the file at least once a second
and whenever ``BATCH_LINES`` are waiting, each batch in one append of whole lines, so workers
sharing the file never interleave within a line; the file is opened for each batch, so a
rotated log is picked up without a signal. A worker that is killed outright loses at most the
last second of lines; one that stops normally writes them all (``close``).
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import orjson
import structlog

FLUSH_EVERY_S = 1.0
BATCH_LINES = 512


class AccessLog:
    def __init__(self, path: Path, *, json_lines: bool = False) -> None:
        self._path = path
        self._json = json_lines
        self._lines: list[bytes] = []
        self._flush_pending = False
        self._second = -1
        self._stamp = ""

    def record(
        self,
        client: tuple[str, int] | list[object] | None,
        method: str,
        target: str,
        http_version: str,
        status: int,
        seconds: float,
        request_id: str | None,
    ) -> None:
        """One answered request; ``target`` is the path with its query string."""
        now = time.time()
        if int(now) != self._second:  # the timestamp is formatted once a second
            self._second = int(now)
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        address = f"{client[0]}:{client[1]}" if client else "-"
        if self._json:
            line = orjson.dumps(
                {
                    "time": self._stamp,
                    "client": address,
                    "method": method,
                    "target": target,
                    "http_version": http_version,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "request_id": request_id,
                }
            )
        else:
            line = (
                f'{self._stamp} {address} - "{method} {target} HTTP/{http_version}" {status} '
                f"{seconds * 1000:.2f}ms {request_id or '-'}"
            ).encode("utf-8", "backslashreplace")
        self._lines.append(line)
        if len(self._lines) >= BATCH_LINES:
            self.flush()
        elif not self._flush_pending:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # outside an event loop: nothing would flush later
            self.flush()
            return
        self._flush_pending = True
        loop.call_later(FLUSH_EVERY_S, self._timed_flush)

    def _timed_flush(self) -> None:
        self._flush_pending = False
        self.flush()

    def flush(self) -> None:
        """Write the waiting lines. A failure (say, a full disk) drops them and is logged: it
        must not fail the request that happened to fill the batch."""
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        data = memoryview(b"\n".join(lines) + b"\n")
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                while data:
                    data = data[os.write(fd, data) :]
            finally:
                os.close(fd)
        except OSError as exc:
            structlog.get_logger("adda_dashboard").error(
                "access_log_write_failed", path=str(self._path), lines=len(lines), error=str(exc)
            )

    def close(self) -> None:
        self.flush()
