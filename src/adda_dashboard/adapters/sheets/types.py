"""What the Sheets adapter hands back and raises, and the A1 notation it speaks.

Kept apart from the client so that callers (the import, the mirror) can name these without
loading Google's libraries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adda_dashboard.errors import AppError

UPDATED_RANGE = re.compile(r"![A-Z]*(\d+)(?::[A-Z]*(\d+))?$")


class SheetsError(AppError):
    """Google Sheets could not do what was asked."""

    status_code = 502
    code = "sheets_error"


class SheetsUnavailable(SheetsError):
    """Transient: rate limited (429), a server error (5xx) or no connection. ``retry_after`` is
    Google's hint in seconds, when it gave one."""

    status_code = 503
    code = "sheets_unavailable"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, field="spreadsheet")
        self.retry_after = retry_after


class SheetsRefused(SheetsError):
    """Permanent: trying again will not help until someone changes the sheet or the settings."""

    code = "sheets_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="spreadsheet")


class SheetsNotConfigured(SheetsRefused):
    status_code = 503
    code = "sheets_not_configured"


def not_configured() -> SheetsNotConfigured:
    return SheetsNotConfigured(
        "ADDA_SHEETS_SPREADSHEET_ID is not set: give the id from the spreadsheet's address "
        "(docs.google.com/spreadsheets/d/<id>/edit)"
    )


@dataclass(frozen=True)
class RetryPolicy:
    """How reads are retried: ``attempts`` in all, waits doubling from ``first_wait_s`` (with
    random jitter of as much again) up to ``max_wait_s``."""

    attempts: int = 5
    first_wait_s: float = 1.0
    max_wait_s: float = 30.0


@dataclass(frozen=True)
class TabInfo:
    gid: int
    title: str
    index: int
    row_count: int
    column_count: int


@dataclass(frozen=True)
class SpreadsheetInfo:
    spreadsheet_id: str
    title: str
    tabs: tuple[TabInfo, ...]

    def tab_by_gid(self, gid: int) -> TabInfo | None:
        return next((tab for tab in self.tabs if tab.gid == gid), None)

    def tab_by_title(self, title: str) -> TabInfo | None:
        return next((tab for tab in self.tabs if tab.title == title), None)


@dataclass(frozen=True)
class AppendedRows:
    """Where an append landed: sheet row numbers (1 = the first row), both included."""

    first_row: int
    last_row: int


def a1(title: str, cells: str = "") -> str:
    """A range in A1 notation: the tab's title quoted (``'` doubled), then ``!cells`` if any."""
    quoted = "'" + title.replace("'", "''") + "'"
    return f"{quoted}!{cells}" if cells else quoted


def column_letters(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def rows_of(value_range: Mapping[str, Any]) -> list[list[str]]:
    """A value range's rows as text; the API leaves out trailing empty cells and rows."""
    return [
        [cell if isinstance(cell, str) else str(cell) for cell in row]
        for row in value_range.get("values", [])
    ]


def row_runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted numbers as (first, last) runs of adjacent values."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs
