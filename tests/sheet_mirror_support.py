"""The live mirror as tests run it: the Sheets stand-in holding the four tabs with their header
rows, a container with the mirror on over the emptied test database, a queue of its own, and
a real queue worker on threads of the test process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from adda_dashboard.adapters.queue import BackgroundWorker
from adda_dashboard.bootstrap import Container
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.roles import Role
from adda_dashboard.domain.sheet_tabs import CREDENTIAL_COLUMNS
from tests.http.auth_support import client_of, headers_of
from tests.sheet_support import GIDS, sheet_container
from tests.sheets_standin import SheetsStandIn

MAIN, REEDIT, TICKETS = "Final", "Drive Links", "Tickets"
DEADLINE_S = 30.0


def empty_tabs(standin: SheetsStandIn) -> None:
    """The team's four tabs, each with only its header row."""
    with standin.lock:
        standin.sheet.tabs.clear()
        standin.calls.clear()
    standin.heal()
    standin.add_tab(MAIN, GIDS[MAIN], [list(c.MAIN_COLUMNS)])
    standin.add_tab(REEDIT, GIDS[REEDIT], [list(c.REEDIT_COLUMNS)])
    standin.add_tab("Credentials", GIDS["Credentials"], [list(CREDENTIAL_COLUMNS)])
    standin.add_tab(TICKETS, GIDS[TICKETS], [list(c.TICKET_COLUMNS)])


def mirror_settings(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sheets_mirror": True,
        "queue_path": tmp_path / "queue.db",
        "worker_poll_seconds": 0.1,
        "sheets_pull_seconds": 2,
        "sheets_push_lease_seconds": 5,
    }
    values.update(overrides)
    return values


@dataclass
class MirrorStack:
    container: Container
    client: TestClient
    standin: SheetsStandIn
    stack: ExitStack

    def headers(self, role: Role = Role.admin) -> dict[str, str]:
        return headers_of(self.container, role)

    def worker(self, threads: int = 2) -> BackgroundWorker:
        worker = BackgroundWorker(self.container.queue, workers=threads, periodic=False)
        self.stack.callback(worker.stop)
        worker.start()
        assert self.container.sheet_mirror is not None
        self.container.sheet_mirror.kick()  # as ``serve`` and ``worker`` do when they start
        return worker

    def records(self, title: str) -> list[dict[str, str]]:
        rows = self.standin.values(title)
        header = rows[0]
        return [
            dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
            for row in rows[1:]
        ]


@contextmanager
def mirror_stack(
    database_url: str,
    var_dir: Path,
    standin: SheetsStandIn,
    key: Path,
    tmp_path: Path,
    **settings: Any,
) -> Iterator[MirrorStack]:
    empty_tabs(standin)
    with ExitStack() as stack:
        container = stack.enter_context(
            sheet_container(
                database_url, var_dir, standin, key, **mirror_settings(tmp_path, **settings)
            )
        )
        container.queue.flush()
        client = stack.enter_context(client_of(container))
        yield MirrorStack(container, client, standin, stack)


def wait_for(check: Callable[[], Any], *, deadline_s: float = DEADLINE_S, what: str = "") -> Any:
    """Poll ``check`` until it answers truthily, at most ``deadline_s`` seconds."""
    end = time.monotonic() + deadline_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline_s:.0f} s: {what}")
        time.sleep(0.1)
