"""The four tabs of the team's spreadsheet, and how a tab's columns are found by their headers.

A tab is read as rows of text. Its header row is its first non-empty row; each column is found
by its header text (spaces and case aside, so "Exam name" is "Exam Name"), wherever it sits, and
columns with other headers are left alone: a team may have added or moved columns. Rows are
numbered as the sheet numbers them (row 1 is the sheet's first), so a reported row can be found.

Where each tab is: in the spreadsheet by gid (the main tab by ``gid=0``, the tickets tab by its
gid or else the title "Tickets", as the original looked it up); in a workbook, which has no
gids, by title.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from adda_dashboard.domain import columns as c
from adda_dashboard.errors import Invalid

USERNAME = "Username"
NEW_PASSWORD = "New Password"
CONFIRM_PASSWORD = "Confirm Password"
CREDENTIAL_COLUMNS = (USERNAME, c.EMAIL, NEW_PASSWORD, CONFIRM_PASSWORD)
TICKET_ID = "Ticket ID"


class TabKind(StrEnum):
    main = "main"
    reedit = "reedit"
    credentials = "credentials"
    tickets = "tickets"


# How messages name each tab when its title is not known yet.
LABELS = {
    TabKind.main: "main tab",
    TabKind.reedit: "Drive Links tab",
    TabKind.credentials: "credentials tab",
    TabKind.tickets: "Tickets tab",
}
COLUMNS: Mapping[TabKind, tuple[str, ...]] = {
    TabKind.main: c.MAIN_COLUMNS,
    TabKind.reedit: c.MAIN_COLUMNS,
    TabKind.credentials: CREDENTIAL_COLUMNS,
    TabKind.tickets: c.TICKET_COLUMNS,
}
# Without these a tab cannot be imported at all; other columns may be missing (empty values).
REQUIRED: Mapping[TabKind, tuple[str, ...]] = {
    TabKind.main: (c.SR_NO, c.EMAIL, c.VERTICAL, c.EXAM, c.CONTENT_TYPE, c.VIDEO_LINK),
    TabKind.reedit: (c.SR_NO, c.EMAIL, c.VERTICAL, c.EXAM, c.CONTENT_TYPE, c.VIDEO_LINK),
    TabKind.credentials: (c.EMAIL, NEW_PASSWORD),
    TabKind.tickets: c.TICKET_COLUMNS,
}
# Other spellings of a header seen in the team's sheets over time (columns.md §4).
ALIASES = {"sr no": c.SR_NO, "sr. no.": c.SR_NO}
# Workbook titles: the main tab's usual names, and the other tabs'.
MAIN_TITLES = ("final", "main", "entries", "final entries", "main entries")
REEDIT_TITLE = "drive links"
TICKETS_TITLE = "tickets"


def header_key(text: str) -> str:
    """A header as compared: inner spaces collapsed, case folded."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Layout:
    """Where a tab's columns are: its header's sheet row (the data starts below it) and each
    known column's position."""

    header_row: int
    positions: Mapping[str, int]

    def values(self, cells: Sequence[str]) -> dict[str, str]:
        """The row's known columns by name; a cell the API left out (trailing) is empty."""
        return {
            name: cells[index] if index < len(cells) else ""
            for name, index in self.positions.items()
        }

    def rows(self, table: Sequence[Sequence[str]]) -> Iterator[tuple[int, dict[str, str]]]:
        """(sheet row number, values) of every row below the header."""
        for index in range(self.header_row, len(table)):
            yield index + 1, self.values(table[index])


