"""ASGI middleware: a request id on every response and log line; request metrics.

The helpers (``request_id_for``, ``count_request``) are shared with the lean path for the hot
reads (``http/fast_reads.py``), which answers without passing through this middleware and must
leave the same traces.
"""

from __future__ import annotations

import os
import re
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adda_dashboard.adapters.access_log import AccessLog
from adda_dashboard.adapters.metrics import instruments
from adda_dashboard.http.snapshots import FAST_PATHS

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REQUEST_ID_HEADER = b"x-request-id"


def request_id_for(incoming: bytes | None) -> str:
    """The client's ``X-Request-ID`` when it is sane, else a new one (128 random bits as 32 hex
    digits, like ``uuid4().hex`` at a third of the cost)."""
    if incoming:
        text = incoming.decode("latin-1")
        if _SAFE_ID.match(text):
            return text
    return os.urandom(16).hex()


def count_request(
    scope: Scope,
    template: str,
    status: int,
    started: float,
    *,
    request_id: str | None = None,
    access_log: AccessLog | None = None,
) -> None:
    """One answered request: its count and latency (``started`` from ``time.perf_counter()``),
    and its access-log line when the server keeps one."""
    method = scope.get("method", "GET")
    elapsed = time.perf_counter() - started
    meter = instruments()
    meter.requests.labels(method, template, str(status)).inc()
    meter.latency.labels(method, template).observe(elapsed)
    if access_log is not None:
        target = scope.get("raw_path") or scope.get("path", "").encode()
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        access_log.record(
            scope.get("client"),
            method,
            target.decode("latin-1"),
            scope.get("http_version", "1.1"),
            status,
            elapsed,
            request_id,
        )


class RequestIdMiddleware:
    """Takes a sane ``X-Request-ID`` from the client or makes one, and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                incoming = value
                break
        request_id = request_id_for(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    (REQUEST_ID_HEADER, request_id.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")


class MetricsMiddleware:
    """Counts every answered request and its latency, labelled by route template, and writes
    its access-log line when given an access log."""

    def __init__(self, app: ASGIApp, access_log: AccessLog | None = None) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or _fast_or_unmatched(scope.get("path", ""))
            request_id = scope.get("state", {}).get("request_id")
            count_request(
                scope,
                template,
                status,
                started,
                request_id=request_id,
                access_log=self.access_log,
            )


def _fast_or_unmatched(path: str) -> str:
    return path if path in FAST_PATHS else "unmatched"
