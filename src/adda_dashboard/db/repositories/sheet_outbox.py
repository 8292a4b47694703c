"""The spreadsheet mirror's outbox: committed changes of entries and tickets not yet in the sheet.

Rows are written by ``audit.append`` in the changing transaction when the writing session
carries ``MIRROR_FLAG`` (the composition root sets it while ``ADDA_SHEETS_MIRROR`` is on), so
every audited change of an entry or a ticket, whichever service made it, is here exactly when
it committed. A row holds only the key: the push sends the entity's latest state, which
coalesces many changes of one entry into one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.models import SheetOutbox

MIRROR_FLAG = "sheets_mirror"
# Set in ``session.info`` when the transaction wrote an outbox row: the after-commit hook then
# asks the queue for a push.
WROTE_FLAG = "sheet_outbox_written"
MIRRORED_ENTITIES = frozenset({"entry", "ticket"})
_TABLE = SheetOutbox.__table__


@dataclass(frozen=True)
class Pending:
    id: int
    entity: str
    entity_id: int
    attempts: int


@dataclass(frozen=True)
class Depth:
    count: int
    oldest_at: datetime | None
    failing: int


def record(session: Session, *, entity: str, entity_id: int, action: str) -> None:
    """One insert, in the caller's transaction, when the mirror is on for this session."""
    if not session.info.get(MIRROR_FLAG) or entity not in MIRRORED_ENTITIES:
        return
    session.execute(
        insert(_TABLE).values(
            entity=entity, entity_id=entity_id, action=action, created_at=utcnow()
        )
    )
    session.info[WROTE_FLAG] = True


def oldest_due(session: Session, now: datetime, limit: int) -> Sequence[Pending]:
    """The oldest rows whose next try is due (first tries have none), oldest first."""
    table = _TABLE.c
    stmt = (
        select(table.id, table.entity, table.entity_id, table.attempts)
        .where(or_(table.next_try_at.is_(None), table.next_try_at <= now))
        .order_by(table.id)
        .limit(limit)
    )
    return [Pending(*row) for row in session.execute(stmt).all()]


def delete_ids(session: Session, ids: Iterable[int]) -> None:
    """Done: Google accepted these changes."""
    chosen = list(ids)
    for start in range(0, len(chosen), 500):
        session.execute(delete(_TABLE).where(_TABLE.c.id.in_(chosen[start : start + 500])))


def delete_created_before(session: Session, moment: datetime) -> int:
    """Rows a whole rewrite of the tabs (started at ``moment``) has covered."""
    return int(session.execute(delete(_TABLE).where(_TABLE.c.created_at < moment)).rowcount or 0)


def note_failure(
    session: Session, ids: Iterable[int], *, next_try_at: datetime, error: str
) -> None:
    """A failed batch stays, with one more attempt counted, when to try next and why."""
    chosen = list(ids)
    table = _TABLE.c
    for start in range(0, len(chosen), 500):
        session.execute(
            update(_TABLE)
            .where(table.id.in_(chosen[start : start + 500]))
            .values(attempts=table.attempts + 1, next_try_at=next_try_at, last_error=error[:2000])
        )


def depth(session: Session) -> Depth:
    table = _TABLE.c
    count, oldest, failing = session.execute(
        select(func.count(), func.min(table.created_at), func.count(table.next_try_at))
    ).one()
    return Depth(int(count), oldest, int(failing or 0))


def next_due_at(session: Session) -> datetime | None:
    """When the earliest waiting row may be tried (None: nothing waits)."""
    table = _TABLE.c
    stmt = select(func.min(func.coalesce(table.next_try_at, table.created_at)))
    return session.execute(stmt).scalar_one_or_none()
