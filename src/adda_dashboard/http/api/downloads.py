"""Video downloads as jobs (API.md A.8): queue, poll, list, cancel, clean up."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from adda_dashboard.domain.downloads import JobStatus
from adda_dashboard.errors import STORAGE_FULL_MESSAGE, AppError, StorageFull
from adda_dashboard.http.api.videos import idempotency_key
from adda_dashboard.http.deps import ContainerDep, CurrentActor, JsonBody
from adda_dashboard.http.responses import OrjsonResponse
from adda_dashboard.services.downloads import RECENT_LIMIT_MAX, parse_request

router = APIRouter(tags=["downloads"])
SYNC_POLL_S = 0.25


class DownloadFailedError(AppError):
    status_code = 502
    code = "download_failed"


@router.post("/api/download-youtube")
async def download_youtube(
    request: Request, body: JsonBody, actor: CurrentActor, container: ContainerDep
) -> OrjsonResponse:
    """Queue a download (202); with ``async: false`` wait for it, as the original did."""
    parsed = parse_request(body)
    service = container.downloads
    job, _replayed = await run_in_threadpool(
        service.request, actor, parsed, idempotency_key=idempotency_key(request)
    )
    if parsed.run_async:
        return OrjsonResponse(
            {
                **job,
                "message": (
                    "Download queued. Use /api/download-youtube/status/"
                    f"{job['download_id']} to check progress."
                ),
            },
            status_code=202,
        )
    # Sync mode waits on the job without holding a worker thread, up to a limit.
    deadline = time.monotonic() + service.policy.sync_timeout_s
    while job["status"] in (JobStatus.queued, JobStatus.downloading):
        if time.monotonic() >= deadline:
            return OrjsonResponse(
                {
                    **job,
                    "message": "The download is still running; poll its status_url.",
                },
                status_code=202,
            )
        await asyncio.sleep(SYNC_POLL_S)
        job = await run_in_threadpool(service.status, actor, job["download_id"])
    if job["status"] != JobStatus.completed:
        if job.get("error") == STORAGE_FULL_MESSAGE:  # the server's disk, not the video host
            raise StorageFull(field="youtube_url")
        raise DownloadFailedError(
            f"Failed to download YouTube video: {job.get('error', job['status'])}",
            field="youtube_url",
            extra={"download_id": job["download_id"]},
        )
    return OrjsonResponse(job)


@router.get("/api/download-youtube/status/{download_id}")
def download_status(
    download_id: str, actor: CurrentActor, container: ContainerDep
) -> dict[str, Any]:
    return container.downloads.status(actor, download_id)


@router.get("/api/download-youtube/jobs")
def recent_downloads(
    actor: CurrentActor,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=RECENT_LIMIT_MAX)] = 10,
) -> dict[str, Any]:
    """The caller's latest jobs (everyone's for an admin), newest first."""
    jobs = container.downloads.recent(actor, limit=limit)
    return {"success": True, "jobs": jobs, "count": len(jobs)}


@router.post("/api/download-youtube/{download_id}/cancel")
def cancel_download(
    download_id: str, actor: CurrentActor, container: ContainerDep
) -> dict[str, Any]:
    return container.downloads.cancel(actor, download_id)


@router.post("/api/download-youtube/cleanup")
def cleanup_downloads(actor: CurrentActor, container: ContainerDep) -> dict[str, Any]:
    cleaned = container.downloads.cleanup(actor)
    return {
        "success": True,
        "cleaned": cleaned,
        "message": f"Cleaned up {cleaned} completed download records",
    }
