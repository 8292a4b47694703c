"""Queries over the download_jobs table. State changes are conditional updates, so that two
workers (or a worker and a cancel) can never both win."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.models import DownloadJob
from adda_dashboard.domain.downloads import ACTIVE_STATUSES, FINISHED_STATUSES, JobStatus


def get(session: Session, job_id: str) -> DownloadJob | None:
    return session.get(DownloadJob, job_id)


def insert(session: Session, values: dict[str, Any]) -> DownloadJob:
    job = DownloadJob(**values)
    session.add(job)
    session.flush()
    return job


def count_active(session: Session, *, email: str | None = None) -> int:
    stmt = select(func.count(DownloadJob.id)).where(DownloadJob.status.in_(ACTIVE_STATUSES))
    if email is not None:
        stmt = stmt.where(DownloadJob.requested_by_email == email)
    return int(session.execute(stmt).scalar_one())


def list_recent(session: Session, *, email: str | None, limit: int) -> Sequence[DownloadJob]:
    """The newest jobs first: one person's (by the email that requested them) or everyone's."""
    stmt = select(DownloadJob)
    if email is not None:
        stmt = stmt.where(DownloadJob.requested_by_email == email)
    stmt = stmt.order_by(DownloadJob.queued_at.desc(), DownloadJob.id.desc()).limit(limit)
    return session.execute(stmt).scalars().all()


def claim(session: Session, job_id: str, now: datetime) -> int | None:
    """Move a queued job to downloading; returns the attempt number, the job's fencing token."""
    stmt = (
        update(DownloadJob)
        .where(DownloadJob.id == job_id, DownloadJob.status == JobStatus.queued)
        .values(
            status=JobStatus.downloading,
            attempts=DownloadJob.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            updated_at=now,
            downloaded_bytes=0,
            total_bytes=None,
            percent=0.0,
            speed_bps=None,
            eta_seconds=None,
        )
        .returning(DownloadJob.attempts)
    )
    return session.execute(stmt).scalar_one_or_none()


def update_running(session: Session, job_id: str, attempt: int, values: dict[str, Any]) -> bool:
    """Change a job only while this attempt still owns it; False means it was taken away."""
    stmt = (
        update(DownloadJob)
        .where(
            DownloadJob.id == job_id,
            DownloadJob.attempts == attempt,
            DownloadJob.status == JobStatus.downloading,
        )
        .values(**values, updated_at=utcnow())
    )
    return session.execute(stmt).rowcount > 0


def cancel(session: Session, job_id: str) -> bool:
    stmt = (
        update(DownloadJob)
        .where(DownloadJob.id == job_id, DownloadJob.status.in_(ACTIVE_STATUSES))
        .values(
            status=JobStatus.cancelled,
            finished_at=utcnow(),
            updated_at=utcnow(),
            error="Cancelled by request",
        )
    )
    return session.execute(stmt).rowcount > 0


def list_stale_running(session: Session, heartbeat_before: datetime) -> Sequence[DownloadJob]:
    stmt = select(DownloadJob).where(
        DownloadJob.status == JobStatus.downloading,
        DownloadJob.heartbeat_at < heartbeat_before,
    )
    return session.execute(stmt).scalars().all()


def list_queued_before(session: Session, queued_before: datetime) -> Sequence[str]:
    stmt = select(DownloadJob.id).where(
        DownloadJob.status == JobStatus.queued, DownloadJob.updated_at < queued_before
    )
    return session.execute(stmt).scalars().all()


def release_if_stale(
    session: Session,
    job_id: str,
    attempt: int,
    heartbeat_before: datetime,
    values: dict[str, Any],
) -> bool:
    """Take a job from a worker that stopped beating (only if it still has not beaten)."""
    stmt = (
        update(DownloadJob)
        .where(
            DownloadJob.id == job_id,
            DownloadJob.attempts == attempt,
            DownloadJob.status == JobStatus.downloading,
            DownloadJob.heartbeat_at < heartbeat_before,
        )
        .values(**values, updated_at=utcnow())
    )
    return session.execute(stmt).rowcount > 0


def delete_finished(
    session: Session, *, email: str | None = None, finished_before: datetime | None = None
) -> int:
    stmt = delete(DownloadJob).where(DownloadJob.status.in_(FINISHED_STATUSES))
    if email is not None:
        stmt = stmt.where(DownloadJob.requested_by_email == email)
    if finished_before is not None:
        stmt = stmt.where(DownloadJob.finished_at < finished_before)
    return session.execute(stmt).rowcount


QUEUE_LOCK_KEY = 8_352_001


def lock_queue(session: Session) -> None:
    """Serialise enqueueing so that two requests cannot both take the last free place.

    SQLite writers already queue on ``BEGIN IMMEDIATE``; PostgreSQL takes a transaction lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(QUEUE_LOCK_KEY)))