def find_layout(kind: TabKind, title: str, table: Sequence[Sequence[str]]) -> Layout:
    """The tab's layout; a tab without a header, or one naming a column twice or lacking a
    required one, is refused (``field`` is the column)."""
    header_index = next(
        (i for i, row in enumerate(table) if any(cell.strip() for cell in row)), None
    )
    if header_index is None:
        raise Invalid(f"'{title}' has no header row (the tab is empty)", field=title)
    known = {header_key(name): name for name in COLUMNS[kind]}
    known.update({k: v for k, v in ALIASES.items() if v in COLUMNS[kind]})
    positions: dict[str, int] = {}
    for index, text in enumerate(table[header_index]):
        name = known.get(header_key(text))
        if name is None:
            continue  # a column of the team's own: not imported
        if name in positions:
            raise Invalid(
                f"'{title}' has the column {name!r} twice (columns {positions[name] + 1} and "
                f"{index + 1})",
                field=name,
            )
        positions[name] = index
    if not positions and kind is TabKind.tickets and _is_ticket_id(table[header_index]):
        # The original wrote tickets by position and never read them back (columns.md §7): a
        # tab kept without a header row is read in that order.
        return Layout(header_index, {name: i for i, name in enumerate(c.TICKET_COLUMNS)})
    missing = [name for name in REQUIRED[kind] if name not in positions]
    if missing:
        raise Invalid(
            f"'{title}' (header row {header_index + 1}) lacks the column(s) "
            f"{', '.join(repr(m) for m in missing)}; its {LABELS[kind]} needs "
            f"{', '.join(REQUIRED[kind])}",
            field=missing[0],
        )
    return Layout(header_index + 1, positions)


def _is_ticket_id(row: Sequence[str]) -> bool:
    return bool(row) and row[0].strip().startswith("TKT-")


def tabs_by_gid(tabs: Sequence[tuple[int, str]], gids: Mapping[TabKind, int]) -> dict[TabKind, str]:
    """The title of each kind's tab among the spreadsheet's (gid, title) pairs."""
    titles = dict(tabs)
    found: dict[TabKind, str] = {}
    for kind, gid in gids.items():
        title = titles.get(gid)
        if title is None and kind is TabKind.tickets:
            title = next((t for _g, t in tabs if header_key(t) == TICKETS_TITLE), None)
        if title is None:
            listed = ", ".join(f"{t!r} (gid {g})" for g, t in tabs)
            setting = f"ADDA_SHEETS_{kind.name.upper()}_GID"
            raise Invalid(
                f"The spreadsheet has no tab with gid {gid} for its {LABELS[kind]}; its tabs are "
                f"{listed}. Set {setting} to the right gid",
                field=setting,
            )
        found[kind] = title
    return found


def tabs_by_title(titles: Sequence[str], main_title: str = "") -> dict[TabKind, str]:
    """Each kind's worksheet of a workbook: "Drive Links", "Tickets", a title holding
    "credential" (or "Users"), and the main tab: ``main_title`` when given, else Final, Main or
    Entries, else the first worksheet the others did not take."""
    keys = [header_key(t) for t in titles]

    def first(match: Callable[[str], bool]) -> str | None:
        return next((t for t, k in zip(titles, keys, strict=True) if match(k)), None)

    found: dict[TabKind, str | None] = {
        TabKind.reedit: first(lambda k: k == REEDIT_TITLE),
        TabKind.tickets: first(lambda k: k == TICKETS_TITLE),
        TabKind.credentials: first(lambda k: "credential" in k or k == "users"),
    }
    taken = set(found.values())
    if main_title:
        found[TabKind.main] = first(lambda k: k == header_key(main_title))
    else:
        found[TabKind.main] = first(lambda k: k in MAIN_TITLES) or next(
            (t for t in titles if t not in taken), None
        )
    missing = [kind for kind in TabKind if found.get(kind) is None]
    if missing:
        wanted = {
            TabKind.main: repr(main_title) if main_title else "the first worksheet",
            TabKind.reedit: "'Drive Links'",
            TabKind.credentials: "'Credentials'",
            TabKind.tickets: "'Tickets'",
        }
        raise Invalid(
            "The workbook lacks "
            + ", ".join(f"the {LABELS[k]} (a worksheet titled {wanted[k]})" for k in missing)
            + f"; its worksheets are {', '.join(repr(t) for t in titles) or 'none'}",
            field="workbook",
        )
    return {kind: title for kind, title in found.items() if title is not None}
