"""Rate limits on every API request, per user and per client address, by kind of operation:
reads, writes, and expensive operations (uploads, downloads, imports, exports) with the strictest
budget. Sign-in has its own failed-attempt limits and is not counted here."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from adda_dashboard.bootstrap import Container
from adda_dashboard.errors import AppError

EXPENSIVE_PREFIXES = ("/api/upload-video", "/api/download-youtube", "/api/import", "/api/export")
EXEMPT_PREFIXES = ("/api/auth/login", "/api/auth/signup", "/api/auth/google-login")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def kind_of(method: str, path: str) -> str | None:
    """Which budget a request draws on, or None for requests that are not limited."""
    if method == "OPTIONS" or path.startswith(EXEMPT_PREFIXES):
        return None
    if path.startswith(EXPENSIVE_PREFIXES) and method in WRITE_METHODS:
        return "expensive"
    if path == "/cache/clear" or (path.startswith("/api/") and method in WRITE_METHODS):
        return "write"
    if path.startswith("/api/"):
        return "read"
    return None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = kind_of(scope["method"], scope.get("path", ""))
        container: Container = scope["app"].state.container
        limiter = container.request_limiter
        if kind is None or limiter is None:
            await self.app(scope, receive, send)
            return
        user = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                try:
                    user = str(container.gate.claims(value.decode("latin-1")).user_id)
                except AppError:
                    user = None  # the request will be refused as unauthenticated anyway
                break
        client = scope.get("client")
        verdict = limiter.check(kind, user, client[0] if client else None)
        if verdict.allowed:
            await self.app(scope, receive, send)
            return
        message = (
            f"Too many {kind} requests: at most {verdict.limit} in this window; "
            f"try again in {verdict.reset_after} s"
        )
        request_id = scope.get("state", {}).get("request_id")
        body = orjson.dumps(
            {"success": False, "error": message, "message": message, "request_id": request_id}
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        headers += [(k.lower().encode(), v.encode()) for k, v in verdict.headers().items()]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
