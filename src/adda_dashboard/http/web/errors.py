"""How errors look on dashboard pages: a sign-in redirect, a message in place, or an error page.

The API's JSON errors stay as they are; only requests under ``/ui/`` are rendered here.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from adda_dashboard.db.outage import is_database_outage
from adda_dashboard.domain.roles import Actor
from adda_dashboard.errors import AppError
from adda_dashboard.http.web.session import clear_session_cookie

LOGIN = "/ui/login"


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/ui" or path.startswith("/ui/")


def render_error(
    request: Request,
    status: int,
    message: str,
    *,
    field: str | None,
    request_id: str | None,
    headers: dict[str, str] | None = None,
) -> Response:
    from adda_dashboard.http.web.templating import is_htmx, render  # templates load lazily

    if status == 401:
        target = LOGIN
        if request.method == "GET" and not is_htmx(request):
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            target = f"{LOGIN}?next={quote(here, safe='')}"
        response: Response
        if is_htmx(request):
            response = Response(status_code=401, headers={"HX-Redirect": LOGIN})
        else:
            response = RedirectResponse(target, status_code=303)
        clear_session_cookie(response)
        return response
    context = {"status": status, "message": message, "field": field, "request_id": request_id}
    all_headers = dict(headers or {})
    if is_htmx(request):
        # Shown in the page's message area unless the handler targeted something else.
        all_headers.setdefault("HX-Retarget", "#flash")
        all_headers.setdefault("HX-Reswap", "innerHTML")
        return render(request, "_error.html", context, status_code=status, headers=all_headers)
    return render(
        request,
        "error.html",
        context,
        actor=_actor_or_none(request),
        status_code=status,
        headers=all_headers,
    )


def _actor_or_none(request: Request) -> Actor | None:
    """Who is signed in, if anyone, so an error page keeps its navigation. Asking may itself
    fail (the database down is one of the errors shown here): the page is then shown without
    it rather than not at all."""
    try:
        return request.app.state.container.gate.admit(request.headers.get("authorization")).actor
    except AppError:
        return None
    except Exception as exc:
        if is_database_outage(exc):
            return None
        raise
