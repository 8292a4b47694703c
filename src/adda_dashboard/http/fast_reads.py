"""A lean ASGI path for the three hot reads: ``GET /api/data``, ``/api/filters`` and
``/api/leaderboard`` without parameters.

These answers are cached snapshots (bytes, pre-compressed); serving them through the full
framework (routing, dependency injection, a thread hop) cost several times the work of the answer
itself. This path checks the token through the same gate as every route, validates the snapshot
against the live dataset version, answers 304 or the bytes, and hands anything else (a bad
token, parameters, other methods) to the application, which answers it in full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from adda_dashboard.bootstrap import Container
from adda_dashboard.errors import AppError
from adda_dashboard.http.snapshots import CACHE_CONTROL
from adda_dashboard.services.snapshots import Snapshot

FAST_PATHS = {"/api/data": "data", "/api/filters": "filters", "/api/leaderboard": "leaderboard"}


def producers(container: Container) -> dict[str, Callable[[], Any]]:
    return {
        "data": container.entries.legacy_list,
        "filters": container.reports.filters,
        "leaderboard": container.reports.leaderboard,
    }


def _wants_gzip(accept_encoding: bytes) -> bool:
    for part in accept_encoding.split(b","):
        coding, _, params = part.strip().partition(b";")
        if coding.strip().lower() in (b"gzip", b"*"):
            return params.replace(b" ", b"") not in (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")
    return False


class FastReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = FAST_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if name is None or scope["method"] not in ("GET", "HEAD") or scope["query_string"]:
            await self.app(scope, receive, send)
            return
        container: Container = scope["app"].state.container
        headers = dict(scope["headers"])
        authorization = headers.get(b"authorization")
        if authorization is None:
            await self.app(scope, receive, send)  # open reads, or the 401: the full path decides
            return
        try:
            admission = container.gate.admit(authorization.decode("latin-1"))
        except AppError:
            await self.app(scope, receive, send)
            return
        version = admission.dataset_version
        gzip_ok = _wants_gzip(headers.get(b"accept-encoding", b""))
        etag = f'"{name}-v{version}-gz"' if gzip_ok else f'"{name}-v{version}"'
        held = headers.get(b"if-none-match", b"").decode("latin-1")
        if held and (
            etag in {t.strip().removeprefix("W/") for t in held.split(",")} or held == "*"
        ):
            await self._send(send, 304, b"", etag, gzip=False, head=True)
            return
        snapshot = container.snapshots.peek(name, version)
        if snapshot is None:
            produce = producers(container)[name]
            snapshot = await anyio.to_thread.run_sync(
                lambda: container.snapshots.get(name, produce, version)
            )
        await self._send_snapshot(send, snapshot, gzip_ok, scope["method"] == "HEAD")

    async def _send_snapshot(
        self, send: Send, snapshot: Snapshot, gzip_ok: bool, head: bool
    ) -> None:
        body = snapshot.gzip_body if gzip_ok else snapshot.body
        etag = snapshot.gzip_etag if gzip_ok else snapshot.etag  # it may be newer than admitted
        await self._send(send, 200, body, etag, gzip=gzip_ok, head=head)

    @staticmethod
    async def _send(
        send: Send, status: int, body: bytes, etag: str, *, gzip: bool, head: bool
    ) -> None:
        headers = [
            (b"etag", etag.encode("latin-1")),
            (b"cache-control", CACHE_CONTROL.encode()),
            (b"vary", b"Accept-Encoding"),
        ]
        if status == 200:
            headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(body)).encode()))
        if gzip:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})
