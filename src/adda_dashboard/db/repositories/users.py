"""Queries over the users table."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
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
