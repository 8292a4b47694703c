"""Entries and tickets as the mirror writes them into the sheet, and what it last wrote.

One place turns a stored entry or ticket into its sheet row's cells by column name (``Sr no.``
as the key of both entry tabs, ``Ticket ID`` of the tickets tab), and remembers what was given
to the sheet, so that the push can tell a typed cell from a stale one and the pull can tell an
editor's change from a value the app has moved on from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from adda_dashboard.db.models import Ticket
from adda_dashboard.db.repositories import sheet_sync as sync
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.records import to_columns
from adda_dashboard.domain.sheet_tabs import TICKET_ID, TabKind
from adda_dashboard.services.sheet_plan import ENTRY, TICKET, Wanted, tabs_of
from adda_dashboard.services.sheet_rows import TICKET_ATTRIBUTES

Key = tuple[str, int]


def entry_wanted(row: Any) -> Wanted:
    """A stored entry: in the main tab when Final, in Drive Links when Re-edit, none deleted."""
    tab: TabKind | None = None
    if row.deleted_at is None:
        reedit = c.tab_for_status(row.edit_status) is c.Tab.reedit
        tab = TabKind.reedit if reedit else TabKind.main
    cells = {c.SR_NO: str(row.sr_no), **to_columns(row)}
    return Wanted(ENTRY, int(row.id), str(row.sr_no), tab, cells, int(row.version))


def ticket_wanted(ticket: Ticket) -> Wanted:
    cells = {TICKET_ID: ticket.ticket_id}
    cells.update({col: str(getattr(ticket, attr)) for col, attr in TICKET_ATTRIBUTES.items()})
    return Wanted(TICKET, int(ticket.id), ticket.ticket_id, TabKind.tickets, cells, 0)


def wanted_for(session: Session, keys: Sequence[Key]) -> list[Wanted]:
    """The latest state of each changed entity (several changes of one become one row)."""
    entry_ids = [entity_id for entity, entity_id in keys if entity == ENTRY]
    ticket_ids = [entity_id for entity, entity_id in keys if entity == TICKET]
    wanted = [entry_wanted(row) for row in sync.entries_by_ids(session, entry_ids)]
    if ticket_ids:
        wanted.extend(ticket_wanted(t) for t in sync.tickets_by_ids(session, ticket_ids))
    return wanted


def kinds_of(item: Wanted) -> tuple[TabKind, ...]:
    return tabs_of(item.entity)


def known_cells(session: Session, keys: Iterable[Key]) -> dict[Key, dict[str, str]]:
    """The cells last given to (or read back from) the sheet, by entity."""
    known: dict[Key, dict[str, str]] = {}
    for entity in (ENTRY, TICKET):
        ids = [entity_id for kind, entity_id in keys if kind == entity]
        if ids:
            for entity_id, (_tab, cells, _v) in sync.row_states(session, entity, ids).items():
                known[(entity, entity_id)] = cells
    return known


def remember(session: Session, wanted: Sequence[Wanted], now: datetime) -> None:
    """What the sheet now holds for each of these (nothing for one that left it)."""
    for entity in (ENTRY, TICKET):
        states = {
            item.entity_id: (
                (item.tab.value, dict(item.cells), item.version) if item.tab is not None else None
            )
            for item in wanted
            if item.entity == entity
        }
        if states:
            sync.save_row_states(session, entity, states, now)
