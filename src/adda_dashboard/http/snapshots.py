"""Serving cached snapshots: conditional requests (304) and pre-compressed bodies."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from fastapi import Request, Response

from adda_dashboard.bootstrap import Container
from adda_dashboard.services.snapshots import Snapshot

CACHE_CONTROL = "private, no-cache"  # browsers keep it but revalidate each time
# The hot reads, answered from snapshots on the lean path (``http/fast_reads.py``), by name.
FAST_PATHS = {"/api/data": "data", "/api/filters": "filters", "/api/leaderboard": "leaderboard"}


def page_snapshot_name(params: Mapping[str, str]) -> str:
    """The snapshot of one filtered page of ``GET /api/data``: a digest of its canonical query
    (the parameters sorted; ``_``, a browser's cache-buster, left out by the caller)."""
    canonical = orjson.dumps(sorted(params.items()))
    return "page-" + hashlib.sha256(canonical).hexdigest()[:24]


def accepts_gzip(request: Request) -> bool:
    header = request.headers.get("accept-encoding", "")
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def if_none_match(request: Request) -> set[str]:
    header = request.headers.get("if-none-match")
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def not_modified(request: Request, etags: tuple[str, ...]) -> Response | None:
    """304 when the client already holds one of ``etags``."""
    held = if_none_match(request)
    for etag in etags:
        if etag in held or "*" in held:
            return Response(
                status_code=304,
                headers={"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"},
            )
    return None


def snapshot_response(request: Request, snapshot: Snapshot) -> Response:
    gzip_ok = accepts_gzip(request)
    etag = snapshot.gzip_etag if gzip_ok else snapshot.etag
    cached = not_modified(request, (etag,))
    if cached is not None:
        return cached
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
        return Response(snapshot.gzip_body, media_type="application/json", headers=headers)
    return Response(snapshot.body, media_type="application/json", headers=headers)


def cached_snapshot(
    request: Request, container: Container, name: str, produce: Callable[[], Any]
) -> Response:
    """The answer of ``produce`` at the current dataset version, from the cache when it can.

    A client that already holds this version gets 304 before anything is computed or read.
    """
    snapshots = container.snapshots
    version = snapshots.current_version()
    plain, gz = f'"{name}-v{version}"', f'"{name}-v{version}-gz"'
    held = not_modified(request, (gz if accepts_gzip(request) else plain,))
    if held is not None:
        return held
    return snapshot_response(request, snapshots.get(name, produce, version=version))
