"""Video downloads as queued jobs whose whole state lives in the database.

Any server answers a status poll the same way, a job survives restarts, and a job whose worker
died is handed out again (or failed) by the reaper instead of staying "downloading" forever.
The row is committed before the job is enqueued; workers claim a job with a conditional update,
and the claim number fences off a worker that lost its job (cancelled or reaped).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError

from adda_dashboard.adapters.address_guard import AddressRefused
from adda_dashboard.adapters.downloader import Downloader
from adda_dashboard.adapters.queue import JobQueue
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import DownloadJob
from adda_dashboard.db.repositories import download_jobs as jobs_repo
from adda_dashboard.db.repositories import idempotency
from adda_dashboard.domain.downloads import JobStatus, parse_download_url
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TooManyRequests,
    Unavailable,
)
from adda_dashboard.services.download_runner import DownloadRunner
from adda_dashboard.services.video_files import clean_label
from adda_dashboard.services.videos import VideoLibrary

DOWNLOAD_TASK = "download_video"
RECENT_LIMIT_MAX = 100
DOWNLOAD_SCOPE = "download-video"
log = logging.getLogger("adda_dashboard.downloads")


@dataclass(frozen=True)
class DownloadPolicy:
    queue_limit: int
    user_limit: int
    max_attempts: int
    retry_wait_s: float
    retry_after_s: int
    heartbeat_s: float
    stale_after_s: float
    keep_days: int
    socket_timeout_s: float
    sync_timeout_s: float


@dataclass(frozen=True)
class DownloadRequest:
    url: str
    host: str
    port: int | None
    content_type: str
    run_async: bool
    entry_id: int | None


def parse_request(body: Any) -> DownloadRequest:
    if body is None:
        raise Invalid("YouTube URL is required", field="youtube_url")
    if not isinstance(body, Mapping):
        raise Invalid("The body must be a JSON object", field="body")
    url, host = parse_download_url(body.get("youtube_url"))
    run_async = body.get("async", False)
    if not isinstance(run_async, bool):
        raise Invalid("'async' must be true or false", field="async")
    entry_id = body.get("entry_id")
    if entry_id is not None and (
        isinstance(entry_id, bool) or not isinstance(entry_id, int) or entry_id < 1
    ):
        raise Invalid("'entry_id' must be a positive whole number", field="entry_id")
    return DownloadRequest(
        url=url,
        host=host,
        port=urlsplit(url).port,
        content_type=clean_label(body.get("content_type"), "content_type"),
        run_async=run_async,
        entry_id=entry_id,
    )


class DownloadService:
    def __init__(
        self,
        db: Database,
        queue: JobQueue,
        library: VideoLibrary,
        downloader: Downloader,
        policy: DownloadPolicy,
        *,
        check_host: Callable[[str, int | None], None],
    ) -> None:
        self._db = db
        self._queue = queue
        self._library = library
        self.policy = policy
        self._check_host = check_host
        self.runner = DownloadRunner(db, library, downloader, policy)

    # Requests ----------------------------------------------------------------------------------

    def request(
        self, actor: Actor, request: DownloadRequest, *, idempotency_key: str | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Queue a download; returns its status and whether it is an earlier request's answer."""
        if not actor.at_least(Role.contributor):
            raise Forbidden("Downloading videos needs the contributor role or above")
        if idempotency_key:
            earlier = self._replay(actor, idempotency_key)
            if earlier is not None:
                return earlier, True
        # A first, early answer: the worker's guard judges every connection again anyway.
        try:
            self._check_host(request.host, request.port)
        except AddressRefused as exc:
            raise Invalid(exc.message, field="youtube_url") from None
        if request.entry_id is not None:
            self._library.check_entry_editable(actor, request.entry_id)
        self._library.ensure_room()
        job_id = uuid.uuid4().hex
        try:
            with self._db.write() as session:
                jobs_repo.lock_queue(session)
                self._check_limits(session, actor)
                job = jobs_repo.insert(
                    session,
                    {
                        "id": job_id,
                        "status": JobStatus.queued,
                        "url": request.url,
                        "content_type": request.content_type,
                        "entry_id": request.entry_id,
                        "requested_by_id": actor.user_id,
                        "requested_by_email": actor.email,
                        "max_attempts": self.policy.max_attempts,
                    },
                )
                if idempotency_key:
                    idempotency.insert(
                        session, DOWNLOAD_SCOPE, actor.email, idempotency_key, job_id
                    )
        except IntegrityError:  # a concurrent retry with the same key got there first
            earlier = self._replay(actor, idempotency_key) if idempotency_key else None
            if earlier is None:
                raise
            return earlier, True
        # Only now, with the row committed, may a worker see the job.
        self._enqueue(job_id)
        self._library.log.record("download_queued", id=job_id, url=request.url, by=actor.email)
        return self.describe(job), False

    def _check_limits(self, session: Any, actor: Actor) -> None:
        retry = {"Retry-After": str(self.policy.retry_after_s)}
        active = jobs_repo.count_active(session)
        if active >= self.policy.queue_limit:
            raise Unavailable(
                "Download queue is full. Please try again later.",
                extra={"queue_size": active},
                headers=retry,
            )
        mine = jobs_repo.count_active(session, email=actor.email)
        if mine >= self.policy.user_limit:
            raise TooManyRequests(
                f"You already have {mine} downloads waiting or running (the limit is "
                f"{self.policy.user_limit}). Please wait for one to finish.",
                extra={"queue_size": mine},
                headers=retry,
            )

    def _enqueue(self, job_id: str) -> None:
        try:
            self._queue.enqueue(DOWNLOAD_TASK, job_id)
        except Exception as exc:
            log.error("enqueue failed for download %s: %s", job_id, exc)
            self.runner.fail_unclaimed(job_id, "The job queue is not reachable; try again later")
            raise Unavailable(
                "The job queue is not reachable; try again later",
                headers={"Retry-After": str(self.policy.retry_after_s)},
            ) from None

    def _replay(self, actor: Actor, key: str) -> dict[str, Any] | None:
        with self._db.read() as session:
            job_id = idempotency.get_resource_id(session, DOWNLOAD_SCOPE, actor.email, key)
            job = jobs_repo.get(session, job_id) if job_id else None
            session.expunge_all()  # rows outlive the read
        return self.describe(job) if job is not None else None

    def _visible_job(self, session: Any, actor: Actor, job_id: str) -> DownloadJob:
        job = jobs_repo.get(session, job_id)
        if job is None or not (actor.at_least(Role.editor) or actor.owns(job.requested_by_email)):
            raise NotFound("Download ID not found", field="download_id")
        return job

    def status(self, actor: Actor, job_id: str) -> dict[str, Any]:
        with self._db.read() as session:
            return self.describe(self._visible_job(session, actor, job_id))

    def recent(self, actor: Actor, limit: int = 10) -> list[dict[str, Any]]:
        """The actor's latest jobs (everyone's for an admin), newest first.

        A page that is reloaded finds its downloads here again, instead of only the jobs it
        started itself while it was open.
        """
        whole = isinstance(limit, int) and not isinstance(limit, bool)
        if not whole or not 1 <= limit <= RECENT_LIMIT_MAX:
            raise Invalid(
                f"'limit' must be a whole number from 1 to {RECENT_LIMIT_MAX}", field="limit"
            )
        email = None if actor.at_least(Role.admin) else actor.email
        with self._db.read() as session:
            jobs = jobs_repo.list_recent(session, email=email, limit=limit)
            return [self.describe(job) for job in jobs]

    def cancel(self, actor: Actor, job_id: str) -> dict[str, Any]:
        with self._db.write() as session:
            job = self._visible_job(session, actor, job_id)
            if not jobs_repo.cancel(session, job_id):
                raise Conflict(f"The download is already {job.status}", field="download_id")
        self._library.log.record("download_cancelled", id=job_id, by=actor.email)
        return self.status(actor, job_id)

    def cleanup(self, actor: Actor) -> int:
        """Forget finished jobs: the caller's own, or everyone's for an admin."""
        if not actor.at_least(Role.contributor):
            raise Forbidden("Cleaning up downloads needs the contributor role or above")
        email = None if actor.at_least(Role.admin) else actor.email
        with self._db.write() as session:
            return jobs_repo.delete_finished(session, email=email)

    def describe(self, job: DownloadJob) -> dict[str, Any]:
        """The status body; every field comes from the row, so any server answers the same."""
        body: dict[str, Any] = {
            "success": True,
            "download_id": job.id,
            "status": job.status,
            "youtube_url": job.url,
            "content_type": job.content_type,
            "entry_id": job.entry_id,
            "requested_by": job.requested_by_email,
            "queued_at": job.queued_at.isoformat(),
            "started_at": job.started_at.isoformat() if job.started_at else None,
            "attempts": job.attempts,
            "tries": job.tries,
            "percent": round(job.percent, 1),
            "progress": {
                "downloaded_bytes": job.downloaded_bytes,
                "total_bytes": job.total_bytes,
                "percent": round(job.percent, 1),
                "speed_bps": job.speed_bps,
                "eta_seconds": job.eta_seconds,
            },
            "status_url": f"/api/download-youtube/status/{job.id}",
        }
        if job.error and job.status in (JobStatus.failed, JobStatus.cancelled):
            body["error"] = job.error
        if job.status == JobStatus.completed and job.result:
            body.update(job.result)
            body["completed_at"] = job.finished_at.isoformat() if job.finished_at else None
        return body

    # Work (called by the queue's tasks) --------------------------------------------------------

    def run(self, job_id: str) -> None:
        self.runner.run(job_id)

    def reap_stale(self, now: datetime | None = None) -> dict[str, int]:
        """Hand out again, or fail, jobs whose worker stopped sending heartbeats."""
        now = now or utcnow()
        requeued, failed = self.runner.reap(now - timedelta(seconds=self.policy.stale_after_s))
        # Queued jobs whose queue message was lost are enqueued again; a claim is atomic, so a
        # second message for the same job does nothing.
        with self._db.read() as session:
            lost = jobs_repo.list_queued_before(
                session, now - timedelta(seconds=self.policy.stale_after_s * 5)
            )
        for job_id in [*requeued, *lost]:
            self._queue.enqueue(DOWNLOAD_TASK, job_id)
        return {"requeued": len(requeued), "failed": failed, "reenqueued": len(lost)}

    def purge_old_records(self, now: datetime | None = None) -> int:
        cutoff = (now or utcnow()) - timedelta(days=self.policy.keep_days)
        with self._db.write() as session:
            removed = jobs_repo.delete_finished(session, finished_before=cutoff)
            idempotency.delete_created_before(session, cutoff)
        return removed
