"""Queries over the videos table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from adda_dashboard.db.models import Entry, Video


def get_by_sha256(session: Session, sha256: str) -> Video | None:
    return session.execute(select(Video).where(Video.sha256 == sha256)).scalar_one_or_none()


def get_by_filename(session: Session, filename: str) -> Video | None:
    return session.execute(select(Video).where(Video.filename == filename)).scalar_one_or_none()


def get_by_id(session: Session, video_id: int) -> Video | None:
    return session.get(Video, video_id)


def insert(session: Session, values: dict[str, Any]) -> Video:
    video = Video(**values)
    session.add(video)
    session.flush()
    return video


def list_newest_first(session: Session, *, limit: int, offset: int) -> Sequence[Video]:
    stmt = select(Video).order_by(Video.created_at.desc(), Video.id.desc())
    return session.execute(stmt.limit(limit).offset(offset)).scalars().all()


def totals(session: Session) -> tuple[int, int]:
    """How many videos, and their total size in bytes."""
    count, size = session.execute(
        select(func.count(Video.id), func.coalesce(func.sum(Video.size_bytes), 0))
    ).one()
    return int(count), int(size)


def list_unlinked_created_before(
    session: Session, cutoff: datetime, *, limit: int
) -> Sequence[Video]:
    """Videos older than ``cutoff`` that no live entry points at (by link or video id)."""
    linked = exists().where(
        Entry.deleted_at.is_(None),
        or_(
            Entry.video_id == Video.sha256,
            Entry.video_id == Video.storage_key,
            Entry.video_link.contains(Video.filename),
            Entry.final_edited_link.contains(Video.filename),
            and_(
                Video.public_link.is_not(None),
                or_(
                    Entry.video_link == Video.public_link,
                    Entry.final_edited_link == Video.public_link,
                ),
            ),
        ),
    )
    stmt = (
        select(Video)
        .where(Video.created_at < cutoff, ~linked)
        .order_by(Video.created_at, Video.id)
        .limit(limit)
    )
    return session.execute(stmt).scalars().all()


def delete_by_id(session: Session, video_id: int) -> bool:
    return session.execute(delete(Video).where(Video.id == video_id)).rowcount > 0
