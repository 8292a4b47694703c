"""Queries over the entries table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Engine, Select, and_, case, func, or_, select, tuple_, update
from sqlalchemy import insert as sa_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import InternalTraversal

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


# The ids of the entries a transaction wrote, kept in its ``session.info`` until the dataset
# version is bumped: ``stamp_written`` then marks them with that version.
WRITTEN = "entries_written"
_IDS_PER_QUERY = 500  # well under every driver's limit of parameters


def note_written(session: Session, ids: Iterable[int]) -> None:
    session.info.setdefault(WRITTEN, set()).update(ids)


def stamp_written(session: Session, version: int) -> None:
    """Mark the rows this transaction wrote with its dataset version (``Entry.changed_in``)."""
    ids = sorted(session.info.pop(WRITTEN, ()))
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        session.execute(update(_TABLE).where(_TABLE.c.id.in_(chunk)).values(changed_in=version))


def stamp_all(session: Session, version: int) -> None:
    """Mark every row as written at ``version``: every process's copy reads them all again."""
    session.info.pop(WRITTEN, None)
    session.execute(update(_TABLE).values(changed_in=version))


# Writes go through the table (SQLAlchemy Core) rather than the mapped class: the ORM's unit of
# work and its bulk-update path cost several times the statements, and on SQLite a writing
# transaction holds the one write lock for all of it.
_TABLE = Entry.__table__
_WRITTEN_ROW = (*(_TABLE.c[column.key] for column in ENTRY_COLUMNS), _TABLE.c.deleted_at)


def insert(session: Session, values: dict[str, Any]) -> Row[Any]:
    row = session.execute(sa_insert(_TABLE).values(**values).returning(*_WRITTEN_ROW)).one()
    note_written(session, (row.id,))
    return row


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
    table = _TABLE.c
    conditions = [table.id == entry_id, table.deleted_at.is_(None)]
    if expected_version is not None:
        conditions.append(table.version == expected_version)
    stmt = (
        update(_TABLE)
        .where(*conditions)
        .values(**values, version=table.version + 1, updated_at=utcnow())
        .returning(*_WRITTEN_ROW)
    )
    return _noted(session, session.execute(stmt).first())


def set_deleted_if_version(
    session: Session, entry_id: int, deleted_at: datetime | None, expected_version: int | None
) -> Row[Any] | None:
    """Soft-delete (or restore, with ``None``) a row in the opposite state, bumping its version."""
    table = _TABLE.c
    conditions = [table.id == entry_id]
    conditions.append(
        table.deleted_at.is_(None) if deleted_at is not None else table.deleted_at.is_not(None)
    )
    if expected_version is not None:
        conditions.append(table.version == expected_version)
    stmt = (
        update(_TABLE)
        .where(*conditions)
        .values(deleted_at=deleted_at, version=table.version + 1, updated_at=utcnow())
        .returning(*_WRITTEN_ROW)
    )
    return _noted(session, session.execute(stmt).first())


def _noted(session: Session, row: Row[Any] | None) -> Row[Any] | None:
    if row is not None:
        note_written(session, (row.id,))
    return row


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
        stmt = stmt.where(_search_condition(query.search))
    return stmt


