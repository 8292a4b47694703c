"""What the mirror must write to make the spreadsheet's tabs match the database: a pure plan.

The push reads the affected tabs first (reads cost no write budget) and this module compares
what is there with what should be, by key (``Sr no.`` on the entry tabs, ``Ticket ID`` on the
tickets tab), so a push repeated after a crash (Google accepted, the outbox was not yet marked)
finds its rows already there and writes nothing twice:

* an entity whose tab has no row with its key is appended, in that tab's own column order;
* rows that hold its key in its tab are updated in place where a known column differs (only
  runs of known columns are written: a team's own columns are left alone);
* rows that hold its key in another tab (a status move) or in any tab once it is deleted are
  removed, bottom first within each tab, so no removal moves a row another one names.

Where a cell differs from what was last pushed *and* from what is pushed now, someone typed it
in the sheet: the database wins, and the plan says so (``overwritten``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from adda_dashboard.adapters.sheets.types import a1, column_letters, row_runs
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.sheet_tabs import TICKET_ID, Layout, TabKind

ENTRY = "entry"
TICKET = "ticket"
ENTRY_TABS = (TabKind.main, TabKind.reedit)
# The columns editors fill in the sheet, read back by the pull.
PULLED_COLUMNS = (c.EDITOR_BRIEF, c.FINAL_EDITED_LINK)


@dataclass(frozen=True)
class Wanted:
    """An entity as the sheet should show it: ``tab`` None when it should be in no tab."""

    entity: str
    entity_id: int
    key: str
    tab: TabKind | None
    cells: Mapping[str, str]
    version: int


@dataclass(frozen=True)
class TabSnapshot:
    """One tab as read: its title, gid, layout and rows (sheet row n is ``rows[n - 1]``)."""

    kind: TabKind
    title: str
    gid: int
    layout: Layout
    rows: Sequence[Sequence[str]]

    @property
    def key_column(self) -> str:
        return TICKET_ID if self.kind is TabKind.tickets else c.SR_NO

    def row_numbers_by_key(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        position = self.layout.positions.get(self.key_column)
        if position is None:
            return found
        for index in range(self.layout.header_row, len(self.rows)):
            row = self.rows[index]
            key = normal_key(row[position]) if position < len(row) else ""
            if key:
                found.setdefault(key, []).append(index + 1)
        return found

    def cells_at(self, row_number: int) -> dict[str, str]:
        return self.layout.values(self.rows[row_number - 1])


@dataclass(frozen=True)
class Overwritten:
    """A cell typed into the sheet that the push replaces with the database's value."""

    wanted: Wanted
    column: str
    sheet_value: str


@dataclass
class SheetWrites:
    updates: dict[str, list[list[str]]] = field(default_factory=dict)  # A1 range -> rows
    deletions: dict[int, list[int]] = field(default_factory=dict)  # gid -> sheet rows
    appends: dict[str, list[list[str]]] = field(default_factory=dict)  # title -> rows
    overwritten: list[Overwritten] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.updates or self.deletions or self.appends)

    def deletion_requests(self) -> list[dict[str, object]]:
        """One ``deleteDimension`` per run of adjacent rows, each tab's from the bottom up."""
        requests: list[dict[str, object]] = []
        for gid, numbers in self.deletions.items():
            for first, last in reversed(row_runs(sorted(set(numbers)))):
                span = {"sheetId": gid, "dimension": "ROWS", "startIndex": first - 1}
                requests.append({"deleteDimension": {"range": {**span, "endIndex": last}}})
        return requests


def normal_key(text: str) -> str:
    """A key cell as compared: trimmed, a leading ``'`` dropped, ``12.0`` read as ``12``."""
    text = text.strip().lstrip("'").strip()
    if text.endswith(".0") and text[:-2].isdigit():
        return text[:-2]
    return text


def tabs_of(entity: str) -> tuple[TabKind, ...]:
    return ENTRY_TABS if entity == ENTRY else (TabKind.tickets,)


def plan_writes(
    wanted: Sequence[Wanted],
    tabs: Mapping[TabKind, TabSnapshot],
    last_pushed: Mapping[tuple[str, int], Mapping[str, str]],
) -> SheetWrites:
    """The writes that make ``tabs`` show every ``wanted`` entity as it is now."""
    writes = SheetWrites()
    index = {kind: snapshot.row_numbers_by_key() for kind, snapshot in tabs.items()}
    for item in wanted:
        for kind in tabs_of(item.entity):
            snapshot = tabs.get(kind)
            if snapshot is None:
                continue
            numbers = index[kind].get(item.key, [])
            if kind is not item.tab:
                if numbers:
                    writes.deletions.setdefault(snapshot.gid, []).extend(numbers)
                continue
            if not numbers:
                writes.appends.setdefault(snapshot.title, []).append(new_row(snapshot, item))
                continue
            known = last_pushed.get((item.entity, item.entity_id))
            for number in numbers:
                _update_row(writes, snapshot, number, item, known)
    return writes


def new_row(snapshot: TabSnapshot, item: Wanted) -> list[str]:
    positions = snapshot.layout.positions
    row = [""] * (max(positions.values()) + 1)
    for column, position in positions.items():
        row[position] = item.cells.get(column, "")
    return row


def _update_row(
    writes: SheetWrites,
    snapshot: TabSnapshot,
    number: int,
    item: Wanted,
    known: Mapping[str, str] | None,
) -> None:
    current = snapshot.cells_at(number)
    changed = [col for col in current if current[col] != item.cells.get(col, "")]
    if not changed:
        return
    for col in changed:
        if known is not None and col in known and current[col] != known[col]:
            writes.overwritten.append(Overwritten(item, col, current[col]))
    by_position = {position: col for col, position in snapshot.layout.positions.items()}
    for first, last in row_runs(sorted(by_position)):
        run = [by_position[p] for p in range(first, last + 1)]
        if not any(col in changed for col in run):
            continue
        cells = f"{column_letters(first + 1)}{number}:{column_letters(last + 1)}{number}"
        writes.updates[a1(snapshot.title, cells)] = [[item.cells.get(col, "") for col in run]]


def whole_tab_rows(snapshot: TabSnapshot, items: Sequence[Wanted]) -> list[list[str]]:
    """Every row a tab rewritten whole holds below its header, in the tab's column order."""
    return [new_row(snapshot, item) for item in items]
