"""Operators' views: detailed health, metrics summary, and clearing every cache level."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from adda_dashboard.adapters import metrics
from adda_dashboard.adapters.redis_link import RedisLink
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import download_jobs as jobs_repo
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.db.repositories import videos as videos_repo
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import Forbidden
from adda_dashboard.services.entries import bump_dataset_version
from adda_dashboard.services.request_gate import RequestGate
from adda_dashboard.services.snapshots import SnapshotCache
from adda_dashboard.services.video_files import disk_space_of
from adda_dashboard.settings import Settings

if TYPE_CHECKING:
    from adda_dashboard.adapters.queue import JobQueue
    from adda_dashboard.services.sheet_mirror_admin import MirrorStatus
    from adda_dashboard.services.videos import VideoLibrary

MIN_FREE_DISK_MB = 500
MB = 1024 * 1024
HEALTHY, UNHEALTHY, NOT_CONFIGURED = "healthy", "unhealthy", "not configured"
# Every part the health answer reports, in the order operators read them.
PARTS = ("database", "redis", "video_storage", "job_queue", "disk")
VIDEO_COUNTS = ("stored_locally", "total_size_mb", "total_size_bytes", "downloads_in_progress")


def utc_timestamp() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


def short_error(exc: BaseException) -> str:
    """An exception as one short line for operators: its type and the first line of its text."""
    message = str(exc).strip()
    first = message.splitlines()[0][:160] if message else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def folder_problem(folder: Path) -> str | None:
    """Why files cannot be created in ``folder``, or None when they can.

    A folder that does not exist yet is fine when its nearest existing parent is a writable
    folder (the storage creates it at the first upload). Writing a real temporary file is the
    only test that also catches read-only mounts and holds for root, whom permission bits do
    not stop.
    """
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        return "is not a folder"
    try:
        handle, name = tempfile.mkstemp(prefix=".health-", dir=probe)
        os.close(handle)
        os.unlink(name)
    except OSError:
        return "is not writable"
    return None


@dataclass(frozen=True)
class Check:
    """One part's state. ``public`` holds what the public answer adds to ``services`` beside
    the plain status (the disk's figures replace it): words safe for anyone, no server path
    and no exception text. ``detail`` is the operators' line and may name both."""

    status: str
    detail: str = ""
    public: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthReport:
    """The public ``/health/detailed`` answer and its HTTP status, and per part (keys of
    ``PARTS``) its raw status and the operators' detail, which only the admin console shows."""

    body: dict[str, Any]
    status_code: int
    states: dict[str, str]
    details: dict[str, str]


class OperationsService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        redis: RedisLink | None,
        snapshots: SnapshotCache,
        gate: RequestGate,
        *,
        videos: VideoLibrary,
        queue: JobQueue,
        sheets: Callable[[], MirrorStatus] | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._redis = redis
        self._snapshots = snapshots
        self._gate = gate
        self._videos = videos
        self._queue = queue
        self._sheets = sheets

    # Health ------------------------------------------------------------------------------------

    def detailed_health(self) -> tuple[dict[str, Any], int]:
        """The public answer and its status (see ``health_report``)."""
        report = self.health_report()
        return report.body, report.status_code

    def health_report(self) -> HealthReport:
        """Every part's state; 503 only when a required part is down, each named in ``down``.

        Required, because no request is served right without them: the database, free disk,
        and video storage when it is the local disk and its folder cannot be written. That
        last is a fault of this server alone (a read-only mount, a wrong owner after a deploy)
        that no retry mends, so a load balancer should take this instance out of rotation.

        Only degrading (status ``degraded``, HTTP 200, named in ``degraded``): Redis, the job
        queue, and a remote storage backend (S3, Drive), whose local upload staging folder is
        what is probed. Each of these breaks one feature (shared caching, downloads, uploads)
        while sign-in, entries and reports keep working; a remote outage also hits every
        instance alike, so a 503 would take them all out of rotation for a fault only uploads
        feel. The remote itself is not called: a check polled every few seconds must answer
        fast, cost no API calls and never hang on a remote's retries.

        Every probe is guarded: a part that fails is reported, the check itself never fails.
        """
        checks = {
            "database": self._database_check(),
            "redis": self._redis_check(),
            "video_storage": self._storage_check(),
            "job_queue": self._queue_check(),
            "disk": self._disk_check(),
        }
        required = {"database", "disk"}
        if self._videos.storage.backend == "local":
            required.add("video_storage")
        failing = [name for name in PARTS if checks[name].status == UNHEALTHY]
        required_down = [name for name in failing if name in required]
        degraded = [name for name in failing if name not in required]
        sheets = self._sheets_report()
        if sheets.get("status") == "degraded":
            degraded.append("sheets")
        status = "unhealthy" if required_down else ("degraded" if degraded else "healthy")
        services: dict[str, Any] = {}
        for name in PARTS:
            services[name] = checks[name].status
            services.update(checks[name].public)
        body = {
            "status": status,
            "timestamp": utc_timestamp(),
            "services": services,
            "down": required_down,
            "degraded": degraded,
            "cache": {
                "snapshots": "enabled",
                "shared": "redis" if self._redis is not None else "none",
                "ttl_seconds": self._settings.cache_ttl_seconds,
            },
            "auth": {
                "legacy_email_login": self._settings.legacy_email_login,
                "open_reads": self._settings.open_reads,
            },
            "sheets": sheets,
        }
        return HealthReport(
            body=body,
            status_code=503 if required_down else 200,
            states={name: check.status for name, check in checks.items()},
            details={name: check.detail for name, check in checks.items()},
        )

    def _sheets_report(self) -> dict[str, Any]:
        """The mirror's figures (from the database: Google is not called). Degraded, never
        down: the app works while the sheet lags, and the outbox keeps every change."""
        if self._sheets is None or not self._settings.sheets_mirror:
            return {"status": NOT_CONFIGURED, "mirror": "off"}
        try:
            status = self._sheets()
        except Exception as exc:
            return {"status": UNHEALTHY, "error": short_error(exc)}
        metrics.instruments().sheet_outbox_depth.set(status.pending)
        metrics.instruments().sheet_outbox_oldest_age.set(status.oldest_age_s)
        return {"status": "degraded" if status.problems else HEALTHY, **status.as_dict()}

    def _database_check(self) -> Check:
        name = "SQLite" if self._db.is_sqlite else self._db.engine.dialect.name
        try:
            with self._db.read() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:
            return Check(UNHEALTHY, f"{name}: {short_error(exc)}")
        return Check(HEALTHY, name)

    def _redis_check(self) -> Check:
        if self._redis is None:
            return Check(NOT_CONFIGURED, "optional")
        try:
            alive = self._redis.ping()
        except Exception as exc:  # the link reports failures itself; this is a last guard
            error = short_error(exc)
            return Check(UNHEALTHY, error, {"redis_error": error})
        if alive:
            return Check(HEALTHY, "shared cache")
        error = self._redis.last_error or "no answer"
        return Check(UNHEALTHY, error, {"redis_error": error})

    def _storage_check(self) -> Check:
        """Local backend: its folder and the staging folder beside it must take new files.
        Remote backends: only the local staging folder that uploads pass through."""
        storage = self._videos.storage
        backend = storage.backend
        public: dict[str, Any] = {"video_storage_backend": backend}
        try:
            where = storage.location()
            folders = [("upload staging folder", self._videos.policy.staging_dir)]
            if backend == "local":
                folders.insert(0, ("video folder", Path(where)))
            for label, folder in folders:
                problem = folder_problem(folder)
                if problem is not None:
                    public["video_storage_error"] = f"the {label} {problem}"
                    return Check(UNHEALTHY, f"{backend}: {folder} {problem}", public)
        except Exception as exc:
            public["video_storage_error"] = "the storage could not be checked"
            return Check(UNHEALTHY, f"{backend}: {short_error(exc)}", public)
        if backend == "local":
            return Check(HEALTHY, f"local: {where}", public)
        detail = f"{backend}: {where} (staging folder writable; the remote is not called)"
        return Check(HEALTHY, detail, public)

    def _queue_check(self) -> Check:
        """How many jobs wait, asked of the queue's own store (an SQLite file or Redis)."""
        try:
            waiting = self._queue.pending()
        except Exception as exc:
            public = {"job_queue_error": f"the queue did not answer ({type(exc).__name__})"}
            return Check(UNHEALTHY, short_error(exc), public)
        detail = f"{waiting} job{'s' if waiting != 1 else ''} waiting"
        return Check(HEALTHY, detail, {"job_queue_pending": waiting})

    def _disk_check(self) -> Check:
        """The fullest of the disks that hold the video folders and the data folder (the
        working directory's disk says nothing about either). ``measured`` names which, in
        words, without a server path."""
        places = [
            ("video folder", self._videos.folders()),
            ("data folder", [self._settings.var_dir]),
        ]
        try:
            spaces = [(disk_space_of(folders), label) for label, folders in places]
        except Exception as exc:
            figures = {"status": UNHEALTHY, "free_mb": None, "total_mb": None}
            return Check(UNHEALTHY, short_error(exc), {"disk": figures})
        space, label = min(spaces, key=lambda pair: pair[0].free)
        free_mb, total_mb = space.free // MB, space.total // MB
        status = HEALTHY if free_mb >= MIN_FREE_DISK_MB else UNHEALTHY
        figures = {"status": status, "free_mb": free_mb, "total_mb": total_mb, "measured": label}
        detail = f"{free_mb:,} MB free of {total_mb:,} MB ({label})"
        return Check(status, detail, {"disk": figures})

    # Metrics -----------------------------------------------------------------------------------

    def metrics_summary(self) -> dict[str, Any]:
        """The original's /metrics fields, summed over every worker of this server."""
        totals = metrics.sample_totals()
        total = int(totals["requests"])
        lookups = totals["cache_hit"] + totals["cache_shared"] + totals["cache_miss"]
        hit_rate = (totals["cache_hit"] + totals["cache_shared"]) / lookups if lookups else 0.0
        return {
            "requests": {
                "total": total,
                "successful": int(totals["successful"]),
                "failed": int(totals["failed"]),
                "success_rate": f"{(totals['successful'] / total * 100) if total else 0:.2f}%",
            },
            "videos": self.video_counts(),
            "cache": {
                "enabled": True,
                "ttl_seconds": {
                    "sheets": self._settings.cache_ttl_seconds,
                    "credentials": 600,
                    "filters": self._settings.cache_ttl_seconds,
                },
                "hit_rate": f"{hit_rate * 100:.2f}%",
                "lookups": int(lookups),
                "shared": self._redis is not None,
            },
            "system": {
                "workers_aggregated": metrics.multiprocess_enabled(),
                "dataset_version": self._snapshots.current_version(),
            },
        }

    def video_counts(self) -> dict[str, Any]:
        """The library's videos and their size, and downloads queued or running.

        ``stored_locally`` keeps the original's name for the count of videos the library holds,
        whichever backend keeps their files; ``total_size_bytes`` is added because megabytes
        rounded to two places hide small libraries. The numbers come from the database, one
        aggregate query each, never from listing files, so every server agrees. When the
        database does not answer they are null rather than the endpoint failing.
        """
        try:
            with self._db.read() as session:
                count, size = videos_repo.totals(session)
                active = jobs_repo.count_active(session)
        except Exception:
            return dict.fromkeys(VIDEO_COUNTS)
        return {
            "stored_locally": count,
            "total_size_mb": round(size / MB, 2),
            "total_size_bytes": size,
            "downloads_in_progress": active,
        }

    # Caches ------------------------------------------------------------------------------------

    def clear_caches(self, actor: Actor) -> dict[str, Any]:
        """Every level on every server: a new dataset version invalidates every process's
        snapshots at its next request; shared snapshots and user facts go from Redis."""
        if not actor.at_least(Role.admin):
            raise Forbidden(actor.refusal(Role.admin, "Only an admin may clear caches"))
        with self._db.write() as session:
            # Every entry re-stamped: every process's copy of the live entries reads them anew.
            entries_repo.stamp_all(session, bump_dataset_version(session))
        self._snapshots.clear_local()
        cleared = self._snapshots.clear_shared()
        self._gate.forget_all_users()
        return {
            "success": True,
            "message": "All caches cleared successfully",
            "shared_entries_cleared": cleared,
        }
