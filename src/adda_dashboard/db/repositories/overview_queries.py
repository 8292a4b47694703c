"""Read-only grouped counts over the live entries, for the dashboard's overview.

Each query lets the database do the counting (GROUP BY) and returns plain tuples, so the
overview never loads the entries themselves. Ordering that must match on SQLite and PostgreSQL
is done by the caller in Python (collations differ between the two), except for the top
contributors, which are ranked by count and then by first entry id: numbers, the same anywhere.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from adda_dashboard.db.models import Entry
from adda_dashboard.domain.columns import EditStatus

_LIVE = Entry.deleted_at.is_(None)
_FINAL = func.sum(case((Entry.edit_status == EditStatus.final.value, 1), else_=0))


def counts_by_vertical_and_type(session: Session) -> list[tuple[str, str, int, int]]:
    """(vertical, content type, total, final) over live entries, in no particular order.

    One scan gives the totals, the verticals and the content types alike: the pairs are few
    (verticals times three types), and the caller adds them up.
    """
    stmt = (
        select(Entry.vertical, Entry.content_type, func.count(), _FINAL)
        .where(_LIVE)
        .group_by(Entry.vertical, Entry.content_type)
    )
    return [
        (vertical, content_type, int(total), int(final or 0))
        for vertical, content_type, total, final in session.execute(stmt)
    ]


def _utc_day(session: Session) -> ColumnElement[Any]:
    """The UTC calendar day of ``created_at`` as the database computes it.

    SQLite keeps the timestamps as UTC text, so ``date()`` reads the day off it; PostgreSQL keeps
    an instant, whose day depends on the connection's time zone unless it is asked for in UTC.
    """
    if session.get_bind().dialect.name == "sqlite":
        return func.date(Entry.created_at)
    return func.date(func.timezone("UTC", Entry.created_at))


def daily_status_counts(session: Session, since: datetime) -> list[tuple[date, str, int]]:
    """(UTC day, status, count) of live entries created at or after ``since``."""
    day = _utc_day(session)
    stmt = (
        select(day, Entry.edit_status, func.count())
        .where(_LIVE, Entry.created_at >= since)
        .group_by(day, Entry.edit_status)
    )
    return [(_as_date(d), status, int(count)) for d, status, count in session.execute(stmt)]


def top_contributors(session: Session, limit: int) -> list[tuple[str, int, int]]:
    """(email, total, final) of the ``limit`` contributors with the most live entries.

    Ties go to whoever added an entry first (the lowest id), which both databases agree on.
    """
    total = func.count()
    stmt = (
        select(Entry.email, total, _FINAL)
        .where(_LIVE, Entry.email != "")
        .group_by(Entry.email)
        .order_by(total.desc(), func.min(Entry.id))
        .limit(limit)
    )
    return [(email, int(count), int(final or 0)) for email, count, final in session.execute(stmt)]


def _as_date(value: Any) -> date:
    """SQLite's ``date()`` answers text (``2024-01-31``); PostgreSQL answers a date."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
