"""Dashboard pages: the admin console (health, metrics, caches) and user administration.

Every route here leaves the role check to the services, which refuse non-admins with 403; the
error layer renders that refusal as the "Not allowed" page or, for htmx requests, in ``#flash``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import AppError
from adda_dashboard.http.deps import ContainerDep, CurrentActor, RowId
from adda_dashboard.http.web.forms import form_fields
from adda_dashboard.http.web.templating import is_htmx, render
from adda_dashboard.services.admin_console import AdminConsole
from adda_dashboard.services.users import UserView

router = APIRouter(prefix="/ui", include_in_schema=False)

USERS_REGION = "users-region"
ROLES = tuple(Role)


def when(moment: datetime | None) -> str:
    """A stored time as the page shows it (UTC; SQLite hands times back without a zone)."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _row(
    request: Request,
    actor: Actor,
    user: UserView,
    *,
    message: str | None = None,
    error: AppError | None = None,
) -> Response:
    """One row of the users table, re-rendered after a change; a message goes to ``#flash``."""
    context = {"u": user, "roles": ROLES, "when": when, "message": message, "error": error}
    status = error.status_code if error is not None else 200
    return render(request, "admin/_user_row.html", context, actor=actor, status_code=status)


@router.get("/admin")
def admin_home(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    overview = AdminConsole(container).overview(actor)
    return render(request, "admin/index.html", {"overview": overview}, actor=actor)


@router.post("/admin/cache/clear")
def clear_caches(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    result = container.operations.clear_caches(actor)
    cleared = result.get("shared_entries_cleared", 0)
    message = f"{result['message']} ({cleared} shared entries removed)."
    return render(request, "admin/_flash.html", {"message": message}, actor=actor)


@router.get("/admin/users")
def users_page(
    request: Request,
    actor: CurrentActor,
    container: ContainerDep,
    q: str = "",
    page: str = "1",
) -> Response:
    """The user list; htmx searches and page links get only the list region back."""
    region_only = is_htmx(request) and request.headers.get("hx-target") == USERS_REGION
    template = "admin/_users_region.html" if region_only else "admin/users.html"
    context: dict[str, Any] = {"q": q, "roles": ROLES, "when": when, "listing": None}
    try:
        context["listing"] = container.users.admin_page(actor, query=q, page=page)
    except AppError as exc:
        if exc.field not in ("q", "page"):
            raise
        # Bad search input is said next to the search box; the refusal of non-admins is not
        # caught here, since admin_page checks the role before it reads any input.
        context["error"] = exc
        return render(request, template, context, actor=actor, status_code=exc.status_code)
    return render(request, template, context, actor=actor)


async def _change(
    request: Request, actor: Actor, container: Any, user_id: int, field: str
) -> Response:
    try:
        fields = await form_fields(request)
        value = fields.get(field, "")
        if field == "role":
            user = await run_in_threadpool(container.users.change_role, actor, user_id, value)
            message = f"{user.email} is now {user.role.value}."
        else:
            user = await run_in_threadpool(container.users.set_active, actor, user_id, value)
            message = (
                f"{user.email} is active again and can sign in."
                if user.is_active
                else f"{user.email} is deactivated and signed out everywhere."
            )
    except AppError as exc:
        # The row is shown again as stored, with the reason next to the control, so a refused
        # choice never stays on screen looking saved. ``get`` refuses non-admins (403 in the
        # message area) and reports a user removed meanwhile (404).
        current = await run_in_threadpool(container.users.get, actor, user_id)
        return _row(request, actor, current, error=exc)
    return _row(request, actor, user, message=message)


@router.post("/admin/users/{user_id}/role")
async def change_role(
    request: Request, user_id: RowId, actor: CurrentActor, container: ContainerDep
) -> Response:
    return await _change(request, actor, container, user_id, "role")


@router.post("/admin/users/{user_id}/active")
async def change_active(
    request: Request, user_id: RowId, actor: CurrentActor, container: ContainerDep
) -> Response:
    return await _change(request, actor, container, user_id, "active")


@router.post("/admin/users/{user_id}/verify-email")
async def verify_email(
    request: Request, user_id: int, actor: CurrentActor, container: ContainerDep
) -> Response:
    """Confirm an address by hand (no mail server, or a lost email); audited by the service."""
    try:
        user = await run_in_threadpool(container.users.verify_email, actor, user_id)
    except AppError as exc:
        current = await run_in_threadpool(container.users.get, actor, user_id)
        return _row(request, actor, current, error=exc)
    return _row(request, actor, user, message=f"{user.email} is confirmed and can sign in.")
