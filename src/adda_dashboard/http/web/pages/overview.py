"""Dashboard pages: overview."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from adda_dashboard.http.deps import CurrentActor
from adda_dashboard.http.web.templating import render

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/")
def overview(request: Request, actor: CurrentActor) -> Response:
    return render(request, "overview/index.html", {}, actor=actor)
