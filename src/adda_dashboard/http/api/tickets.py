"""Tickets: open to anyone as in the original; a token, when sent, must be valid."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from adda_dashboard.http.deps import ContainerDep, JsonBody, OptionalActor
from adda_dashboard.http.responses import OrjsonResponse

router = APIRouter(prefix="/api", tags=["tickets"])


@router.post("/ticket", status_code=201)
def raise_ticket(actor: OptionalActor, container: ContainerDep, body: JsonBody) -> Any:
    return OrjsonResponse(container.tickets.raise_ticket(actor, body), status_code=201)
