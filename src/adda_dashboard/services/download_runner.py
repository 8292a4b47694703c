"""Running one download job on a worker: claim, heartbeat, fetch with retries, store, finish.

Transient network errors are retried with exponential backoff (tenacity); yt-dlp's refusals
(bot check, 403, unavailable) are not, and reach the user in plain words. Neither is a
connection the address guard refused (a redirect, a URL found in a page or a DNS answer that
points at a private or local address): the same host would only point there again. Whatever
happens, the job's working directory, and so any partial file, is removed.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from adda_dashboard.adapters.address_guard import AddressRefused
from adda_dashboard.adapters.downloader import Downloaded, Downloader, DownloadFailed
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import DownloadJob, Video
from adda_dashboard.db.repositories import download_jobs as jobs_repo
from adda_dashboard.domain.downloads import (
    JobStatus,
    explain,
    is_transient,
    refused_connection_message,
)
from adda_dashboard.domain.roles import SYSTEM, Actor, Role
from adda_dashboard.errors import STORAGE_FULL_MESSAGE, AppError
from adda_dashboard.services.video_files import is_disk_full
from adda_dashboard.services.videos import MB, Provenance, VideoLibrary

if TYPE_CHECKING:
    from adda_dashboard.services.downloads import DownloadPolicy

log = logging.getLogger("adda_dashboard.downloads")
PROGRESS_EVERY_S = 0.25
WORKER_STOPPED = "The worker stopped during the download"


class JobTakenAway(Exception):
    """The job was cancelled or handed to another worker while this one was running it."""


class _Heartbeat:
    """Marks the job alive every few seconds while the worker's process lives."""

    def __init__(self, runner: DownloadRunner, job_id: str, attempt: int, every_s: float) -> None:
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(
            target=self._beat,
            args=(runner, job_id, attempt, every_s),
            daemon=True,
            name=f"heartbeat-{job_id[:8]}",
        )

    def _beat(self, runner: DownloadRunner, job_id: str, attempt: int, every_s: float) -> None:
        while not self._stop.wait(every_s):
            if not runner.touch(job_id, attempt, {"heartbeat_at": utcnow()}):
                self.lost.set()
                return

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


