"""Named counters, bumped atomically inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adda_dashboard.db.models import Counter

SR_NO = "sr_no"
DATASET_VERSION = "dataset_version"


def increment(session: Session, name: str, by: int = 1) -> int:
    """Add ``by`` and return the new value; the row lock serialises concurrent writers."""
    # Through the table (Core): the mapped class would take the ORM's bulk-update path.
    table = Counter.__table__.c
    stmt = update(Counter.__table__).where(table.name == name).values(value=table.value + by)
    stmt = stmt.returning(table.value)
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        session.add(Counter(name=name, value=by))
        session.flush()
        return by
    return int(value)


def raise_to_at_least(session: Session, name: str, floor: int) -> None:
    """Make sure the counter is not below ``floor`` (after an import kept its own numbers)."""
    stmt = update(Counter).where(Counter.name == name, Counter.value < floor).values(value=floor)
    session.execute(stmt)


def current(session: Session, name: str) -> int:
    value = session.execute(select(Counter.value).where(Counter.name == name)).scalar_one_or_none()
    return int(value or 0)
