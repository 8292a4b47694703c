"""The spreadsheet mirror under the user journey (``make bench BENCH_ARGS=--sheets-mirror``).

Google cannot be reached from here, so the mirror pushes to the local stand-in of the Sheets
API that the tests use (real HTTP, Google's own client on our side), with empty tabs under the
team's headers. A queue worker of its own runs beside the production server, as in production
(``ADDA_SERVE_WITH_WORKER=false`` there); after the load the bench waits, bounded, for the
outbox to drain and reports what reached the sheet.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.sheets_methods import WRITES
from tests.sheets_standin import SheetsStandIn

from adda_dashboard.domain import columns as c
from bench.systems import OUR_CLI, at_common_priority, http_json, stop_process

MAIN_TAB, REEDIT_TAB, CREDENTIALS_TAB, TICKETS_TAB = "Entries", "Drive Links", "Users", "Tickets"
DRAIN_S = 180.0


@contextmanager
def standin() -> Iterator[SheetsStandIn]:
    with SheetsStandIn() as sheet:
        sheet.add_tab(MAIN_TAB, 0, [list(c.MAIN_COLUMNS)])
        sheet.add_tab(REEDIT_TAB, 1507772277, [list(c.REEDIT_COLUMNS)])
        sheet.add_tab(CREDENTIALS_TAB, 1409173850, [["Username", "Email", "Password"]])
        sheet.add_tab(TICKETS_TAB, 699848763, [list(c.TICKET_COLUMNS)])
        yield sheet


def mirror_env(env: dict[str, str], sheet: SheetsStandIn, workdir: Path) -> dict[str, str]:
    """``env`` with the mirror on, pointed at ``sheet``; the web server runs no consumer."""
    workdir.mkdir(parents=True, exist_ok=True)
    key = sheet.key_file(workdir / "sheets-key.json", name="mirror")
    return {
        **env,
        "ADDA_SHEETS_MIRROR": "true",
        "ADDA_SHEETS_SPREADSHEET_ID": sheet.spreadsheet_id,
        "ADDA_SHEETS_CREDENTIALS_FILE": str(key),
        "ADDA_SHEETS_API_URL": sheet.endpoint,
        "ADDA_SERVE_WITH_WORKER": "false",
    }


@contextmanager
def queue_worker(workdir: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    with (workdir / "logs" / "worker.out").open("wb") as out:
        proc = subprocess.Popen(
            at_common_priority([str(OUR_CLI), "worker"]),
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        stop_process(proc, [])


def drain(base_url: str, sheet: SheetsStandIn) -> dict[str, Any]:
    """Wait (at most ``DRAIN_S``) for the outbox to empty; what reached the sheet, and how."""
    began = time.monotonic()
    status: dict[str, Any] = {}
    while time.monotonic() - began < DRAIN_S:
        _code, body = http_json("GET", f"{base_url}/health/detailed")
        status = body.get("sheets", {}) if isinstance(body, dict) else {}
        if status.get("pending") == 0:
            break
        time.sleep(1.0)
    rows = {title: len(sheet.values(title)) - 1 for title in (MAIN_TAB, REEDIT_TAB, TICKETS_TAB)}
    writes = [call for call in sheet.calls if call.method in WRITES]
    return {
        "drained_in_s": round(time.monotonic() - began, 1),
        "pending_left": status.get("pending"),
        "last_push_error": status.get("last_push_error"),
        "rows_in_sheet": rows,
        "write_requests": len(writes),
        "most_writes_in_a_minute": most_in_window([call.at for call in writes], 60.0),
    }


def most_in_window(moments: list[float], window_s: float) -> int:
    ordered, most, start = sorted(moments), 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window_s:
            start += 1
        most = max(most, end - start + 1)
    return most