class DownloadRunner:
    def __init__(
        self, db: Database, library: VideoLibrary, downloader: Downloader, policy: DownloadPolicy
    ) -> None:
        self._db = db
        self._library = library
        self._downloader = downloader
        self.policy = policy

    @property
    def _staging(self) -> Path:
        return self._library.policy.staging_dir

    def work_dir(self, job_id: str, attempt: int) -> Path:
        return self._staging / f"dl-{job_id}-{attempt}"

    def touch(self, job_id: str, attempt: int, values: dict[str, Any]) -> bool:
        with self._db.write() as session:
            return jobs_repo.update_running(session, job_id, attempt, values)

    def run(self, job_id: str) -> None:
        with self._db.write() as session:
            attempt = jobs_repo.claim(session, job_id, utcnow())
            job = jobs_repo.get(session, job_id) if attempt is not None else None
        if attempt is None or job is None:
            return  # cancelled, finished, or already claimed by another worker
        work = self.work_dir(job_id, attempt)
        self._library.log.record("download_started", id=job_id, attempt=attempt, url=job.url)
        try:
            with _Heartbeat(self, job_id, attempt, self.policy.heartbeat_s) as heartbeat:
                self._library.ensure_room()
                fetched = self._fetch_with_retries(job, attempt, work, heartbeat)
                video, duplicate = self._library.ingest(
                    fetched.path, None, self._provenance(job, fetched)
                )
                self._complete(job, attempt, video, duplicate, fetched.info)
        except JobTakenAway:
            self._library.log.record("download_abandoned", id=job_id, attempt=attempt)
        except AddressRefused as exc:
            self._fail(job_id, attempt, refused_connection_message(exc.address or exc.host))
        except DownloadFailed as exc:
            message = explain(exc.message)
            if is_transient(exc.message):
                message += f" Gave up after {exc.tries} tries."
            self._fail(job_id, attempt, message)
        except AppError as exc:
            self._fail(job_id, attempt, exc.message)
        except Exception as exc:
            if is_disk_full(exc):  # written past the free-space guard
                self._fail(job_id, attempt, STORAGE_FULL_MESSAGE)
            else:
                log.exception("download %s failed unexpectedly", job_id)
                self._fail(job_id, attempt, "The download failed because of a server error")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _provenance(self, job: DownloadJob, fetched: Downloaded) -> Provenance:
        actor = Actor(
            user_id=job.requested_by_id, email=job.requested_by_email, role=Role.contributor
        )
        return Provenance(
            source="download",
            actor=actor,
            original_name=fetched.path.name,
            content_type=job.content_type,
            source_url=job.url,
            source_info={k: v for k, v in fetched.info.items() if k != "description"},
        )

    def _fetch_with_retries(
        self, job: DownloadJob, attempt: int, work: Path, heartbeat: _Heartbeat
    ) -> Downloaded:
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=wait_exponential(
                multiplier=self.policy.retry_wait_s, max=max(self.policy.retry_wait_s * 16, 0.0)
            ),
            retry=retry_if_exception(
                lambda exc: isinstance(exc, DownloadFailed) and is_transient(exc.message)
            ),
            reraise=True,
        )
        tries = 0
        try:
            for try_state in retrying:
                with try_state:
                    tries = try_state.retry_state.attempt_number
                    shutil.rmtree(work, ignore_errors=True)  # a retry starts from nothing
                    work.mkdir(parents=True, exist_ok=True)
                    if not self.touch(
                        job.id,
                        attempt,
                        {
                            "tries": job.tries + tries,
                            "downloaded_bytes": 0,
                            "total_bytes": None,
                            "percent": 0.0,
                            "speed_bps": None,
                            "eta_seconds": None,
                            "heartbeat_at": utcnow(),
                        },
                    ):
                        raise JobTakenAway
                    return self._downloader.download(
                        job.url, work, self._progress_hook(job.id, attempt, heartbeat)
                    )
        except DownloadFailed as exc:
            exc.tries = tries
            raise
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _progress_hook(self, job_id: str, attempt: int, heartbeat: _Heartbeat) -> Any:
        last = {"at": 0.0, "bytes": -1}

        def hook(update: dict[str, Any]) -> None:
            if heartbeat.lost.is_set():
                raise JobTakenAway
            now = time.monotonic()
            finished = update.get("status") == "finished"
            if not finished and now - last["at"] < PROGRESS_EVERY_S:
                return
            done = int(update.get("downloaded_bytes") or 0)
            if done < last["bytes"]:
                return  # never report going backwards within one try
            total = update.get("total_bytes") or update.get("total_bytes_estimate")
            percent = min(100.0, done * 100.0 / total) if total else 0.0
            eta = update.get("eta")
            values = {
                "downloaded_bytes": done,
                "total_bytes": int(total) if total else None,
                "percent": 100.0 if finished else percent,
                "speed_bps": float(update["speed"]) if update.get("speed") else None,
                "eta_seconds": int(eta) if eta is not None else None,
                "heartbeat_at": utcnow(),
            }
            if not self.touch(job_id, attempt, values):
                heartbeat.lost.set()
                raise JobTakenAway
            last["at"], last["bytes"] = now, done

        return hook

    def _complete(
        self, job: DownloadJob, attempt: int, video: Video, duplicate: bool, info: dict[str, Any]
    ) -> None:
        result: dict[str, Any] = {
            "filename": video.filename,
            "file_size_mb": round(video.size_bytes / MB, 2),
            "video_info": info,
            "video": self._library.describe(video),
            "duplicate": duplicate,
        }
        if job.entry_id is not None:
            try:
                self._library.fill_entry(SYSTEM, job.entry_id, video)
                result["entry_updated"] = True
            except AppError as exc:
                result["entry_updated"] = False
                result["entry_error"] = exc.message
        now = utcnow()
        finished = self.touch(
            job.id,
            attempt,
            {
                "status": JobStatus.completed,
                "result": result,
                "video_id": video.id,
                "percent": 100.0,
                "finished_at": now,
                "heartbeat_at": now,
                "error": None,
            },
        )
        if not finished:
            raise JobTakenAway
        self._library.log.record(
            "download_completed", id=job.id, filename=video.filename, duplicate=duplicate
        )

    def _fail(self, job_id: str, attempt: int, message: str) -> None:
        now = utcnow()
        self.touch(
            job_id,
            attempt,
            {
                "status": JobStatus.failed,
                "error": message,
                "finished_at": now,
                "heartbeat_at": now,
            },
        )
        self._library.log.warn("download_failed", id=job_id, attempt=attempt, error=message)

    def fail_unclaimed(self, job_id: str, message: str) -> None:
        with self._db.write() as session:
            job = jobs_repo.get(session, job_id)
            if job is not None and job.status == JobStatus.queued:
                job.status = JobStatus.failed
                job.error = message
                job.finished_at = utcnow()

    def reap(self, heartbeat_before: datetime) -> tuple[Sequence[str], int]:
        """Requeue or fail jobs without a recent heartbeat; returns (requeued ids, failed)."""
        requeued: list[str] = []
        failed = 0
        with self._db.read() as session:
            stale = jobs_repo.list_stale_running(session, heartbeat_before)
            session.expunge_all()  # rows outlive the read
        for job in stale:
            retry = job.attempts < job.max_attempts
            values: dict[str, Any] = (
                {
                    "status": JobStatus.queued,
                    "heartbeat_at": None,
                    "error": f"{WORKER_STOPPED}; it will be retried",
                }
                if retry
                else {
                    "status": JobStatus.failed,
                    "finished_at": utcnow(),
                    "error": f"{WORKER_STOPPED} {job.attempts} times; giving up",
                }
            )
            with self._db.write() as session:
                released = jobs_repo.release_if_stale(
                    session, job.id, job.attempts, heartbeat_before, values
                )
            if not released:
                continue
            for leftover in self._staging.glob(f"dl-{job.id}-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            if retry:
                requeued.append(job.id)
            else:
                failed += 1
            self._library.log.warn("download_reaped", id=job.id, attempt=job.attempts)
        return requeued, failed
