"""Operating the mirror: rewriting its tabs whole from the database (first setup, repair), its
status (``sheets status``, ``/health/detailed``, metrics) and the conflicts the app won."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from adda_dashboard.adapters.sheets import SheetsClient, SheetsRefused, a1, column_letters
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import sheet_outbox as outbox
from adda_dashboard.db.repositories import sheet_sync as sync
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.sheet_tabs import Layout, TabKind, find_layout, tabs_by_gid
from adda_dashboard.errors import AppError
from adda_dashboard.services import sheet_states
from adda_dashboard.services.sheet_mirror import SheetMirror
from adda_dashboard.services.sheet_plan import TabSnapshot, Wanted, whole_tab_rows

STALE_AFTER = timedelta(minutes=10)
MIRRORED_TABS = (TabKind.main, TabKind.reedit, TabKind.tickets)
# The header a mirrored tab is given when it has none (columns.md: the order this service fixes).
DEFAULT_HEADERS = {
    TabKind.main: c.MAIN_COLUMNS,
    TabKind.reedit: c.REEDIT_COLUMNS,
    TabKind.tickets: c.TICKET_COLUMNS,
}


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class MirrorStatus:
    enabled: bool
    pending: int
    failing: int
    oldest_pending_at: datetime | None
    last_push_at: datetime | None
    last_push_failed_at: datetime | None
    last_push_error: str | None
    last_pull_at: datetime | None
    last_pull_failed_at: datetime | None
    last_pull_error: str | None

    @property
    def oldest_age_s(self) -> float:
        if self.oldest_pending_at is None:
            return 0.0
        return max(0.0, (utcnow() - self.oldest_pending_at).total_seconds())

    @property
    def problems(self) -> list[str]:
        """Why the mirror is degraded: a change waiting too long, or a last call that failed."""
        found = []
        if self.oldest_age_s > STALE_AFTER.total_seconds():
            found.append(f"the oldest change has waited {self.oldest_age_s / 60:.0f} minutes")
        for name, ok, failed, error in (
            ("push", self.last_push_at, self.last_push_failed_at, self.last_push_error),
            ("pull", self.last_pull_at, self.last_pull_failed_at, self.last_pull_error),
        ):
            if failed is not None and (ok is None or failed > ok):
                found.append(f"the last {name} failed: {error}")
        return found

    def as_dict(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment is not None else None

        return {
            "mirror": "on" if self.enabled else "off",
            "pending": self.pending,
            "failing": self.failing,
            "oldest_pending_age_seconds": round(self.oldest_age_s, 1),
            "last_push_at": when(self.last_push_at),
            "last_push_error": self.last_push_error,
            "last_pull_at": when(self.last_pull_at),
            "last_pull_error": self.last_pull_error,
            "problems": self.problems,
        }


class SheetMirrorAdmin:
    def __init__(self, db: Database, mirror: SheetMirror) -> None:
        self._db = db
        self._mirror = mirror

    def status(self) -> MirrorStatus:
        with self._db.read() as session:
            depth = outbox.depth(session)
            push = sync.state(session, sync.PUSH)
            pull = sync.state(session, sync.PULL)
            return MirrorStatus(
                enabled=self._mirror.config.enabled,
                pending=depth.count,
                failing=depth.failing,
                oldest_pending_at=_aware(depth.oldest_at),
                last_push_at=_aware(push.last_success_at) if push else None,
                last_push_failed_at=_aware(push.last_failure_at) if push else None,
                last_push_error=push.last_error if push else None,
                last_pull_at=_aware(pull.last_success_at) if pull else None,
                last_pull_failed_at=_aware(pull.last_failure_at) if pull else None,
                last_pull_error=pull.last_error if pull else None,
            )

    def conflicts(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._db.read() as session:
            found = sync.recent_conflicts(session, limit)
            return [
                {
                    "entry_id": row.entry_id,
                    "sr_no": row.sr_no,
                    "column": row.column,
                    "sheet_value": row.sheet_value,
                    "app_value": row.app_value,
                    "at": _aware(row.at),
                }
                for row in found
            ]

    # The whole rewrite -------------------------------------------------------------------------

    def rewrite(self) -> dict[str, int]:
        """Every live entry and ticket into the main, Drive Links and tickets tabs, each below
        its own header row (a tab without one gets the contract's); the credentials tab is
        never touched. Holds the push's lease, and settles the outbox rows it covered."""
        owner = f"rewrite-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if not self._mirror.take_lease(owner):
            raise SheetsRefused("a push is running; try again in a minute")
        try:
            return self._rewrite(owner)
        except AppError as exc:  # a failed push, as ``sheets status`` and the health say
            with self._db.write() as session:
                sync.note_outcome(session, sync.PUSH, utcnow(), exc.message)
            raise
        finally:
            with self._db.write() as session:
                sync.release_lease(session, sync.PUSH, owner)

    def _rewrite(self, owner: str) -> dict[str, int]:
        started = utcnow()
        client = self._mirror.client()
        tabs, missing_headers, sizes = self._tabs_for_rewrite(client)
        with self._db.read() as session:
            entries = [sheet_states.entry_wanted(r) for r in sync.live_entries_by_sr_no(session)]
            tickets = [sheet_states.ticket_wanted(t) for t in sync.tickets_by_ids(session, None)]
        items: dict[TabKind, list[Wanted]] = {kind: [] for kind in MIRRORED_TABS}
        for item in [*entries, *tickets]:
            if item.tab is not None:
                items[item.tab].append(item)
        clears, data = [], {}
        for kind, snapshot in tabs.items():
            first = snapshot.layout.header_row + 1
            rows, columns = sizes[kind]
            clears.append(a1(snapshot.title, f"A{first}:{column_letters(columns)}{rows}"))
            if kind in missing_headers:
                data[a1(snapshot.title, "A1")] = [list(DEFAULT_HEADERS[kind])]
            if items[kind]:
                data[a1(snapshot.title, f"A{first}")] = whole_tab_rows(snapshot, items[kind])
        self._mirror.write("values.batchClear", owner, lambda: client.clear_ranges(clears))
        self._mirror.write("values.batchUpdate", owner, lambda: client.update_ranges(data))
        self._settle([*entries, *tickets], started)
        return {tabs[kind].title: len(items[kind]) for kind in tabs}

    def _tabs_for_rewrite(
        self, client: SheetsClient
    ) -> tuple[dict[TabKind, TabSnapshot], set[TabKind], dict[TabKind, tuple[int, int]]]:
        info = client.metadata()
        gids = {k: g for k, g in self._mirror.config.gids.items() if k in MIRRORED_TABS}
        try:
            titles = tabs_by_gid([(t.gid, t.title) for t in info.tabs], gids)
        except AppError as exc:
            raise SheetsRefused(exc.message) from None
        tables = client.read_tabs([titles[kind] for kind in MIRRORED_TABS])
        tabs, missing, sizes = {}, set(), {}
        for kind in MIRRORED_TABS:
            title = titles[kind]
            tab = info.tab_by_title(title)
            assert tab is not None
            table = tables[title]
            if not any(any(cell.strip() for cell in row) for row in table):
                layout = Layout(1, {name: i for i, name in enumerate(DEFAULT_HEADERS[kind])})
                missing.add(kind)
            else:
                try:
                    layout = find_layout(kind, title, table)
                except AppError as exc:
                    raise SheetsRefused(exc.message) from None
            tabs[kind] = TabSnapshot(kind, title, tab.gid, layout, table)
            sizes[kind] = (max(tab.row_count, len(table)), max(tab.column_count, 26))
        return tabs, missing, sizes

    def _settle(self, wanted: Sequence[Wanted], started: datetime) -> None:
        now = utcnow()
        with self._db.write() as session:
            sync.delete_all_row_states(session)
            sheet_states.remember(session, wanted, now)
            outbox.delete_created_before(session, started)
            sync.note_outcome(session, sync.PUSH, now, None)
