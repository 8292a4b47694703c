"""The dashboard's session: the access token in an HttpOnly cookie, plus an anti-forgery token.

A browser never sees the token itself. Requests that carry the cookie and no ``Authorization``
header get ``Authorization: Bearer <cookie>`` added here, before rate limits and the token check,
so the API and the dashboard admit a request the same way. The cookie is used:
- on ``/ui/`` pages: for reads as it is; for writes only with the anti-forgery token in the
  ``X-CSRF-Token`` header (htmx sends it on every request);
- on ``/api/`` calls (the dashboard's upload and job polling): only with that header, so another
  site can neither read nor write through a visitor's cookie.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from adda_dashboard.bootstrap import Container
from adda_dashboard.http.security_headers import came_over_https

COOKIE = "adda_session"
CSRF_HEADER = b"x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sign-in pages take no session: a stale cookie must not stand in the way of signing in again.
SESSIONLESS = ("/ui/login", "/ui/signup", "/ui/google-login", "/ui/static/")


def session_token(cookie_header: bytes | None) -> str | None:
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header.decode("latin-1"))
    except Exception:  # a malformed Cookie header is no session, not a server fault
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel and morsel.value else None


def csrf_token_for(container: Container, token: str) -> str:
    assert container.signer is not None
    return container.signer.bind(token)


def is_https(request: Request) -> bool:
    """Whether the browser reached us over https, directly or through a trusted proxy."""
    return came_over_https(request.scope)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.container.settings
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.token_ttl_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://") or is_https(request),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def csrf_of(request: Request) -> str | None:
    """The anti-forgery token of the request's session, for templates to embed."""
    token = session_token(request.headers.get("cookie", "").encode("latin-1"))
    if token is None:
        return None
    return csrf_token_for(request.app.state.container, token)


class SessionCookieMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        is_ui = path == "/ui" or path.startswith("/ui/")
        if not (is_ui or path.startswith("/api/")) or path.startswith(SESSIONLESS):
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        cookie = csrf = None
        for name, value in headers:
            if name == b"authorization":
                await self.app(scope, receive, send)  # an explicit token always wins
                return
            if name == b"cookie":
                cookie = value
            elif name == CSRF_HEADER:
                csrf = value.decode("latin-1")
        token = session_token(cookie)
        if token is None:
            await self.app(scope, receive, send)
            return
        container: Container = scope["app"].state.container
        genuine = csrf is not None and hmac.compare_digest(csrf, csrf_token_for(container, token))
        if is_ui and scope["method"] not in SAFE_METHODS and not genuine:
            await _refuse(scope, send)
            return
        if is_ui or genuine:
            scope = dict(scope)
            scope["headers"] = [*headers, (b"authorization", f"Bearer {token}".encode("latin-1"))]
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send) -> None:
    message = "This form has expired or did not come from this dashboard: reload the page"
    body = orjson.dumps(
        {
            "success": False,
            "error": message,
            "message": message,
            "field": "X-CSRF-Token",
            "request_id": scope.get("state", {}).get("request_id"),
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
