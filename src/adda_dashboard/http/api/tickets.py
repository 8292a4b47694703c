"""Tickets: raising one is open to anyone as in the original (a token, when sent, must be
valid); listing them needs a signed-in user, and changing a status an editor or an admin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from adda_dashboard.http.deps import ContainerDep, CurrentActor, JsonBody, OptionalActor
from adda_dashboard.http.responses import OrjsonResponse

router = APIRouter(prefix="/api", tags=["tickets"])


@router.post("/ticket", status_code=201)
def raise_ticket(actor: OptionalActor, container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.tickets.raise_ticket(actor, body), status_code=201)


@router.get("/tickets")
def list_tickets(request: Request, actor: CurrentActor, container: ContainerDep) -> Any:
    """Newest first. Filters: `status`, `issue_type`, `vertical`, `reporter` (email), `q` (text
    in the ticket id or issue text); pages: `limit` (1-200, default 50) and `offset`."""
    return OrjsonResponse(container.tickets.listing(actor, request.query_params))


@router.patch("/tickets/{ticket_id}")
def change_ticket_status(
    ticket_id: str, actor: CurrentActor, container: ContainerDep, body: JsonBody
) -> Any:
    """Body `{"status": "<one of the ticket statuses>"}`; editors and admins only."""
    return OrjsonResponse(container.tickets.change_status(actor, ticket_id, body))
