"""Rate limits on every API request, per user and per client address, by kind of operation:
reads, writes, and expensive operations (uploads, downloads, imports, exports) with the strictest
budget. Sign-in has its own failed-attempt limits and is not counted here.

``verdict_for`` and ``refusal`` are shared with the lean path for the hot reads
(``http/fast_reads.py``), which counts and refuses exactly as this middleware does.
"""

from __future__ import annotations

import html
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from adda_dashboard.adapters.request_limits import Verdict
from adda_dashboard.bootstrap import Container
from adda_dashboard.errors import AppError

EXPENSIVE_PREFIXES = (
    "/api/upload-video",
    "/api/download-youtube",
    "/api/import",
    "/api/export",
    "/ui/admin/sheets/",  # the spreadsheet import: every row of four tabs checked or written
)
EXEMPT_PREFIXES = ("/api/auth/login", "/api/auth/signup", "/api/auth/google-login")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The dashboard's pages draw on the same budgets as the API they stand in for; its sign-in pages
# have the sign-in limits, and its static files none.
DASHBOARD_EXEMPT = ("/ui/static/", "/ui/login", "/ui/signup", "/ui/google-login")


def kind_of(method: str, path: str) -> str | None:
    """Which budget a request draws on, or None for requests that are not limited."""
    if method == "OPTIONS" or path.startswith(EXEMPT_PREFIXES):
        return None
    if path.startswith(EXPENSIVE_PREFIXES) and method in WRITE_METHODS:
        return "expensive"
    if path.startswith("/ui/"):
        if path.startswith(DASHBOARD_EXEMPT):
            return None
        return "write" if method in WRITE_METHODS else "read"
    if path == "/cache/clear" or (path.startswith("/api/") and method in WRITE_METHODS):
        return "write"
    if path.startswith("/api/"):
        return "read"
    return None


def verdict_for(
    container: Container, kind: str, authorization: bytes | None, client: Any
) -> Verdict | None:
    """Count one request of ``kind`` against its user's and its address's budgets; None when
    limits are off. The user is the token's, unchecked beyond its signature: a request with a
    bad token is refused as unauthenticated anyway."""
    limiter = container.request_limiter
    if limiter is None:
        return None
    user = None
    if authorization is not None:
        try:
            user = str(container.gate.claims(authorization.decode("latin-1")).user_id)
        except AppError:
            user = None
    return limiter.check(kind, user, client[0] if client else None)


def refusal(
    kind: str, verdict: Verdict, request_id: str | None, *, page: bool = False
) -> tuple[list[Any], bytes]:
    """The 429's headers and body: JSON, or for a dashboard page a message htmx shows in place."""
    message = (
        f"Too many {kind} requests: at most {verdict.limit} in this window; "
        f"try again in {verdict.reset_after} s"
    )
    if page:
        body = f'<div class="alert alert-error" role="alert">{html.escape(message)}</div>'.encode()
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"hx-retarget", b"#flash"),
            (b"hx-reswap", b"innerHTML"),
        ]
        headers += [(k.lower().encode(), v.encode()) for k, v in verdict.headers().items()]
        return headers, body
    body = orjson.dumps(
        {"success": False, "error": message, "message": message, "request_id": request_id}
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in verdict.headers().items()]
    return headers, body


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = kind_of(scope["method"], scope.get("path", ""))
        if kind is None:
            await self.app(scope, receive, send)
            return
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
                break
        container: Container = scope["app"].state.container
        verdict = verdict_for(container, kind, authorization, scope.get("client"))
        if verdict is None or verdict.allowed:
            await self.app(scope, receive, send)
            return
        page = scope.get("path", "").startswith("/ui/")
        request_id = scope.get("state", {}).get("request_id")
        headers, body = refusal(kind, verdict, request_id, page=page)
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
