"""Dashboard page: the video library, with uploads and download jobs for contributors.

Uploads and new downloads go from the page's script straight to the JSON API: an upload's
progress bar needs the browser's own upload events, and the API already checks and stores
everything. These routes render the library, the reader's recent download jobs (so a reload
keeps following them), the live state of one download job (a fragment that polls itself with
htmx until the job is finished), a job's cancellation, and the stored files themselves for the
cookie session (the API's file route wants a bearer header, which a plain link cannot send).
"""

from __future__ import annotations

from datetime import UTC, datetime
from math import ceil
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from adda_dashboard.domain.bounds import MAX_PAGE_NUMBER
from adda_dashboard.domain.columns import CONTENT_TYPES
from adda_dashboard.domain.downloads import ACTIVE_STATUSES, JobStatus
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import Conflict, Forbidden, NotFound
from adda_dashboard.http.api.videos import file_response
from adda_dashboard.http.deps import ContainerDep, CurrentActor
from adda_dashboard.http.web.templating import render
from adda_dashboard.services.video_files import disk_space_of
from adda_dashboard.services.videos import MB, VideoLibrary, require_uploader

router = APIRouter(prefix="/ui", include_in_schema=False)

PAGE_SIZE = 20
RECENT_JOBS = 10
STREAM_CHUNK = 1024 * 1024
# Fired on <body> when the library has changed, so the library section reloads itself.
LIBRARY_CHANGED = "videos-changed"
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE_NUMBER)]


# Display -------------------------------------------------------------------------------------


def size_text(size_bytes: int | None) -> str:
    if size_bytes is None:
        return "—"
    if size_bytes < 1024:
        return f"{size_bytes} B"
    for unit, scale in (("KB", 1024), ("MB", MB), ("GB", 1024 * MB)):
        if size_bytes < scale * 1024 or unit == "GB":
            return f"{size_bytes / scale:.1f} {unit}"
    return f"{size_bytes} B"  # unreachable: GB is the last unit


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def moment_of(iso: str | None) -> datetime | None:
    """A stored time in UTC: SQLite gives it back without a zone, PostgreSQL with one."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def when_text(iso: str | None) -> str:
    """The page says UTC rather than guess the reader's zone."""
    moment = moment_of(iso)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def warnings_text(described: dict[str, Any]) -> str:
    return "; ".join(str(w) for w in (described.get("shorts") or {}).get("warnings") or [])


def verdict_text(described: dict[str, Any]) -> str:
    """The same words the upload form shows, so a verdict reads alike everywhere."""
    if (described.get("shorts") or {}).get("qualifies"):
        return "Qualifies as a Short"
    warnings = warnings_text(described)
    return f"Not a Short: {warnings}" if warnings else "Not a Short"


def file_url(filename: str) -> str:
    return f"/ui/videos/file/{quote(filename)}"


def video_view(described: dict[str, Any]) -> dict[str, Any]:
    """One stored video as the page shows it (the library's rows and a finished job)."""
    meta = described.get("metadata") or {}
    moment = moment_of(described.get("created"))
    width, height = meta.get("width"), meta.get("height")
    return {
        "filename": described["filename"],
        "name": described.get("original_name") or described["filename"],
        "content_type": described.get("content_type") or "Unknown",
        "source": described.get("source") or "",
        "size": size_text(described.get("size_bytes")),
        "duration": duration_text(meta.get("duration")),
        "resolution": f"{width}×{height}" if width and height else "—",
        "uploaded_by": described.get("uploaded_by") or "—",
        "when": when_text(described.get("created")),
        "created": moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "",
        "qualifies": bool((described.get("shorts") or {}).get("qualifies")),
        "verdict": verdict_text(described),
        "warnings": warnings_text(described),
        "url": file_url(described["filename"]),
    }


def may_upload(actor: Actor) -> bool:
    """The upload and download forms are shown to those the services would let use them."""
    try:
        require_uploader(actor)
    except Forbidden:
        return False
    return True


# The library ---------------------------------------------------------------------------------


def free_disk_bytes(library: VideoLibrary) -> int | None:
    """Free space on the fullest disk that holds the video folders."""
    try:
        return disk_space_of(library.folders()).free
    except OSError:
        return None


