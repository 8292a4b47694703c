"""The dashboard's side of a sign-up's address proof: the emailed link's page and new links.

The link opens a page that names the address and asks for the password chosen at sign-up and a
click: a mail scanner fetching the link confirms nothing, and nobody is signed in by it. A
refused password shows the form again, the link still unspent. These pages live under
``/ui/signup`` as the sign-up form does, so they share its treatment: no session needed, the
sign-in forms' anti-forgery token (``form_guard``), and the sign-in pages' limits instead of a
reader's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from adda_dashboard.errors import AppError
from adda_dashboard.http.deps import ContainerDep
from adda_dashboard.http.web import form_guard
from adda_dashboard.http.web.forms import form_fields
from adda_dashboard.http.web.templating import render

router = APIRouter(prefix="/ui/signup", include_in_schema=False)


@router.get("/confirm")
async def confirm_page(request: Request, container: ContainerDep, token: str = "") -> Response:
    context: dict[str, Any] = {"token": token}
    try:
        context["email"] = await run_in_threadpool(container.verification.check, token)
    except AppError as exc:
        context["error"] = exc
        return render(request, "auth/confirm_email.html", context, status_code=exc.status_code)
    return render(request, "auth/confirm_email.html", context)


@router.post("/confirm")
async def confirm(request: Request, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    token = fields.get("token", "")
    body = {"token": token, "password": fields.get("password", "")}
    client = request.client.host if request.client else None
    context: dict[str, Any] = {"token": token}
    try:
        form_guard.check(request, fields)
        result = await run_in_threadpool(container.verification.confirm, body, client)
    except AppError as exc:
        error = exc
        if exc.field == "password":  # the form again, for the link is still good
            try:
                context["email"] = await run_in_threadpool(container.verification.check, token)
            except AppError as gone:
                error = gone
        context["error"] = error
        return render(
            request,
            "auth/confirm_email.html",
            context,
            status_code=error.status_code,
            headers=error.headers,
        )
    context["confirmed"] = result["message"]
    return render(request, "auth/confirm_email.html", context)


@router.get("/resend")
def resend_page(request: Request) -> Response:
    return render(request, "auth/check_email.html", {})


@router.post("/resend")
async def resend(request: Request, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    email = fields.get("email", "").strip()
    context: dict[str, Any] = {"resend_email": email}
    try:
        form_guard.check(request, fields)
        result = await run_in_threadpool(container.verification.resend, {"email": email})
    except AppError as exc:
        context["resend_error"] = exc
        return render(
            request,
            "auth/check_email.html",
            context,
            status_code=exc.status_code,
            headers=exc.headers,
        )
    context.update(message=result["message"], sent=True)
    return render(request, "auth/check_email.html", context)
