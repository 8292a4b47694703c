"""Dashboard pages: the tickets list (filters in the URL, status changed in place) and the form
that raises a ticket.

Every rule lives in the tickets service; these routes only turn forms into its bodies and its
answers and errors into HTML. Writes come from htmx, which sends the anti-forgery header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from adda_dashboard.domain import columns as c
from adda_dashboard.errors import AppError, Conflict, Unauthorized
from adda_dashboard.http.deps import ContainerDep, CurrentActor
from adda_dashboard.http.web.forms import form_fields
from adda_dashboard.http.web.templating import is_htmx, render
from adda_dashboard.services import tickets as ticket_rules

router = APIRouter(prefix="/ui", include_in_schema=False)

LIST_PATH = "/ui/tickets"
PAGE_SIZE = 25
# Query parameters of the list page that are the page's own, not filters of the service.
PAGE_ONLY_PARAMS = frozenset({"raised"})
# Filters with a control on the page; an error about another parameter is shown above the list.
FILTER_FIELDS = ("status", "issue_type", "vertical", "q")


def _wants_fragment(request: Request) -> bool:
    """An htmx swap, but not htmx restoring a page from history: that needs the whole page."""
    return is_htmx(request) and request.headers.get("hx-history-restore-request") != "true"


def _list_url(params: dict[str, str], **changes: Any) -> str:
    """The list's address for ``params`` with ``changes``, without the parameters at defaults."""
    merged = {k: str(v) for k, v in {**params, **changes}.items()}
    for name, default in (("offset", "0"), ("limit", str(PAGE_SIZE))):
        if merged.get(name) == default:
            del merged[name]
    return f"{LIST_PATH}?{urlencode(merged)}" if merged else LIST_PATH


def _choices(container: Any, current: dict[str, str]) -> dict[str, Any]:
    verticals = list(container.taxonomy.current.verticals)
    chosen = current.get("vertical")
    if chosen and chosen not in verticals:  # an older vertical still on some tickets
        verticals.append(chosen)
    return {"statuses": c.TICKET_STATUSES, "issue_types": c.ISSUE_TYPES, "verticals": verticals}


@router.get("/tickets")
def tickets_page(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    params = {
        k: v.strip()
        for k, v in request.query_params.items()
        if k not in PAGE_ONLY_PARAMS and v.strip()
    }
    query = {"limit": str(PAGE_SIZE), **params}
    context: dict[str, Any] = {
        "values": params,
        "can_change": ticket_rules.can_change_status(actor),
        "tickets": [],
        "total": 0,
        "offset": 0,
        "limit": PAGE_SIZE,
        "error": None,
        "filter_fields": FILTER_FIELDS,
        **_choices(container, params),
    }
    status = 200
    try:
        page = container.tickets.listing(actor, query)
    except Unauthorized:
        raise
    except AppError as exc:
        context["error"] = exc
        status = exc.status_code
    else:
        offset, limit, total = page["offset"], page["limit"], page["total"]
        context.update(tickets=page["tickets"], total=total, offset=offset, limit=limit)
        if offset > 0:
            context["prev_url"] = _list_url(params, offset=max(offset - limit, 0))
        if page["next_offset"] is not None:
            context["next_url"] = _list_url(params, offset=page["next_offset"])
    headers = {"Vary": "HX-Request"}
    if _wants_fragment(request):
        headers["HX-Push-Url"] = _list_url(params)
        template = "tickets/_results.html"
    else:
        template = "tickets/index.html"
        raised = request.query_params.get("raised", "")
        context["raised"] = raised if ticket_rules.is_ticket_id(raised) else None
    return render(request, template, context, actor=actor, status_code=status, headers=headers)


@router.patch("/tickets/{ticket_id}/status")
async def change_status(
    request: Request, ticket_id: str, actor: CurrentActor, container: ContainerDep
) -> Response:
    """Answers with the ticket's row as stored (changed or not) and a message for ``#flash``."""
    fields = await form_fields(request)
    body = {"status": fields.get("status", "")}
    context: dict[str, Any] = {
        "can_change": ticket_rules.can_change_status(actor),
        "statuses": c.TICKET_STATUSES,
    }
    try:
        answer = await run_in_threadpool(container.tickets.change_status, actor, ticket_id, body)
    except Unauthorized:
        raise
    except AppError as exc:
        # The row goes back to what is stored, so the control never shows a status not saved;
        # an unknown ticket has no row to restore and is reported by the common error handler.
        ticket = await run_in_threadpool(container.tickets.get, actor, ticket_id)
        context.update(ticket=ticket, message=exc.message, ok=False)
        return render(
            request,
            "tickets/_status_changed.html",
            context,
            actor=actor,
            status_code=exc.status_code,
        )
    context.update(ticket=answer["ticket"], message=answer["message"], ok=True)
    return render(request, "tickets/_status_changed.html", context, actor=actor)


def _form_context(container: Any, values: dict[str, str], error: AppError | None) -> dict[str, Any]:
    taxonomy = container.taxonomy.current
    vertical = taxonomy.vertical(values.get("Vertical", ""))
    return {
        "values": values,
        "error": error,
        "form_fields": c.TICKET_COLUMNS,
        "verticals": taxonomy.verticals,
        "exams": vertical["exams"] if vertical else [],
        "subjects": vertical["subjects"] if vertical else [],
        "issue_types": c.ISSUE_TYPES,
        "statuses": c.TICKET_STATUSES,
        "max_issue_text": ticket_rules.MAX_ISSUE_TEXT,
    }


@router.get("/tickets/new")
def new_ticket_page(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    values = {"Ticket ID": ticket_rules.new_ticket_id(), "Status": ticket_rules.OPEN_STATUS}
    return render(request, "tickets/new.html", _form_context(container, values, None), actor=actor)


@router.get("/tickets/new/choices")
def ticket_choices(
    request: Request, actor: CurrentActor, container: ContainerDep, Vertical: str = ""
) -> Response:
    """The exam and subject fields for the chosen vertical (swapped in when it changes)."""
    context = _form_context(container, {"Vertical": Vertical.strip()}, None)
    return render(request, "tickets/_choices.html", context, actor=actor)


@router.post("/tickets/new")
async def raise_ticket(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    values = {col: fields.get(col, "") for col in c.TICKET_COLUMNS}
    try:
        answer = await run_in_threadpool(container.tickets.raise_ticket, actor, values)
    except Unauthorized:
        raise
    except AppError as exc:
        if isinstance(exc, Conflict) and exc.field == "Ticket ID":
            # Most likely a second press of the button: the first one is stored. A fresh id
            # lets a genuinely new ticket through on the next press.
            values["Ticket ID"] = ticket_rules.new_ticket_id()
        context = _form_context(container, values, exc)
        template = "tickets/_form.html" if _wants_fragment(request) else "tickets/new.html"
        return render(request, template, context, actor=actor, status_code=exc.status_code)
    target = f"{LIST_PATH}?{urlencode({'raised': answer['ticket_id']})}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
