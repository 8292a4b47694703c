"""The spreadsheet mirror's own records: the push/pull state rows (leases, last outcomes), what
each row was last given or gave back, and the conflicts the app won."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from adda_dashboard.db.models import Entry, SheetConflict, SheetRowState, SheetSyncState, Ticket
from adda_dashboard.db.repositories.entries import ENTRY_COLUMNS

PUSH = "push"
PULL = "pull"
_STATE = SheetSyncState.__table__
_ROWS = SheetRowState.__table__


def _ensure(session: Session, name: str) -> None:
    """The state row exists (a database emptied by hand, or made before the migration ran)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(_STATE).values(name=name).on_conflict_do_nothing())


def take_lease(session: Session, name: str, owner: str, now: datetime, until: datetime) -> bool:
    """Hold ``name`` until ``until``, if no one else holds it now (a conditional update: two
    workers asking at once cannot both get it). Asking again while holding it renews it."""
    _ensure(session, name)
    table = _STATE.c
    free = or_(table.lease_until.is_(None), table.lease_until < now, table.lease_owner == owner)
    stmt = (
        update(_STATE).where(table.name == name, free).values(lease_owner=owner, lease_until=until)
    )
    return bool(session.execute(stmt).rowcount)


def renew_lease(session: Session, name: str, owner: str, until: datetime) -> bool:
    """Extend ``name`` to ``until`` only while ``owner`` holds it still: False once another took
    it over (a lease that ran out), even if that one has let it go since."""
    table = _STATE.c
    stmt = (
        update(_STATE)
        .where(table.name == name, table.lease_owner == owner)
        .values(lease_until=until)
    )
    return bool(session.execute(stmt).rowcount)


def release_lease(session: Session, name: str, owner: str) -> None:
    table = _STATE.c
    session.execute(
        update(_STATE)
        .where(table.name == name, table.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


def claim_due(session: Session, name: str, now: datetime, next_due: datetime) -> bool:
    """Take the turn that is due (``due_at`` past or unset), setting the next; False when
    another worker took it or it is not due yet."""
    _ensure(session, name)
    table = _STATE.c
    due = or_(table.due_at.is_(None), table.due_at <= now)
    stmt = update(_STATE).where(table.name == name, due).values(due_at=next_due)
    return bool(session.execute(stmt).rowcount)


def note_outcome(session: Session, name: str, now: datetime, error: str | None) -> None:
    _ensure(session, name)
    values: dict[str, Any] = (
        {"last_success_at": now}
        if error is None
        else {"last_failure_at": now, "last_error": error[:2000]}
    )
    session.execute(update(_STATE).where(_STATE.c.name == name).values(**values))


def state(session: Session, name: str) -> SheetSyncState | None:
    return session.get(SheetSyncState, name)


def row_states(
    session: Session, entity: str, ids: Iterable[int]
) -> dict[int, tuple[str, dict[str, str], int]]:
    """(tab, cells, version) last pushed or pulled, by entity id."""
    chosen = list(ids)
    found: dict[int, tuple[str, dict[str, str], int]] = {}
    table = _ROWS.c
    for start in range(0, len(chosen), 500):
        stmt = select(table.entity_id, table.tab, table.cells, table.version).where(
            table.entity == entity, table.entity_id.in_(chosen[start : start + 500])
        )
        for entity_id, tab, cells, version in session.execute(stmt):
            found[int(entity_id)] = (tab, dict(cells), int(version))
    return found


def save_row_states(
    session: Session,
    entity: str,
    states: Mapping[int, tuple[str, Mapping[str, str], int] | None],
    now: datetime,
) -> None:
    """Replace the rows' states (None: the entity is in no tab any more)."""
    ids = list(states)
    table = _ROWS.c
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(_ROWS).where(table.entity == entity, table.entity_id.in_(chunk)))
    values = [
        {
            "entity": entity,
            "entity_id": entity_id,
            "tab": saved[0],
            "cells": dict(saved[1]),
            "version": saved[2],
            "updated_at": now,
        }
        for entity_id, saved in states.items()
        if saved is not None
    ]
    for start in range(0, len(values), 500):
        session.execute(insert(_ROWS), values[start : start + 500])


def add_conflict(
    session: Session,
    *,
    entry_id: int,
    sr_no: int,
    column: str,
    sheet_value: str,
    app_value: str,
    at: datetime,
) -> None:
    session.execute(
        insert(SheetConflict.__table__).values(
            entry_id=entry_id,
            sr_no=sr_no,
            column=column,
            sheet_value=sheet_value,
            app_value=app_value,
            at=at,
        )
    )


def recent_conflicts(session: Session, limit: int = 50) -> Sequence[SheetConflict]:
    stmt = select(SheetConflict).order_by(SheetConflict.id.desc()).limit(limit)
    return session.execute(stmt).scalars().all()


def entries_by_ids(session: Session, ids: Sequence[int]) -> list[Any]:
    """The entries the mirror pushes, deleted ones included (they leave the sheet)."""
    found: list[Any] = []
    for start in range(0, len(ids), 500):
        stmt = select(*ENTRY_COLUMNS, Entry.deleted_at).where(
            Entry.id.in_(ids[start : start + 500])
        )
        found.extend(session.execute(stmt).all())
    return found


def live_entries_by_sr_no(session: Session) -> list[Any]:
    """Every live entry in ``Sr no.`` order (a whole rewrite of the tabs)."""
    stmt = (
        select(*ENTRY_COLUMNS, Entry.deleted_at)
        .where(Entry.deleted_at.is_(None))
        .order_by(Entry.sr_no)
    )
    return list(session.execute(stmt).all())


def tickets_by_ids(session: Session, ids: Sequence[int] | None) -> list[Ticket]:
    """These tickets (all of them when ``ids`` is None), oldest first."""
    stmt = select(Ticket).order_by(Ticket.id)
    if ids is None:
        return list(session.execute(stmt).scalars())
    found: list[Ticket] = []
    for start in range(0, len(ids), 500):
        chunk = stmt.where(Ticket.id.in_(ids[start : start + 500]))
        found.extend(session.execute(chunk).scalars())
    return found


def delete_all_row_states(session: Session) -> None:
    session.execute(delete(_ROWS))


def live_entries_by_sr_nos(session: Session, sr_nos: Sequence[int]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(sr_nos), 500):
        stmt = select(*ENTRY_COLUMNS, Entry.deleted_at).where(
            Entry.sr_no.in_(sr_nos[start : start + 500]), Entry.deleted_at.is_(None)
        )
        found.extend(session.execute(stmt).all())
    return found


def set_row_cells(
    session: Session, entity: str, entity_id: int, cells: Mapping[str, str], version: int | None
) -> None:
    """Change some remembered cells (and the version they belong to, when given)."""
    table = _ROWS.c
    where = (table.entity == entity, table.entity_id == entity_id)
    saved = session.execute(select(table.cells).where(*where)).scalar_one_or_none()
    if saved is None:
        return
    values: dict[str, Any] = {"cells": {**dict(saved), **cells}}
    if version is not None:
        values["version"] = version
    session.execute(update(_ROWS).where(*where).values(**values))