def _search_condition(search: str) -> ColumnElement[bool]:
    pattern = (
        "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    )
    return or_(
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


# The per-process copy of the live entries (``services/live_entries.py``) reads them all once,
# then only the rows stamped with a newer dataset version (``stamp_written``), live or not.
_LISTING_COLUMNS = ", ".join(LISTING_ATTRIBUTES)
_CHANGED_SQL = (
    f"SELECT {_LISTING_COLUMNS}, CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END "
    "FROM entries WHERE changed_in > {p}"
)


def rows_changed_since(engine: Engine, version: int) -> list[tuple[Any, ...]]:
    """``LISTING_ATTRIBUTES`` plus 1 for a live row or 0 for a deleted one, of every row written
    after dataset version ``version``, in no order."""
    return fetch_plain(engine, _CHANGED_SQL, (version,))


# What the leaderboard and the filters read of each live entry (from the copy kept in memory).
LEADERBOARD_ATTRIBUTES = ("vertical", "email", "edit_status", "exam", "subject")
FINAL_FILTER_COLUMNS = ("content_type", "sub_category", "subject")


# The dashboard's list: keyset pages both ways, the position of a page, and facet counts. --------


class Likelihood(FunctionElement[Any]):
    """SQLite's ``likelihood(x, p)``: the same condition, with how often it holds.

    SQLite keeps no statistics here, so it takes every equality for a selective one. It would
    read ``deleted_at IS NULL`` (true of nearly every row) from the ``(deleted_at, id)`` index and
    then sort or group every live row, or read ``status = 'Final'`` from its index and check the
    vertical of most of the table. Told how often they hold, it walks the index of the selective
    filter, of the sort or of the grouped column instead (a grouped count at 50,000 entries:
    40 ms -> 6 ms). Other databases get the plain condition: PostgreSQL keeps statistics.
    """

    type = NullType()  # a Boolean type would make SQLite compare it with 1, hiding the condition
    name = "likelihood"
    inherit_cache = True
    _traverse_internals: ClassVar[Any] = [
        *FunctionElement._traverse_internals,
        ("probability", InternalTraversal.dp_plain_obj),  # part of the statement cache key
    ]

    def __init__(self, condition: ColumnElement[Any], probability: float) -> None:
        super().__init__(condition)
        self.probability = probability


@compiles(Likelihood)
def _plain_condition(element: Likelihood, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(Likelihood, "sqlite")
def _likelihood(element: Likelihood, compiler: SQLCompiler, **kw: Any) -> str:
    return f"likelihood({compiler.process(element.clauses, **kw)}, {element.probability:.4f})"


# Filters with a handful of values, each matching a good part of the list: never the index to
# start from when a finer filter is there.
COARSE_FILTERS = frozenset({"content_type", "sub_category", "status"})


def _live_matching(query: EntryQuery) -> list[ColumnElement[Any]]:
    """The conditions of ``_filtered`` (the same rows), with hints for SQLite's planner."""
    conditions: list[ColumnElement[Any]] = [Likelihood(Entry.deleted_at.is_(None), 0.9375)]
    for name, value in query.filters.items():
        condition = FILTERABLE[name] == value
        conditions.append(Likelihood(condition, 0.5) if name in COARSE_FILTERS else condition)
    if query.search:
        conditions.append(_search_condition(query.search))
    return conditions


def _key_beyond(query: EntryQuery, backwards: bool) -> ColumnElement[bool]:
    """Rows after ``query.after`` in the page's (sort column, id) order, or before it."""
    assert query.after is not None
    value, last_id = query.after
    key = tuple_(SORTABLE[query.sort], Entry.id)
    bound = tuple_(value, last_id, types=(SORTABLE[query.sort].type, Entry.id.type))
    return key < bound if query.descending != backwards else key > bound


def browse(session: Session, query: EntryQuery, *, backwards: bool = False) -> Sequence[Row[Any]]:
    """One keyset page: the rows after ``query.after``, or with ``backwards`` the rows just
    before it (still returned in the page's order).

    Row-value comparisons let both databases seek straight to the key in the index of the sort.
    """
    column = SORTABLE[query.sort]
    stmt = select(*ENTRY_COLUMNS).where(*_live_matching(query))
    if query.after is not None:
        stmt = stmt.where(_key_beyond(query, backwards))
    if query.descending != backwards:
        stmt = stmt.order_by(column.desc(), Entry.id.desc())
    else:
        stmt = stmt.order_by(column.asc(), Entry.id.asc())
    rows = session.execute(stmt.limit(query.limit)).all()
    return rows[::-1] if backwards else rows


def count_before(session: Session, query: EntryQuery) -> int:
    """How many matching rows come before ``query.after`` in the page's order: the position of
    the page that starts there."""
    stmt = select(func.count()).select_from(Entry).where(*_live_matching(query))
    stmt = stmt.where(_key_beyond(query, backwards=True))
    return int(session.execute(stmt).scalar_one())


def facet_counts(session: Session, query: EntryQuery, name: str) -> list[tuple[str, int]]:
    """(value, entries) of the filter ``name`` among the rows matching every other filter and
    the search: what choosing each value would leave."""
    column = FILTERABLE[name]
    others = {k: v for k, v in query.filters.items() if k != name}
    conditions = _live_matching(EntryQuery(others, query.search))
    stmt = select(column, func.count()).where(*conditions).group_by(column)
    return [(value, int(count)) for value, count in session.execute(stmt)]


def facet_rows(session: Session, query: EntryQuery) -> list[tuple[Any, ...]]:
    """The filterable values (in ``FILTERABLE`` order) of the rows that match the search and
    miss at most one filter: every facet of a searched list counted from one scan, instead of
    one scan of the text per facet."""
    stmt = select(*FILTERABLE.values()).where(*_live_matching(EntryQuery({}, query.search)))
    if len(query.filters) > 1:
        misses = [case((FILTERABLE[k] == v, 0), else_=1) for k, v in query.filters.items()]
        missed = misses[0]
        for miss in misses[1:]:
            missed = missed + miss
        stmt = stmt.where(missed <= 1)
    return [tuple(row) for row in session.execute(stmt)]
