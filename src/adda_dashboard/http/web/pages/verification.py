"""The dashboard's side of a sign-up's address proof: the emailed link's page and new links.

The link opens a page that names the address and asks for a click: a mail scanner fetching the
link confirms nothing, and nobody is signed in by it. These pages live under ``/ui/signup`` as
the sign-up form does, so they share its treatment: no session needed, the sign-in forms'
anti-forgery token (``form_guard``), and the sign-in pages' limits instead of a reader's.
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
    context: dict[str, Any] = {}
    try:
        form_guard.check(request, fields)
        result = await run_in_threadpool(
            container.verification.confirm, {"token": fields.get("token", "")}
        )
    except AppError as exc:
        context["error"] = exc
        return render(request, "auth/confirm_email.html", context, status_code=exc.status_code)
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
