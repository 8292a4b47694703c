"""Anti-forgery for the forms posted before there is a session (sign in, sign up).

Without it another site could post its own credentials to ``/ui/login`` from a visitor's
browser and sign the visitor in to the attacker's account (login CSRF). The page that shows the
form sets a random nonce in a ``SameSite=Strict`` cookie and embeds an HMAC of it in the form;
a post counts only when both arrive and agree, and when its ``Origin``, if the browser sent
one, names this server's host (not its scheme: behind a proxy that ends TLS the app
sees plain http). A cross-site post carries neither the cookie nor a matching origin.
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from adda_dashboard.bootstrap import Container
from adda_dashboard.errors import Forbidden
from adda_dashboard.http.web.session import is_https

COOKIE = "adda_form"
FIELD = "csrf_token"
MAX_AGE_S = 12 * 3600
_NONCE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def nonce_of(request: Request) -> str | None:
    value = request.cookies.get(COOKIE)
    return value if value and _NONCE.match(value) else None


def token_for(container: Container, nonce: str) -> str:
    assert container.signer is not None
    return container.signer.bind("form:" + nonce)


def issue(request: Request) -> tuple[str, str | None]:
    """The token a form rendered for ``request`` carries, and a new nonce to set as the cookie
    when the request has none yet."""
    nonce = nonce_of(request)
    fresh = None
    if nonce is None:
        nonce = fresh = secrets.token_urlsafe(32)
    return token_for(request.app.state.container, nonce), fresh


def remember(response: Response, request: Request, nonce: str) -> None:
    response.set_cookie(
        COOKIE,
        nonce,
        max_age=MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path="/ui",
    )


def check(request: Request, fields: dict[str, str]) -> None:
    """Forbidden unless the post came from a form this server rendered for this browser."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden("This form was posted from another site", field=FIELD)
    nonce, posted = nonce_of(request), fields.get(FIELD, "")
    container = request.app.state.container
    if nonce is None or not posted or not hmac.compare_digest(posted, token_for(container, nonce)):
        raise Forbidden("This form has expired or did not come from this dashboard", field=FIELD)
