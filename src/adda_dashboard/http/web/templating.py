"""Jinja2 rendering for the dashboard: one environment, and what every page knows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from adda_dashboard import __version__
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.http.web import form_guard
from adda_dashboard.http.web.session import csrf_of

HTTP_DIR = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=HTTP_DIR / "templates")
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
templates.env.globals["app_version"] = __version__

# The navigation: (path, label, least role that sees it).
NAV: tuple[tuple[str, str, Role], ...] = (
    ("/ui/", "Overview", Role.viewer),
    ("/ui/entries", "Entries", Role.viewer),
    ("/ui/entries/new", "Add entry", Role.contributor),
    ("/ui/leaderboard", "Leaderboard", Role.viewer),
    ("/ui/tickets", "Tickets", Role.viewer),
    ("/ui/videos", "Videos", Role.viewer),
    ("/ui/admin", "Admin", Role.admin),
)


def static_url(name: str) -> str:
    """A static file's address, versioned so a new release is never served a stale copy."""
    return f"/ui/static/{name}?v={__version__}"


templates.env.globals["static_url"] = static_url


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    actor: Actor | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with the page's actor, navigation and anti-forgery token."""
    container = request.app.state.container
    nav = [
        (path, label) for path, label, least in NAV if actor is not None and actor.at_least(least)
    ]
    page = {
        "request": request,
        "actor": actor,
        "nav": nav,
        "current_path": request.url.path,
        "csrf_token": csrf_of(request) or "",
        "google_client_id": container.settings.google_client_id,
        **(context or {}),
    }
    fresh_nonce = None
    if actor is None:  # a page of no session (sign in, sign up): its forms need their own token
        page["form_token"], fresh_nonce = form_guard.issue(request)
    response = templates.TemplateResponse(
        request, template, page, status_code=status_code, headers=headers
    )
    if fresh_nonce is not None:
        form_guard.remember(response, request, fresh_nonce)
    return response
