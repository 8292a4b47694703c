"""Import and export of entries as CSV or XLSX files with the sheet's own column headers.

Export writes what ``/api/data`` lists, as the main tab's twelve columns. Import checks every row
with the API's rules (``domain/entry_rules``), so no file can store what the API would refuse;
it writes a file whole or not at all, and it is keyed by ``Sr no.``, so importing a file again
updates the entries it created instead of duplicating them.

The spreadsheet import (``services/sheet_import``) reads its two entry tabs into the same
``ImportRow``s and goes through the same planning and writing: ``plan_entries`` says what each
row would do (insert, update, unchanged) reading only, ``apply_entries`` does exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from adda_dashboard.adapters.table_files import read_table, write_table
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import audit, counters
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.entry_rules import EDITABLE_COLUMNS, parse_fields, validate_entry
from adda_dashboard.domain.records import ATTRIBUTE_OF, to_attributes, to_columns
from adda_dashboard.domain.roles import SYSTEM, Actor, Role
from adda_dashboard.domain.taxonomy import Taxonomy
from adda_dashboard.errors import AppError, Conflict, Forbidden, Invalid
from adda_dashboard.services.entries import ENTITY, EntryService, bump_dataset_version
from adda_dashboard.services.taxonomy import TaxonomyService

# A file has at least the re-edit tab's ten columns; these two of the main tab's may be absent.
OPTIONAL_COLUMNS = tuple(col for col in c.MAIN_COLUMNS if col not in c.REEDIT_COLUMNS)
# The original skips a row when all of these are empty (columns.md §2, "Row filtering").
BLANK_ROW_COLUMNS = (c.VERTICAL, c.EMAIL, c.EXAM, c.SUBJECT, c.CONTENT_TYPE)
MAX_SR_NO = 2**63 - 1  # the column is a signed 64-bit integer
_WHOLE_NUMBER = re.compile(r"^([0-9]+)(?:\.0*)?$")  # a sheet may hand back 12 as "12.0"


class RowError(NamedTuple):
    """A refused row: ``line`` 1 is the header row, so the first data row is line 2."""

    line: int
    field: str | None
    message: str


@dataclass
class ImportResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_blank: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ImportRow:
    line: int
    sr_no: int | None
    record: dict[str, str]  # validated, every editable column
    kept: frozenset[str] = frozenset()  # columns the table lacks: an update keeps stored values


@dataclass(frozen=True)
class EntryChange:
    """What importing one row does: insert (no ``current``), update (``changes``) or nothing."""

    row: ImportRow
    current: Row[Any] | None
    changes: dict[str, tuple[str, str]]

    @property
    def action(self) -> str:
        if self.current is None:
            return "insert"
        return "update" if self.changes else "unchanged"


def entry_changes(current: Row[Any], row: ImportRow) -> dict[str, tuple[str, str]]:
    """(stored, imported) of each column the row changes."""
    before = to_columns(current)
    after = {**row.record, **{col: before[col] for col in row.kept}}
    return {col: (before[col], after[col]) for col in before if after[col] != before[col]}


def parse_entry(values: Mapping[str, str], taxonomy: Taxonomy) -> tuple[int | None, dict[str, str]]:
    """A row's ``Sr no.`` and its entry, checked by the API's rules (``AppError`` if refused)."""
    sr_no = parse_sr_no(values.get(c.SR_NO, ""))
    return sr_no, validate_entry(parse_fields(values, allowed=EDITABLE_COLUMNS), taxonomy)


def parse_sr_no(raw: str) -> int | None:
    """The row's import key; ``None`` when empty (the server then numbers the entry)."""
    text = raw.strip().removeprefix("'").strip()
    if not text:
        return None
    match = _WHOLE_NUMBER.match(text)
    number = int(match.group(1)) if match else 0
    if not 1 <= number <= MAX_SR_NO:
        raise Invalid(
            f"'{c.SR_NO}' must be a whole number of 1 or more, not {raw!r}", field=c.SR_NO
        )
    return number


def check_header(table: list[list[str]], file_name: str) -> list[str]:
    """Row 1, refused unless it names known columns, each once, including all required ones."""
    if not table or not any(cell.strip() for cell in table[0]):
        raise Invalid(f"'{file_name}' has no header row", field="file")
    header = table[0]
    seen: set[str] = set()
    for position, name in enumerate(header, 1):
        if not name:
            continue  # a column without a header may only hold empty cells (checked per row)
        if name not in c.MAIN_COLUMNS:
            raise Invalid(
                f"unknown column {name!r} (column {position}); the columns are, spelled exactly: "
                + ", ".join(c.MAIN_COLUMNS),
                field=name,
            )
        if name in seen:
            raise Invalid(f"column {name!r} appears twice in the header row", field=name)
        seen.add(name)
    missing = [col for col in c.REEDIT_COLUMNS if col not in seen]
    if missing:
        raise Invalid(
            f"missing column(s): {', '.join(missing)}; a file needs {', '.join(c.REEDIT_COLUMNS)}"
            f" and may add {' and '.join(OPTIONAL_COLUMNS)}",
            field=missing[0],
        )
    return header


def row_values(header: Sequence[str], cells: Sequence[str]) -> dict[str, str]:
    """The row keyed by column name; a value under no header is refused."""
    values: dict[str, str] = {}
    for index, value in enumerate(cells):
        name = header[index] if index < len(header) else ""
        if name:
            values[name] = value
        elif value.strip():
            raise Invalid(f"column {index + 1} has no header but holds {value[:40]!r}")
    return values


