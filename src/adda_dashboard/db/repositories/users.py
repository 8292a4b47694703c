"""Queries over the users table."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from adda_dashboard.db.models import User


def get_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_by_email(session: Session, email: str) -> User | None:
    return session.execute(
        select(User).where(func.lower(User.email) == email.lower())
    ).scalar_one_or_none()


def get_by_username(session: Session, username: str) -> User | None:
    return session.execute(
        select(User).where(func.lower(User.username) == username.lower())
    ).scalar_one_or_none()


def insert(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(User)).scalar_one())


def list_all(session: Session) -> Sequence[User]:
    return session.execute(select(User).order_by(User.id)).scalars().all()


def free_username(session: Session, email: str) -> str:
    """The email's local part, numbered (``priya2``) when another account already has it."""
    base = email.split("@")[0]
    candidate, n = base, 1
    while get_by_username(session, candidate) is not None:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own ``%``, ``_`` and ``\\`` taken as is."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_page(
    session: Session, query: str, *, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    """One page of users whose email or username contains ``query`` (any case), by email, and
    how many match in all."""
    stmt = select(User)
    if query:
        pattern = _like_pattern(query)
        stmt = stmt.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.username).like(pattern, escape="\\"),
            )
        )
    total = int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())
    rows = (
        session.execute(stmt.order_by(func.lower(User.email), User.id).limit(limit).offset(offset))
        .scalars()
        .all()
    )
    return rows, total


def lock_by_ids(session: Session, ids: set[int]) -> dict[int, User]:
    """The users with these ids, locked for this transaction, always in id order (so two
    transactions locking the same pair never wait on each other in a cycle)."""
    rows = (
        session.execute(
            select(User)
            .where(User.id.in_(ids))
            .order_by(User.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .scalars()
        .all()
    )
    return {user.id: user for user in rows}
