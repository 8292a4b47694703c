"""Sign in, sign up (password or Google) and sign out."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from adda_dashboard.errors import AppError, Forbidden
from adda_dashboard.http.deps import ContainerDep, CurrentActor
from adda_dashboard.http.web import form_guard
from adda_dashboard.http.web.forms import form_fields, safe_next
from adda_dashboard.http.web.session import clear_session_cookie, set_session_cookie
from adda_dashboard.http.web.templating import is_htmx, render

router = APIRouter(prefix="/ui", include_in_schema=False)


def _signed_in(session: dict[str, Any], target: str, request: Request) -> Response:
    response: Response
    if is_htmx(request):
        response = Response(status_code=204, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, session["token"])
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "auth/login.html", {"next": safe_next(next), "values": {}})


@router.post("/login")
async def login(request: Request, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    target = safe_next(fields.get("next"))
    identifier = fields.get("email", "").strip()
    body = {"email": identifier, "password": fields.get("password", "")}
    client = request.client.host if request.client else None
    try:
        form_guard.check(request, fields)
        session = await run_in_threadpool(container.auth.login, body, client)
    except AppError as exc:
        context = {"next": target, "values": {"email": identifier}, "error": exc}
        return render(request, "auth/login.html", context, status_code=exc.status_code)
    return _signed_in(session, target, request)


@router.get("/signup")
def signup_page(request: Request, container: ContainerDep) -> Response:
    domains = container.taxonomy.current.allowed_email_domains
    return render(request, "auth/signup.html", {"values": {}, "domains": domains})


@router.post("/signup")
async def signup(request: Request, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    body = {
        "username": fields.get("username", "").strip(),
        "email": fields.get("email", "").strip(),
        "password": fields.get("password", ""),
        "confirmPassword": fields.get("confirmPassword", ""),
    }
    try:
        form_guard.check(request, fields)
        created = await run_in_threadpool(container.auth.signup, body)
    except AppError as exc:
        context = {
            "values": {"username": body["username"], "email": body["email"]},
            "error": exc,
            "domains": container.taxonomy.current.allowed_email_domains,
        }
        return render(
            request,
            "auth/signup.html",
            context,
            status_code=exc.status_code,
            headers=exc.headers,
        )
    # Nobody is signed in: the account waits for its address to be confirmed by the link.
    context = {
        "message": created["message"],
        "sent": created["verification_email_sent"],
        "resend_email": created["user"]["email"],
    }
    return render(request, "auth/check_email.html", context, status_code=201)


@router.post("/google-login")
async def google_login(request: Request, container: ContainerDep) -> Response:
    """The credential Google's sign-in button posts back (its ``login_uri`` redirect mode)."""
    fields = await form_fields(request)
    try:
        # Google's button posts its own double-submit token as a field and as a cookie.
        posted, kept = fields.get("g_csrf_token"), request.cookies.get("g_csrf_token")
        if not posted or not kept or not hmac.compare_digest(posted, kept):
            raise Forbidden("The Google sign-in did not come from this page", field="credential")
        session = await run_in_threadpool(
            container.google_login.login, {"credential": fields.get("credential", "")}
        )
    except AppError as exc:
        context = {"next": "/ui/", "values": {}, "error": exc}
        return render(request, "auth/login.html", context, status_code=exc.status_code)
    return _signed_in(session, "/ui/", request)


@router.post("/logout")
async def logout(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    """Signing out revokes every token of the user, as the API's logout does."""
    await run_in_threadpool(container.auth.logout, actor)
    response: Response
    if is_htmx(request):
        response = Response(status_code=204, headers={"HX-Redirect": "/ui/login"})
    else:
        response = RedirectResponse("/ui/login", status_code=303)
    clear_session_cookie(response)
    return response
