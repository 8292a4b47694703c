"""Video upload and the library (API.md A.7), from the database instead of a folder scan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from adda_dashboard.domain.bounds import ascii_digits
from adda_dashboard.errors import Invalid
from adda_dashboard.http.deps import ContainerDep, CurrentActor, Offset, ReadingActor
from adda_dashboard.http.uploads import receive_upload
from adda_dashboard.services.video_files import clean_label, safe_original_name
from adda_dashboard.services.videos import Provenance, VideoLibrary

router = APIRouter(tags=["videos"])
STREAM_CHUNK = 1024 * 1024


def idempotency_key(request: Request) -> str | None:
    raw = request.headers.get("idempotency-key")
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > 200 or not key.isprintable():
        raise Invalid(
            "Idempotency-Key must be 1 to 200 printable characters", field="Idempotency-Key"
        )
    return key


def parse_entry_id(raw: str | None) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip()
    if not ascii_digits(value) or int(value) < 1 or len(value) > 12:
        raise Invalid("'entry_id' must be a positive whole number", field="entry_id")
    return int(value)


@router.post("/api/upload-video")
async def upload_video(
    request: Request, actor: CurrentActor, container: ContainerDep
) -> dict[str, Any]:
    """Multipart ``video`` (+ ``contentType``, ``status``, ``entry_id``), streamed to storage."""
    library = container.videos
    key = idempotency_key(request)
    earlier = await run_in_threadpool(library.replay, actor, key)
    if earlier is not None:
        return earlier
    declared = request.headers.get("content-length")
    query_entry = parse_entry_id(request.query_params.get("entry_id"))
    await run_in_threadpool(
        library.authorize_upload,
        actor,
        declared_length=int(declared) if declared and ascii_digits(declared) else None,
        entry_id=query_entry,
    )
    parsed = await receive_upload(request, library.receive)
    incoming = parsed.file
    assert incoming is not None
    try:
        form_entry = parse_entry_id(parsed.fields.get("entry_id"))
        entry_id = query_entry or form_entry
        if form_entry is not None and query_entry is None:
            await run_in_threadpool(library.check_entry_editable, actor, form_entry)
        provenance = Provenance(
            source="upload",
            actor=actor,
            original_name=safe_original_name(parsed.filename),
            content_type=clean_label(parsed.fields.get("contentType"), "contentType"),
        )
    except BaseException:
        incoming.discard()
        raise
    library.log.record(
        "upload_received",
        name=provenance.original_name,
        size=incoming.size,
        status=parsed.fields.get("status", ""),
        by=actor.email,
    )
    return await run_in_threadpool(
        library.store_upload, incoming, provenance, entry_id=entry_id, idempotency_key=key
    )


@router.get("/api/videos/list")
def list_videos(
    container: ContainerDep,
    _actor: ReadingActor,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Offset = 0,
) -> dict[str, Any]:
    return container.videos.list(limit=limit, offset=offset)


@router.get("/api/video-info/{filename}")
def video_info(filename: str, container: ContainerDep, _actor: ReadingActor) -> dict[str, Any]:
    return container.videos.info(filename)


@router.get("/api/videos/storage-stats")
def storage_stats(container: ContainerDep, actor: ReadingActor) -> dict[str, Any]:
    return container.videos.stats(actor)


@router.get("/api/videos/file/{filename}")
def video_file(filename: str, container: ContainerDep, _actor: ReadingActor) -> StreamingResponse:
    """The stored file itself, streamed from whichever backend holds it."""
    return file_response(container.videos, filename)


def file_response(
    library: VideoLibrary, filename: str, headers: dict[str, str] | None = None
) -> StreamingResponse:
    """A stored video streamed in chunks: memory stays flat whatever the file's size."""
    video = library.get(filename)

    def chunks() -> Iterator[bytes]:
        with library.open(video) as handle:
            while chunk := handle.read(STREAM_CHUNK):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type=video.mime_type,
        headers={
            "Content-Length": str(video.size_bytes),
            "Content-Disposition": f'inline; filename="{video.filename}"',
            **(headers or {}),
        },
    )
