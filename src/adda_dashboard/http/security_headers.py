"""Browser defences on every HTML answer: what may run, who may frame it, what it leaks.

The dashboard's scripts and styles are files of its own, so the policy allows no inline script
or style; Google's sign-in button is allowed its script, frame and style only when Google
sign-in is configured. ``Strict-Transport-Security`` is sent only on requests that came over
https, directly or as ``X-Forwarded-Proto`` from a trusted proxy, since a browser that got it
over plain http would ignore it anyway and a development server on http must stay reachable.
JSON answers are left alone: the hot reads carry no markup and this keeps them lean.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

GOOGLE_GSI = "https://accounts.google.com/gsi/"
HSTS = b"max-age=31536000; includeSubDomains"


def content_security_policy(google_sign_in: bool) -> str:
    google = f" {GOOGLE_GSI}" if google_sign_in else ""
    directives = [
        "default-src 'self'",
        f"script-src 'self'{google + 'client' if google else ''}",
        f"style-src 'self'{google + 'style' if google else ''}",
        "img-src 'self' data:",
        f"connect-src 'self'{google}",
        "frame-src " + (GOOGLE_GSI if google_sign_in else "'none'"),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def came_over_https(scope: Scope) -> bool:
    """The scheme is the proxy's word only for a trusted proxy: the app's outermost layer
    (``ProxyHeadersMiddleware``, with ``ADDA_TRUSTED_PROXIES``) has set it by then."""
    return scope.get("scheme") == "https"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, google_sign_in: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(google_sign_in).encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = came_over_https(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_html(message):
                message["headers"] = [*message.get("headers", ()), *self.headers]
                if https:
                    message["headers"].append((b"strict-transport-security", HSTS))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_html(message: Message) -> bool:
    for name, value in message.get("headers", ()):
        if name.lower() == b"content-type":
            return bool(value.lower().startswith(b"text/html"))
    return False
