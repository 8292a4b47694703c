"""The Sheets stand-in's model of a spreadsheet: tabs as grids of cells, and A1 notation.

Pure data and rules, no HTTP: ranges are parsed as the API parses them (``'Drive Links'!A1:Z``,
``Tickets!A2:G9``, ``'It''s'!3:5``, a bare title for the whole tab, bare cells for the first tab);
reads are clamped to the grid and leave out trailing empty cells and rows, as the API does;
writes grow the grid. A ``GridError`` carries the status and message the API would answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
_CELL = re.compile(r"^([A-Za-z]*)([0-9]*)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class GridError(Exception):
    def __init__(self, status: int, message: str, google_status: str = "INVALID_ARGUMENT") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.google_status = google_status


@dataclass
class Tab:
    gid: int
    title: str
    rows: list[list[Any]] = field(default_factory=list)
    row_count: int = DEFAULT_ROWS
    column_count: int = DEFAULT_COLUMNS

    def cell(self, row: int, column: int) -> Any:
        """The value at 1-based (row, column); ``""`` where nothing was written."""
        if row - 1 < len(self.rows) and column - 1 < len(self.rows[row - 1]):
            return self.rows[row - 1][column - 1]
        return ""

    def set(self, row: int, column: int, value: Any) -> None:
        while len(self.rows) < row:
            self.rows.append([])
        cells = self.rows[row - 1]
        while len(cells) < column:
            cells.append("")
        cells[column - 1] = value
        self.row_count = max(self.row_count, row)
        self.column_count = max(self.column_count, column)

    def last_data_row(self) -> int:
        for index in range(len(self.rows), 0, -1):
            if any(not is_empty(value) for value in self.rows[index - 1]):
                return index
        return 0


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    tabs: list[Tab] = field(default_factory=list)


@dataclass(frozen=True)
class Bounds:
    """1-based and inclusive; ``None`` is open (to the grid's end)."""

    first_row: int
    first_column: int
    last_row: int | None
    last_column: int | None
    single_cell: bool = False  # "A1": for a write, only where it starts (as the API takes it)


def is_empty(value: Any) -> bool:
    return value is None or value == ""


def letters(number: int) -> str:
    text = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def column_number(text: str) -> int:
    number = 0
    for char in text.upper():
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def quote_title(title: str) -> str:
    """As the API writes a title in the ranges it answers: quoted only when it must be."""
    return title if _PLAIN_TITLE.match(title) else "'" + title.replace("'", "''") + "'"


def split_title(text: str) -> tuple[str | None, str]:
    """(title or None, cells) of a range; a quoted title may hold anything, ``''`` for ``'``."""
    if text.startswith("'"):
        index, title = 1, []
        while index < len(text):
            if text[index] == "'":
                if text[index + 1 : index + 2] == "'":
                    title.append("'")
                    index += 2
                    continue
                rest = text[index + 1 :]
                if rest and not rest.startswith("!"):
                    break
                return "".join(title), rest[1:]
            title.append(text[index])
            index += 1
        raise GridError(400, f"Unable to parse range: {text}")
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    return None, text


def parse_cells(text: str, full: str) -> Bounds:
    if not text:
        return Bounds(1, 1, None, None)
    start, colon, end = text.partition(":")
    first = _CELL.match(start)
    last = _CELL.match(end) if colon else first
    if not first or not last or not (start and (end or not colon)):
        raise GridError(400, f"Unable to parse range: {full}")
    if not colon and not (first.group(1) and first.group(2)):
        raise GridError(400, f"Unable to parse range: {full}")
    return Bounds(
        first_row=int(first.group(2) or 1),
        first_column=column_number(first.group(1)) if first.group(1) else 1,
        last_row=int(last.group(2)) if last.group(2) else None,
        last_column=column_number(last.group(1)) if last.group(1) else None,
        single_cell=not colon,
    )


def resolve(text: str, tabs: list[Tab]) -> tuple[Tab, Bounds]:
    """The tab and bounds a range names; a bare name is a tab's title when one has it."""
    title, cells = split_title(text)
    if title is None and any(tab.title == text for tab in tabs):
        title, cells = text, ""
    if title is None:
        if not tabs:
            raise GridError(400, f"Unable to parse range: {text}")
        return tabs[0], parse_cells(cells, text)
    tab = next((t for t in tabs if t.title == title), None)
    if tab is None:
        raise GridError(400, f"Unable to parse range: {text}")
    return tab, parse_cells(cells, text)


def clamp(tab: Tab, bounds: Bounds, text: str) -> tuple[int, int, int, int]:
    """The bounds within the grid; a range starting outside it is refused as the API does."""
    if bounds.first_row > tab.row_count or bounds.first_column > tab.column_count:
        raise GridError(
            400,
            f"Range ({text}) exceeds grid limits. Max rows: {tab.row_count}, "
            f"max columns: {tab.column_count}",
        )
    last_row = min(bounds.last_row or tab.row_count, tab.row_count)
    last_column = min(bounds.last_column or tab.column_count, tab.column_count)
    return bounds.first_row, bounds.first_column, last_row, last_column


def a1_of(tab: Tab, first_row: int, first_column: int, last_row: int, last_column: int) -> str:
    start = f"{letters(first_column)}{first_row}"
    end = f"{letters(last_column)}{last_row}"
    return f"{quote_title(tab.title)}!{start}" + (f":{end}" if end != start else "")


def shown(value: Any, render: str) -> Any:
    """A cell as the API renders it: ``FORMATTED_VALUE`` is text, numbers without a spurious
    ``.0``; ``UNFORMATTED_VALUE`` keeps numbers and booleans."""
    if render == "UNFORMATTED_VALUE":
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read(tab: Tab, bounds: Bounds, text: str, render: str) -> dict[str, Any]:
    first_row, first_column, last_row, last_column = clamp(tab, bounds, text)
    values: list[list[Any]] = []
    for row in range(first_row, last_row + 1):
        cells = [tab.cell(row, column) for column in range(first_column, last_column + 1)]
        while cells and is_empty(cells[-1]):
            cells.pop()
        values.append([shown(value, render) for value in cells])
    while values and not values[-1]:
        values.pop()
    answer: dict[str, Any] = {
        "range": a1_of(tab, first_row, first_column, last_row, last_column),
        "majorDimension": "ROWS",
    }
    if values:
        answer["values"] = values
    return answer


def entered(value: Any, option: str) -> Any:
    """``RAW`` stores what was sent; ``USER_ENTERED`` reads numbers as a person typing would."""
    if option == "USER_ENTERED" and isinstance(value, str):
        text = value.strip()
        if text.startswith("'"):
            return text[1:]
        try:
            number = float(text)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in text else number
    return value


def write(
    tab: Tab, bounds: Bounds, text: str, values: list[list[Any]], option: str
) -> dict[str, Any]:
    """Write ``values`` from the range's top-left cell; ``None`` leaves a cell as it is."""
    if bounds.single_cell:
        bounds = Bounds(bounds.first_row, bounds.first_column, None, None)
    height = len(values)
    width = max((len(row) for row in values), default=0)
    if bounds.last_row is not None and bounds.first_row + height - 1 > bounds.last_row:
        raise GridError(
            400,
            f"Requested writing within range [{text}], but tried writing to row "
            f"[{bounds.first_row + height - 1}]",
        )
    if bounds.last_column is not None and bounds.first_column + width - 1 > bounds.last_column:
        raise GridError(
            400,
            f"Requested writing within range [{text}], but tried writing to column "
            f"[{letters(bounds.first_column + width - 1)}]",
        )
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            if value is not None:
                tab.set(bounds.first_row + i, bounds.first_column + j, entered(value, option))
    cells = sum(1 for row in values for value in row if value is not None)
    last_row, last_column = bounds.first_row + max(height, 1) - 1, bounds.first_column + width - 1
    return {
        "updatedRange": a1_of(
            tab, bounds.first_row, bounds.first_column, last_row, max(last_column, 1)
        ),
        "updatedRows": height,
        "updatedColumns": width,
        "updatedCells": cells,
    }


def clear(tab: Tab, bounds: Bounds, text: str) -> str:
    first_row, first_column, last_row, last_column = clamp(tab, bounds, text)
    for row in range(first_row, min(last_row, len(tab.rows)) + 1):
        cells = tab.rows[row - 1]
        for column in range(first_column, min(last_column, len(cells)) + 1):
            cells[column - 1] = ""
    return a1_of(tab, first_row, first_column, last_row, last_column)


def delete_dimension(tab: Tab, dimension: str, start: int, end: int, where: str) -> None:
    """Remove rows or columns ``start`` to ``end`` (0-based, end excluded)."""
    size = tab.row_count if dimension == "ROWS" else tab.column_count
    if dimension not in ("ROWS", "COLUMNS"):
        raise GridError(400, f"Invalid {where}: dimension must be ROWS or COLUMNS")
    if not 0 <= start < end or end > size:
        raise GridError(
            400, f"Invalid {where}: range [{start}, {end}) is outside the grid of {size}"
        )
    if end - start >= size:
        noun = "rows" if dimension == "ROWS" else "columns"
        raise GridError(400, f"Invalid {where}: You can't delete all the {noun} on the sheet.")
    if dimension == "ROWS":
        del tab.rows[start:end]
        tab.row_count -= end - start
        return
    for cells in tab.rows:
        del cells[start:end]
    tab.column_count -= end - start


def insert_dimension(tab: Tab, dimension: str, start: int, end: int, where: str) -> None:
    size = tab.row_count if dimension == "ROWS" else tab.column_count
    if dimension not in ("ROWS", "COLUMNS") or not 0 <= start < end or start > size:
        raise GridError(400, f"Invalid {where}: range [{start}, {end}) cannot be inserted")
    if dimension == "ROWS":
        for _ in range(end - start):
            if start <= len(tab.rows):
                tab.rows.insert(start, [])
        tab.row_count += end - start
        return
    for cells in tab.rows:
        for _ in range(end - start):
            if start <= len(cells):
                cells.insert(start, "")
    tab.column_count += end - start