def is_blank(values: dict[str, str]) -> bool:
    return not any(values.get(col, "").strip() for col in BLANK_ROW_COLUMNS)


def export_row(row: Row[Any]) -> list[str]:
    return [
        str(row.sr_no) if col == c.SR_NO else getattr(row, ATTRIBUTE_OF[col])
        for col in c.MAIN_COLUMNS
    ]


class TransferService:
    def __init__(self, db: Database, taxonomy: TaxonomyService, entries: EntryService) -> None:
        self._db = db
        self._taxonomy = taxonomy
        self._entries = entries

    def export_entries(self, path: Path) -> int:
        """Write every live entry in the order ``/api/data`` lists them; returns how many."""
        with self._db.read() as session:
            rows = entries_repo.list_live_in_legacy_order(session)
        write_table(path, c.MAIN_COLUMNS, (export_row(row) for row in rows))
        return len(rows)

    def import_entries(self, path: Path, actor: Actor = SYSTEM) -> ImportResult:
        """Check every row, then write them all in one transaction, or none if any is bad.

        A file that cannot be read as a table of known columns raises ``Invalid``; bad rows are
        returned in ``ImportResult.errors`` with their line numbers.
        """
        if not actor.at_least(Role.editor):
            raise Forbidden("Only an editor or an admin may import entries")
        table = read_table(path)
        header = check_header(table, path.name)
        result = ImportResult()
        rows = self._parse_rows(header, table, result)
        with self._db.write() as session:
            # A no-op bump takes the serial counter's row lock: no entry numbered by the server
            # can appear between the checks below and the commit.
            counters.increment(session, counters.SR_NO, by=0)
            plan = self.plan_entries(session, rows, lambda _row, error: result.errors.append(error))
            if result.errors:
                result.errors.sort(key=lambda error: error.line)
                return result
            self.apply_entries(session, actor, plan)
        actions = [change.action for change in plan]
        result.inserted = actions.count("insert")
        result.updated = actions.count("update")
        result.unchanged = actions.count("unchanged")
        return result

    def _parse_rows(
        self, header: list[str], table: list[list[str]], result: ImportResult
    ) -> list[ImportRow]:
        taxonomy = self._taxonomy.current
        kept = frozenset(col for col in OPTIONAL_COLUMNS if col not in header)
        rows: list[ImportRow] = []
        first_line_of: dict[int, int] = {}
        for line, cells in enumerate(table[1:], start=2):
            try:
                values = row_values(header, cells)
                if is_blank(values):
                    result.skipped_blank += 1
                    continue
                sr_no, record = parse_entry(values, taxonomy)
            except AppError as exc:
                result.errors.append(RowError(line, exc.field, exc.message))
                continue
            if sr_no is not None:
                if sr_no in first_line_of:
                    message = f"'{c.SR_NO}' {sr_no} is already used on line {first_line_of[sr_no]}"
                    result.errors.append(RowError(line, c.SR_NO, message))
                    continue
                first_line_of[sr_no] = line
            rows.append(ImportRow(line, sr_no, record, kept))
        return rows

    def plan_entries(
        self,
        session: Session,
        rows: Sequence[ImportRow],
        refuse: Callable[[ImportRow, RowError], None],
    ) -> list[EntryChange]:
        """What importing each row would do, reading only; a row naming a deleted entry is
        refused (``refuse``) and left out."""
        plan: list[EntryChange] = []
        for row in rows:
            current = entries_repo.get_by_sr_no(session, row.sr_no) if row.sr_no else None
            if current is not None and current.deleted_at is not None:
                message = (
                    f"'{c.SR_NO}' {row.sr_no} belongs to a deleted entry; restore it first "
                    f"or leave '{c.SR_NO}' empty to add a new entry"
                )
                refuse(row, RowError(row.line, c.SR_NO, message))
                continue
            changes = entry_changes(current, row) if current is not None else {}
            plan.append(EntryChange(row, current, changes))
        return plan

    def apply_entries(self, session: Session, actor: Actor, plan: Sequence[EntryChange]) -> None:
        """Write a plan made in this same transaction, each change audited."""
        # Raised first, so the serials given to rows without one never meet the file's own.
        highest = max((ch.row.sr_no for ch in plan if ch.row.sr_no is not None), default=0)
        counters.raise_to_at_least(session, counters.SR_NO, highest)
        for change in plan:
            if change.current is None:
                self._entries.insert_validated(
                    session, actor, change.row.record, sr_no=change.row.sr_no
                )
            elif change.changes:
                self._update(session, actor, change.current, change.row.sr_no, change.changes)

    def _update(
        self,
        session: Session,
        actor: Actor,
        current: Row[Any],
        sr_no: int | None,
        changes: dict[str, tuple[str, str]],
    ) -> None:
        updated = entries_repo.update_if_version(
            session,
            current.id,
            to_attributes({col: new for col, (_old, new) in changes.items()}),
            current.version,
        )
        if updated is None:
            raise Conflict(
                f"The entry with '{c.SR_NO}' {sr_no} changed during the import; import again",
                field=c.SR_NO,
            )
        audit.append(
            session,
            entity=ENTITY,
            entity_id=current.id,
            action="update",
            actor=actor,
            changes={col: {"from": old, "to": new} for col, (old, new) in changes.items()},
        )
        bump_dataset_version(session)
