"""Answering while the database is down: 503 with ``Retry-After``, one log line per burst.

Hundreds of requests a second fail alike during an outage; a stack trace each would bury the
log, so the first failure of a burst is logged and the rest are counted into the next line.
The lean reads (``http/fast_reads.py``) answer outside the framework's handlers, so their 503
is built here too, with the same body as ``http/errors.py`` renders.
"""

from __future__ import annotations

import threading
import time

import orjson
import structlog

from adda_dashboard.errors import DatabaseUnavailable

log = structlog.get_logger("adda_dashboard.http")

BURST_LOG_EVERY_S = 10.0


class OutageLog:
    """At most one line per ``every_s``, counting the failures it stands for."""

    def __init__(self, every_s: float = BURST_LOG_EVERY_S) -> None:
        self._every_s = every_s
        self._lock = threading.Lock()
        self._last_line = -every_s
        self._unlogged = 0

    def note(self, error: BaseException, path: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._unlogged += 1
            if now - self._last_line < self._every_s:
                return
            count, self._unlogged, self._last_line = self._unlogged, 0, now
        first = (str(error).strip().splitlines() or [""])[0][:200]
        log.warning(
            "database_unavailable",
            error=f"{type(error).__name__}: {first}",
            path=path,
            answered_503=count,
            logged_every_s=self._every_s,
        )


OUTAGES = OutageLog()


def outage_answer_parts(request_id: str | None) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The JSON 503's headers and body, for answers sent without the framework."""
    error = DatabaseUnavailable()
    body = orjson.dumps(
        {
            "success": False,
            "error": error.message,
            "message": error.message,
            "request_id": request_id,
        }
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(DatabaseUnavailable.RETRY_AFTER_S).encode()),
    ]
    return headers, body
