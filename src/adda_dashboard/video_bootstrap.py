"""The video part of the composition root: storage, queue, downloader and their services.

Kept apart from ``bootstrap.py`` only for size; ``bootstrap()`` calls it, the app, the CLI and
the worker all get the same wiring.
"""

from __future__ import annotations

from dataclasses import dataclass

from adda_dashboard.adapters.address_guard import AddressGuard, Resolver, system_resolver
from adda_dashboard.adapters.downloader import Downloader
from adda_dashboard.adapters.queue import JobQueue, build_huey
from adda_dashboard.adapters.storage import build_storage, staging_dir
from adda_dashboard.adapters.video_log import VideoLog
from adda_dashboard.db.engine import Database
from adda_dashboard.jobs import tasks
from adda_dashboard.services.downloads import DownloadPolicy, DownloadService
from adda_dashboard.services.entries import EntryService
from adda_dashboard.services.videos import MB, LibraryPolicy, VideoLibrary
from adda_dashboard.settings import Settings


@dataclass
class VideoServices:
    queue: JobQueue
    videos: VideoLibrary
    downloads: DownloadService


def build_video_services(
    settings: Settings,
    db: Database,
    entries: EntryService,
    *,
    resolver: Resolver = system_resolver,
) -> VideoServices:
    """``resolver`` answers host names for the download guard (tests stand in for DNS)."""
    max_bytes = settings.video_max_upload_mb * MB
    library = VideoLibrary(
        db,
        build_storage(settings),
        entries,
        LibraryPolicy(
            staging_dir=staging_dir(settings),
            max_upload_bytes=max_bytes,
            min_free_bytes=settings.video_min_free_disk_mb * MB,
            retention_days=settings.video_retention_days,
            public_base_url=settings.public_base_url,
        ),
        VideoLog.from_settings(settings),
    )
    queue = JobQueue(build_huey(settings), poll_seconds=settings.worker_poll_seconds)
    # One guard judges both the submitted URL and, in the worker, every connection made.
    guard = AddressGuard(allow_loopback=settings.download_allow_loopback, resolver=resolver)
    downloads = DownloadService(
        db,
        queue,
        library,
        Downloader(
            guard,
            socket_timeout_s=settings.download_socket_timeout_seconds,
            max_filesize=max_bytes,
        ),
        DownloadPolicy(
            queue_limit=settings.download_queue_limit,
            user_limit=settings.download_user_limit,
            max_attempts=settings.download_max_attempts,
            retry_wait_s=settings.download_retry_wait_seconds,
            retry_after_s=settings.download_retry_after_seconds,
            heartbeat_s=settings.job_heartbeat_seconds,
            stale_after_s=settings.job_stale_after_seconds,
            keep_days=settings.download_records_keep_days,
            socket_timeout_s=settings.download_socket_timeout_seconds,
            sync_timeout_s=settings.download_sync_timeout_seconds,
        ),
        check_host=guard.check_host,
    )
    tasks.register(queue, downloads, library)
    return VideoServices(queue=queue, videos=library, downloads=downloads)
