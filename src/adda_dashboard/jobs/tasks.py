"""The queue's tasks and schedules. Each is a thin call into a service; the services come from
the container the caller built with ``bootstrap()`` (the web app or the worker command)."""

from __future__ import annotations

import logging

from adda_dashboard.adapters.queue import JobQueue
from adda_dashboard.services.downloads import DOWNLOAD_TASK, DownloadService
from adda_dashboard.services.sheet_mirror import PULL_TASK, PUSH_TASK, TICK_TASK, SheetMirror
from adda_dashboard.services.sheet_pull import SheetPull
from adda_dashboard.services.videos import VideoLibrary

log = logging.getLogger("adda_dashboard.jobs")

REAP_TASK = "reap_stale_downloads"
RETENTION_TASK = "delete_expired_videos"
PURGE_TASK = "purge_download_records"


def register(queue: JobQueue, downloads: DownloadService, videos: VideoLibrary) -> None:
    """Attach every task to the queue, under names that are the same in every process."""

    def download_video(job_id: str) -> None:
        downloads.run(job_id)

    def reap_stale_downloads() -> None:
        outcome = downloads.reap_stale()
        if any(outcome.values()):
            log.warning("stale downloads: %s", outcome)

    def delete_expired_videos() -> None:
        deleted = videos.delete_expired()
        if deleted:
            log.info("retention removed %d videos", deleted)

    def purge_download_records() -> None:
        downloads.purge_old_records()

    queue.define(DOWNLOAD_TASK, download_video)
    queue.define_periodic(REAP_TASK, reap_stale_downloads)  # every minute
    queue.define_periodic(RETENTION_TASK, delete_expired_videos, minute="17")  # hourly
    queue.define_periodic(PURGE_TASK, purge_download_records, minute="41", hour="3")  # daily


def register_sheets(queue: JobQueue, mirror: SheetMirror, pull: SheetPull) -> None:
    """The spreadsheet mirror's tasks: a push asked for after each commit that wrote the
    outbox (and retried at its next-try time), the pull every ``ADDA_SHEETS_PULL_SECONDS``
    (each run asks for the next), and a minute's tick that keeps both going after a restart."""

    def push_sheet() -> None:
        mirror.push_pending()

    def pull_sheet() -> None:
        pull.run_due()

    def sheet_tick() -> None:
        if mirror.config.enabled:
            mirror.push_pending()
            pull.schedule_next()

    queue.define(PUSH_TASK, push_sheet)
    queue.define(PULL_TASK, pull_sheet)
    queue.define_periodic(TICK_TASK, sheet_tick)  # every minute
