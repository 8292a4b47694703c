"""Queries over the entries table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import fetch_plain
from adda_dashboard.db.models import Entry

ENTRY_COLUMNS = (
    Entry.id,
    Entry.sr_no,
    Entry.email,
    Entry.vertical,
    Entry.exam,
    Entry.subject,
    Entry.content_type,
    Entry.sub_category,
    Entry.video_link,
    Entry.edit_status,
    Entry.editor_brief,
    Entry.final_edited_link,
    Entry.video_id,
    Entry.version,
    Entry.created_by_id,
    Entry.created_at,
    Entry.updated_at,
)
SORTABLE = {
    "id": Entry.id,
    "sr_no": Entry.sr_no,
    "created_at": Entry.created_at,
    "updated_at": Entry.updated_at,
    "vertical": Entry.vertical,
    "exam": Entry.exam,
    "subject": Entry.subject,
    "content_type": Entry.content_type,
    "email": Entry.email,
    "status": Entry.edit_status,
}
FILTERABLE = {
    "vertical": Entry.vertical,
    "exam": Entry.exam,
    "subject": Entry.subject,
    "content_type": Entry.content_type,
    "sub_category": Entry.sub_category,
    "status": Entry.edit_status,
    "contributor": Entry.email,
}


@dataclass(frozen=True)
class EntryQuery:
    filters: dict[str, str]
    search: str | None = None
    sort: str = "id"
    descending: bool = False
    limit: int = 50
    after: tuple[Any, int] | None = None  # keyset: (sort value, id) of the last row seen


def insert(session: Session, values: dict[str, Any]) -> Row[Any]:
    entry = Entry(**values)
    session.add(entry)
    session.flush()
    return get_by_id(session, entry.id, include_deleted=True)  # type: ignore[return-value]


def get_by_id(session: Session, entry_id: int, *, include_deleted: bool = False) -> Row[Any] | None:
    stmt = select(*ENTRY_COLUMNS, Entry.deleted_at).where(Entry.id == entry_id)
    if not include_deleted:
        stmt = stmt.where(Entry.deleted_at.is_(None))
    return session.execute(stmt).first()


def get_by_sr_no(session: Session, sr_no: int) -> Row[Any] | None:
    stmt = select(*ENTRY_COLUMNS, Entry.deleted_at).where(Entry.sr_no == sr_no)
    return session.execute(stmt).first()


def update_if_version(
    session: Session, entry_id: int, values: dict[str, Any], expected_version: int | None
) -> Row[Any] | None:
    """Apply ``values`` and bump the version, only while the row is live and unchanged."""
    conditions = [Entry.id == entry_id, Entry.deleted_at.is_(None)]
    if expected_version is not None:
        conditions.append(Entry.version == expected_version)
    stmt = (
        update(Entry)
        .where(*conditions)
        .values(**values, version=Entry.version + 1, updated_at=utcnow())
        .returning(*ENTRY_COLUMNS, Entry.deleted_at)
    )
    return session.execute(stmt).first()


def set_deleted_if_version(
    session: Session, entry_id: int, deleted_at: datetime | None, expected_version: int | None
) -> Row[Any] | None:
    """Soft-delete (or restore, with ``None``) a row in the opposite state, bumping its version."""
    conditions = [Entry.id == entry_id]
    conditions.append(
        Entry.deleted_at.is_(None) if deleted_at is not None else Entry.deleted_at.is_not(None)
    )
    if expected_version is not None:
        conditions.append(Entry.version == expected_version)
    stmt = (
        update(Entry)
        .where(*conditions)
        .values(deleted_at=deleted_at, version=Entry.version + 1, updated_at=utcnow())
        .returning(*ENTRY_COLUMNS, Entry.deleted_at)
    )
    return session.execute(stmt).first()


def list_live_in_legacy_order(session: Session) -> Sequence[Row[Any]]:
    """Every live entry: Final ones first, then Re-edit ones, each in creation order.

    ``'Final' < 'Re-edit'``, so ordering by (status, id) gives the original's order and walks
    the (edit_status, id) index.
    """
    stmt = (
        select(*ENTRY_COLUMNS)
        .where(Entry.deleted_at.is_(None))
        .order_by(Entry.edit_status, Entry.id)
    )
    return session.execute(stmt).all()


def _filtered(query: EntryQuery) -> Select[Any]:
    stmt = select(*ENTRY_COLUMNS).where(Entry.deleted_at.is_(None))
    for name, value in query.filters.items():
        stmt = stmt.where(FILTERABLE[name] == value)
    if query.search:
        pattern = (
            "%"
            + query.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        stmt = stmt.where(
            or_(
                *(
                    func.lower(col).like(pattern, escape="\\")
                    for col in (
                        Entry.email,
                        Entry.vertical,
                        Entry.exam,
                        Entry.subject,
                        Entry.sub_category,
                        Entry.video_link,
                        Entry.video_id,
                        Entry.editor_brief,
                    )
                )
            )
        )
    return stmt


def search(session: Session, query: EntryQuery) -> Sequence[Row[Any]]:
    """One keyset page: rows strictly after ``query.after`` in (sort column, id) order."""
    column = SORTABLE[query.sort]
    stmt = _filtered(query)
    if query.after is not None:
        value, last_id = query.after
        if query.descending:
            stmt = stmt.where(or_(column < value, and_(column == value, Entry.id < last_id)))
        else:
            stmt = stmt.where(or_(column > value, and_(column == value, Entry.id > last_id)))
    if query.descending:
        stmt = stmt.order_by(column.desc(), Entry.id.desc())
    else:
        stmt = stmt.order_by(column.asc(), Entry.id.asc())
    return session.execute(stmt.limit(query.limit)).all()


def count_matching(session: Session, query: EntryQuery) -> int:
    stmt = select(func.count()).select_from(_filtered(query).subquery())
    return int(session.execute(stmt).scalar_one())


def max_sr_no(session: Session) -> int:
    return int(session.execute(select(func.max(Entry.sr_no))).scalar_one() or 0)


def count_live(session: Session) -> int:
    stmt = select(func.count()).select_from(Entry).where(Entry.deleted_at.is_(None))
    return int(session.execute(stmt).scalar_one())


# The listing read on every change of the dataset: every live entry as plain tuples, in the
# legacy order, through the DBAPI cursor (a third of the time of building Row objects).
LISTING_ATTRIBUTES = (
    "id",
    "sr_no",
    "email",
    "vertical",
    "exam",
    "subject",
    "content_type",
    "sub_category",
    "video_link",
    "edit_status",
    "editor_brief",
    "final_edited_link",
    "video_id",
    "version",
)
_LISTING_SQL = (
    f"SELECT {', '.join(LISTING_ATTRIBUTES)} FROM entries "
    "WHERE deleted_at IS NULL ORDER BY edit_status, id"
)


def listing_tuples(engine: Engine) -> list[tuple[Any, ...]]:
    return fetch_plain(engine, _LISTING_SQL)