def library_context(container: Any, actor: Actor, page: int) -> dict[str, Any]:
    library: VideoLibrary = container.videos
    listing = library.list(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    stats = library.stats(actor)
    total = int(listing["total"])
    pages = max(1, ceil(total / PAGE_SIZE))
    rows = [video_view(v) for v in listing["videos"]]
    free = free_disk_bytes(library)
    min_free = library.policy.min_free_bytes
    return {
        "videos": rows,
        "page": page,
        "pages": pages,
        "total": total,
        "first_shown": (page - 1) * PAGE_SIZE + 1 if rows else 0,
        "last_shown": (page - 1) * PAGE_SIZE + len(rows),
        "stats": {
            "count": stats["video_count"],
            "total_size": size_text(stats["total_size_bytes"]),
            "free_disk": size_text(free),
            "backend": stats["storage_backend"],
            "location": stats["storage_path"],
            "low_disk": free is not None and min_free > 0 and free < min_free,
            "min_free": size_text(min_free),
        },
    }


@router.get("/videos")
def videos_page(
    request: Request, actor: CurrentActor, container: ContainerDep, page: PageNumber = 1
) -> Response:
    policy = container.videos.policy
    can_upload = may_upload(actor)
    recent = container.downloads.recent(actor, limit=RECENT_JOBS) if can_upload else []
    context = {
        **library_context(container, actor, page),
        "can_upload": can_upload,
        "recent_jobs": [job_view(job) for job in recent],
        "recent_everyone": actor.at_least(Role.admin),
        "max_upload_bytes": policy.max_upload_bytes,
        "max_upload": size_text(policy.max_upload_bytes),
        "content_types": CONTENT_TYPES,
    }
    return render(request, "videos/index.html", context, actor=actor)


@router.get("/videos/library")
def library_fragment(
    request: Request, actor: CurrentActor, container: ContainerDep, page: PageNumber = 1
) -> Response:
    """The library section alone, reloaded after an upload or a finished download."""
    context = library_context(container, actor, page)
    return render(request, "videos/_library.html", context, actor=actor)


# Download jobs -------------------------------------------------------------------------------


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    status = str(job["status"])
    progress = job.get("progress") or {}
    done, total = progress.get("downloaded_bytes"), progress.get("total_bytes")
    view: dict[str, Any] = {
        "id": job["download_id"],
        "status": status,
        "active": status in ACTIVE_STATUSES,
        "url": job.get("youtube_url") or "",
        "requested_by": job.get("requested_by"),
        "percent": max(0.0, min(100.0, float(job.get("percent") or 0))),
        "bytes": f"{size_text(done)} of {size_text(total)}" if done and total else None,
        "error": job.get("error"),
        "video": None,
        "title": None,
        "duplicate": bool(job.get("duplicate")),
        "entry_error": job.get("entry_error"),
    }
    if status == JobStatus.completed and isinstance(job.get("video"), dict):
        view["video"] = video_view(job["video"])
        info = job.get("video_info")
        if isinstance(info, dict) and info.get("title"):
            view["title"] = str(info["title"])
    return view


def _render_job(
    request: Request, actor: Actor, job: dict[str, Any], notice: str | None = None
) -> Response:
    view = job_view(job)
    headers = {"Cache-Control": "no-store"}
    if view["status"] == JobStatus.completed:
        headers["HX-Trigger"] = LIBRARY_CHANGED
    context = {"job": view, "notice": notice}
    return render(request, "videos/_job.html", context, actor=actor, headers=headers)


def _render_unknown_job(request: Request, actor: Actor, download_id: str, message: str) -> Response:
    """A job that is gone (or never was) ends its polling with a message in its place."""
    context = {"job": None, "download_id": download_id[:64], "notice": message}
    return render(request, "videos/_job.html", context, actor=actor)


@router.get("/videos/jobs/{download_id}")
def job_fragment(
    download_id: str, request: Request, actor: CurrentActor, container: ContainerDep
) -> Response:
    """A job's state; it carries its own polling trigger only while the job is still active."""
    try:
        job = container.downloads.status(actor, download_id)
    except NotFound as exc:
        return _render_unknown_job(request, actor, download_id, exc.message)
    return _render_job(request, actor, job)


@router.post("/videos/jobs/{download_id}/cancel")
def cancel_job(
    download_id: str, request: Request, actor: CurrentActor, container: ContainerDep
) -> Response:
    try:
        job = container.downloads.cancel(actor, download_id)
    except NotFound as exc:
        return _render_unknown_job(request, actor, download_id, exc.message)
    except Conflict as exc:  # it finished first: show how it ended
        job = container.downloads.status(actor, download_id)
        return _render_job(request, actor, job, notice=exc.message)
    return _render_job(request, actor, job, notice="Download cancelled")


# Files ---------------------------------------------------------------------------------------


@router.get("/videos/file/{filename}")
def video_file(filename: str, _actor: CurrentActor, container: ContainerDep) -> Response:
    """The stored file, streamed from whichever backend holds it, for the signed-in browser."""
    return file_response(
        container.videos,
        filename,
        {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
