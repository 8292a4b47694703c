"""The pull: every ``ADDA_SHEETS_PULL_SECONDS`` the worker reads back the two columns editors
fill in the sheet (``Editor Brief``, ``Final Edited Link``) of both entry tabs, by ``Sr no.``,
and applies what they changed through the audited entry service as the actor ``sheet``.

A cell is an editor's change when it differs from what the sheet was last given or gave back
(``sheet_row_states``). If the entry also changed in the app since then (its version moved on),
the app's value wins: it will be pushed, and the conflict is recorded for the admin page. A
cell equal to the app's value is only remembered. Entries the mirror never gave the sheet are
left alone (``sheets push`` gives it all of them).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import sheet_sync as sync
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.records import to_columns
from adda_dashboard.domain.roles import SHEET
from adda_dashboard.domain.sheet_tabs import TabKind
from adda_dashboard.errors import AppError
from adda_dashboard.services.entries import EntryService
from adda_dashboard.services.sheet_mirror import PULL_TASK, SheetMirror
from adda_dashboard.services.sheet_plan import ENTRY, ENTRY_TABS, PULLED_COLUMNS

log = logging.getLogger("adda_dashboard.sheets")


@dataclass
class PullOutcome:
    applied: int = 0
    conflicts: int = 0


class SheetPull:
    def __init__(self, db: Database, mirror: SheetMirror, entries: EntryService) -> None:
        self._db = db
        self._mirror = mirror
        self._entries = entries
        self._scheduled_for = 0.0
        self._lock = threading.Lock()

    @property
    def period_s(self) -> int:
        return self._mirror.config.pull_seconds

    def run_due(self) -> PullOutcome | None:
        """The queue task: pull when this period's turn is free (one worker per period), then
        ask for the next turn."""
        if not self._mirror.config.enabled:
            return None
        now = utcnow()
        slack = timedelta(seconds=min(1.0, self.period_s / 5))
        with self._db.write() as session:
            claimed = sync.claim_due(
                session, sync.PULL, now + slack, now + timedelta(seconds=self.period_s)
            )
        outcome = None
        try:
            if claimed:
                outcome = self._pull_noting_outcome()
        finally:
            self.schedule_next()
        return outcome

    def schedule_next(self) -> None:
        """The next pull a period from now, unless this process already asked for one."""
        at = time.monotonic() + self.period_s
        with self._lock:
            if time.monotonic() < self._scheduled_for <= at:
                return
            self._scheduled_for = at
        self._mirror.queue.enqueue_in(PULL_TASK, float(self.period_s))

    def _pull_noting_outcome(self) -> PullOutcome:
        try:
            outcome = self.pull()
        except AppError as exc:
            log.warning("sheet_pull_failed: %s", exc)
            with self._db.write() as session:
                sync.note_outcome(session, sync.PULL, utcnow(), exc.message)
            return PullOutcome()
        with self._db.write() as session:
            sync.note_outcome(session, sync.PULL, utcnow(), None)
        return outcome

    def pull(self) -> PullOutcome:
        """Read both entry tabs once (reads only) and apply the editors' changes."""
        tabs = self._mirror.read_tabs(self._mirror.client(), set(ENTRY_TABS))
        typed: dict[int, tuple[TabKind, dict[str, str]]] = {}
        for kind, snapshot in tabs.items():
            columns = [col for col in PULLED_COLUMNS if col in snapshot.layout.positions]
            if not columns:
                continue
            for key, numbers in snapshot.row_numbers_by_key().items():
                if key.isdigit():
                    cells = snapshot.cells_at(numbers[0])
                    typed[int(key)] = (kind, {col: cells[col] for col in columns})
        with self._db.read() as session:
            rows = sync.live_entries_by_sr_nos(session, list(typed))
            states = sync.row_states(session, ENTRY, [row.id for row in rows])
        outcome = PullOutcome()
        for row in rows:
            kind, cells = typed[int(row.sr_no)]
            state = states.get(int(row.id))
            if state is not None and state[0] == kind.value:
                self._apply(row, cells, state, outcome)
        return outcome

    def _apply(
        self,
        row: Any,
        cells: Mapping[str, str],
        state: tuple[str, dict[str, str], int],
        outcome: PullOutcome,
    ) -> None:
        _tab, known, pushed_version = state
        app = to_columns(row)
        seen: dict[str, str] = {}
        changes: dict[str, str] = {}
        for col, value in cells.items():
            if value == known.get(col, ""):
                continue
            seen[col] = value
            if value == app[col]:
                continue
            if int(row.version) != pushed_version:
                self._conflict(row, col, value, app[col])
                outcome.conflicts += 1
            else:
                changes[col] = value
        version = None
        if changes:
            version = self._update(row, changes, outcome)
        if seen:
            with self._db.write() as session:
                sync.set_row_cells(session, ENTRY, int(row.id), seen, version)

    def _update(self, row: Any, changes: dict[str, str], outcome: PullOutcome) -> int | None:
        try:
            updated = self._entries.update(SHEET, int(row.id), changes, if_match=int(row.version))
        except AppError as exc:  # a value the app refuses, or the entry changed meanwhile
            for col, value in changes.items():
                self._conflict(row, col, value, to_columns(row)[col])
                outcome.conflicts += 1
            log.warning("sheet_pull_refused %s: %s", row.sr_no, exc)
            return None
        outcome.applied += len(changes)
        return int(updated[c.VERSION_KEY])

    def _conflict(self, row: Any, column: str, sheet_value: str, app_value: str) -> None:
        log.warning(
            "sheet_conflict Sr no. %s %r: the sheet says %r, the app %r (the app wins)",
            row.sr_no,
            column,
            sheet_value,
            app_value,
        )
        with self._db.write() as session:
            sync.add_conflict(
                session,
                entry_id=int(row.id),
                sr_no=int(row.sr_no),
                column=column,
                sheet_value=sheet_value,
                app_value=app_value,
                at=utcnow(),
            )
