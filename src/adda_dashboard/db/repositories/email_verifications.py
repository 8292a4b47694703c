"""Queries over the emailed sign-up links (only digests of their tokens are stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from adda_dashboard.db.models import EmailVerificationToken


def insert(session: Session, link: EmailVerificationToken) -> EmailVerificationToken:
    session.add(link)
    session.flush()
    return link


def get_by_token_hash(session: Session, token_hash: str) -> EmailVerificationToken | None:
    return session.execute(
        select(EmailVerificationToken).where(EmailVerificationToken.token_hash == token_hash)
    ).scalar_one_or_none()


def mark_used_if_unused(session: Session, link_id: int, at: datetime) -> bool:
    """Spend a link; False when another request spent it first (two clicks at once)."""
    result = session.execute(
        update(EmailVerificationToken)
        .where(EmailVerificationToken.id == link_id, EmailVerificationToken.used_at.is_(None))
        .values(used_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delete_unused_for_user(session: Session, user_id: int) -> None:
    """The user's links not yet spent: replaced by a newer one, or moot once proven."""
    session.execute(
        delete(EmailVerificationToken).where(
            EmailVerificationToken.user_id == user_id, EmailVerificationToken.used_at.is_(None)
        )
    )
