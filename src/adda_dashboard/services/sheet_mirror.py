"""The live mirror (``ADDA_SHEETS_MIRROR``): the queue worker makes the spreadsheet match the
database, change by change, from the outbox that every committed change fills.

Invariants, each held in one place:

* **Nothing lost.** An outbox row is deleted only after Google accepted every write of its
  batch; a failed batch keeps its rows, with one more attempt, the next try's time and the
  error. A worker killed at any moment leaves the rows, and its lease runs out.
* **Nothing doubled.** Each batch reads the affected tabs first and decides append, update or
  delete from what is there (``sheet_plan``), so a batch repeated after Google accepted it
  appends nothing again.
* **One pusher at a time.** The push holds a lease (a conditional update of the ``push`` state
  row), renewed before each write and while it waits; no two workers push the same rows, nor
  race one entry's row. A push that outlived its lease (Google slow to answer) and finds it
  taken over sends nothing more: its plan is from a read the new holder has written over.
* **Within the budget.** Every write request first takes a slot of ``WriteBudget`` (at most
  ``ADDA_SHEETS_WRITES_PER_MINUTE``, across workers through Redis). A batch costs at most one
  ``values:batchUpdate``, one ``:batchUpdate`` of row deletions and one append per tab.
* **The database wins.** Rows are written from the entity's state now, whatever the sheet
  holds; a cell that someone typed there since the last push is logged, and for the editors'
  columns recorded as a conflict.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from adda_dashboard.adapters.metrics import instruments
from adda_dashboard.adapters.queue import JobQueue
from adda_dashboard.adapters.rate_limits import WriteBudget
from adda_dashboard.adapters.sheets import SheetsClient, SheetsRefused, SheetsUnavailable
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import sheet_outbox as outbox
from adda_dashboard.db.repositories import sheet_sync as sync
from adda_dashboard.domain.sheet_tabs import TabKind, find_layout, tabs_by_gid
from adda_dashboard.errors import AppError
from adda_dashboard.services import sheet_states
from adda_dashboard.services.sheet_plan import (
    ENTRY,
    PULLED_COLUMNS,
    SheetWrites,
    TabSnapshot,
    Wanted,
    plan_writes,
)

log = logging.getLogger("adda_dashboard.sheets")

PUSH_TASK = "push_sheet"
PULL_TASK = "pull_sheet"
TICK_TASK = "sheet_tick"
# A write's push is asked for this long after its commit, so a burst becomes one batch.
PUSH_DELAY_S = 0.3
MAX_BATCHES_PER_RUN = 20
RETRY_ATTEMPTS = 4  # within one run, waits of about 1, 2 and 4 s (with jitter)
MAX_NEXT_TRY_S = 300


class LeaseLost(SheetsRefused):
    """Another worker took the push over: it has read the tabs since, and pushes these rows."""


@dataclass(frozen=True)
class MirrorConfig:
    enabled: bool
    gids: dict[TabKind, int]
    batch_size: int = 500
    lease_seconds: int = 120
    pull_seconds: int = 60
    retry_first_wait_s: float = 1.0


class SheetMirror:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        client: Callable[[], SheetsClient],
        budget: WriteBudget,
        config: MirrorConfig,
    ) -> None:
        self._db = db
        self.queue = queue
        self.client = client
        self._budget = budget
        self.config = config
        self._scheduled_for = 0.0  # monotonic time of this process's next asked-for push
        self._schedule_lock = threading.Lock()

    # Scheduling ---------------------------------------------------------------------------------

    def on_commit(self, info: dict[str, Any]) -> None:
        """After a commit that wrote an outbox row: ask the queue for a push (once per burst)."""
        if info.get(outbox.WROTE_FLAG):
            self.schedule_push(PUSH_DELAY_S)

    def schedule_push(self, delay_s: float) -> None:
        """A push ``delay_s`` from now, unless this process already asked for one by then."""
        at = time.monotonic() + delay_s
        with self._schedule_lock:
            if time.monotonic() <= self._scheduled_for <= at:
                return
            self._scheduled_for = at
        self.queue.enqueue_in(PUSH_TASK, max(0.0, delay_s))

    def kick(self) -> None:
        """At a worker's start: push what waits (a worker that died may have left rows)."""
        if self.config.enabled:
            self.schedule_push(0.0)
            self.queue.enqueue_in(PULL_TASK, 0.0)

    # The push -----------------------------------------------------------------------------------

    def push_pending(self) -> int:
        """Push batches until the outbox has nothing due; returns the changes pushed."""
        if not self.config.enabled:
            return 0
        owner = f"{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}"
        if not self.take_lease(owner):
            self.schedule_push(self.config.lease_seconds / 2)  # in case its holder died
            return 0
        pushed = 0
        try:
            for _ in range(MAX_BATCHES_PER_RUN):
                with self._db.read() as session:
                    pending = outbox.oldest_due(session, utcnow(), self.config.batch_size)
                if not pending:
                    break
                if not self._push_with_retries(pending, owner):
                    break
                pushed += len(pending)
            else:
                self.schedule_push(0.0)
        finally:
            with self._db.write() as session:
                sync.release_lease(session, sync.PUSH, owner)
            self._report_depth()
        return pushed

    def take_lease(self, owner: str) -> bool:
        """Hold the push's lease (renewed when held already)."""
        now = utcnow()
        until = now + timedelta(seconds=self.config.lease_seconds)
        with self._db.write() as session:
            return sync.take_lease(session, sync.PUSH, owner, now, until)

    def _renew(self, owner: str) -> None:
        until = utcnow() + timedelta(seconds=self.config.lease_seconds)
        with self._db.write() as session:
            held = sync.renew_lease(session, sync.PUSH, owner, until)
        if not held:
            raise LeaseLost("another worker took over the push (this one outlived its lease)")

    def _push_with_retries(self, pending: Sequence[outbox.Pending], owner: str) -> bool:
        """One batch, tried again after 429/5xx/no connection; False when it failed for now."""
        first = self.config.retry_first_wait_s
        retrying = Retrying(
            retry=retry_if_exception_type(SheetsUnavailable),
            stop=stop_after_attempt(RETRY_ATTEMPTS),
            wait=wait_exponential_jitter(initial=first, max=8 * first, jitter=first),
            reraise=True,
        )
        try:
            retrying(lambda: self._push_batch(pending, owner))
        except LeaseLost as exc:  # not a failure: the rows are the new holder's to push
            log.warning("sheet_push_stopped: %s", exc)
            return False
        except AppError as exc:
            self._failed(pending, exc)
            return False
        instruments().sheet_pushes.labels("success").inc()
        return True

    def _push_batch(self, pending: Sequence[outbox.Pending], owner: str) -> None:
        keys = list(dict.fromkeys((row.entity, row.entity_id) for row in pending))
        with self._db.read() as session:
            wanted = sheet_states.wanted_for(session, keys)
            known = sheet_states.known_cells(session, keys)
        client = self.client()
        kinds = {kind for item in wanted for kind in sheet_states.kinds_of(item)}
        tabs = self.read_tabs(client, kinds)
        writes = plan_writes(wanted, tabs, known)
        self._send(client, writes, owner)
        self._done(pending, wanted, writes)

    def read_tabs(self, client: SheetsClient, kinds: set[TabKind]) -> dict[TabKind, TabSnapshot]:
        """The tabs of these kinds as they are now (two reads: the titles, then the rows)."""
        info = client.metadata()
        pairs = [(tab.gid, tab.title) for tab in info.tabs]
        gids = {kind: gid for kind, gid in self.config.gids.items() if kind in kinds}
        try:
            titles = tabs_by_gid(pairs, gids)
        except AppError as exc:
            raise SheetsRefused(exc.message) from None
        tables = client.read_tabs([titles[kind] for kind in gids])
        snapshots = {}
        for kind, title in titles.items():
            try:
                layout = find_layout(kind, title, tables[title])
            except AppError as exc:
                raise SheetsRefused(
                    f"{exc.message}; run 'adda-dashboard sheets push' to write the headers"
                ) from None
            gid = info.tab_by_title(title).gid  # type: ignore[union-attr]
            snapshots[kind] = TabSnapshot(kind, title, gid, layout, tables[title])
        return snapshots

    def _send(self, client: SheetsClient, writes: SheetWrites, owner: str) -> None:
        """Updates first (row numbers as read), then deletions bottom up, then appends."""
        if writes.updates:
            self.write("values.batchUpdate", owner, lambda: client.update_ranges(writes.updates))
        if writes.deletions:
            requests = writes.deletion_requests()
            self.write("batchUpdate", owner, lambda: client.batch_update(requests))
        for title, rows in writes.appends.items():
            self.write("values.append", owner, lambda t=title, r=rows: client.append_rows(t, r))

    def write(self, method: str, owner: str, call: Callable[[], object]) -> None:
        """One write request, sent once the budget has room (the lease renewed meanwhile) and
        only while this push still holds the lease."""
        self._budget.take(on_wait=lambda: self._renew(owner))
        self._renew(owner)
        instruments().sheet_write_requests.labels(method).inc()
        call()

    def _done(
        self, pending: Sequence[outbox.Pending], wanted: Sequence[Wanted], writes: SheetWrites
    ) -> None:
        now = utcnow()
        for cell in writes.overwritten:
            item = cell.wanted
            log.warning(
                "sheet_cell_overwritten %s %s %r: the sheet held %r, the database %r",
                item.entity,
                item.key,
                cell.column,
                cell.sheet_value,
                item.cells.get(cell.column, ""),
            )
        with self._db.write() as session:
            for cell in writes.overwritten:
                if cell.wanted.entity == ENTRY and cell.column in PULLED_COLUMNS:
                    sync.add_conflict(
                        session,
                        entry_id=cell.wanted.entity_id,
                        sr_no=int(cell.wanted.key),
                        column=cell.column,
                        sheet_value=cell.sheet_value,
                        app_value=cell.wanted.cells.get(cell.column, ""),
                        at=now,
                    )
            sheet_states.remember(session, wanted, now)
            outbox.delete_ids(session, [row.id for row in pending])
            sync.note_outcome(session, sync.PUSH, now, None)

    def _failed(self, pending: Sequence[outbox.Pending], exc: AppError) -> None:
        attempts = 1 + max(row.attempts for row in pending)
        wait = min(MAX_NEXT_TRY_S, self.config.retry_first_wait_s * 2**attempts)
        wait *= 1 + random.random() / 4  # jitter
        retry_after = getattr(exc, "retry_after", None)
        wait = max(wait, float(retry_after or 0))
        now = utcnow()
        log.warning("sheet_push_failed (attempt %d, next in %.0fs): %s", attempts, wait, exc)
        with self._db.write() as session:
            outbox.note_failure(
                session,
                [row.id for row in pending],
                next_try_at=now + timedelta(seconds=wait),
                error=exc.message,
            )
            sync.note_outcome(session, sync.PUSH, now, exc.message)
        instruments().sheet_pushes.labels("failure").inc()
        self.schedule_push(wait)

    def _report_depth(self) -> None:
        with self._db.read() as session:
            depth = outbox.depth(session)
        metrics = instruments()
        metrics.sheet_outbox_depth.set(depth.count)
        age = (utcnow() - _aware(depth.oldest_at)).total_seconds() if depth.oldest_at else 0.0
        metrics.sheet_outbox_oldest_age.set(max(0.0, age))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
