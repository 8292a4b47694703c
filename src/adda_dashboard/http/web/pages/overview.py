"""Dashboard pages: the overview (counts and charts) and the leaderboard.

Both only read. The numbers come from the overview service, which serves them from snapshots
kept per dataset version; these routes shape them for the templates and nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.leaderboard import EARNINGS_PER_VIDEO
from adda_dashboard.errors import Invalid
from adda_dashboard.http.deps import ContainerDep, CurrentActor
from adda_dashboard.http.web.templating import render
from adda_dashboard.services.overview import OverviewService

router = APIRouter(prefix="/ui", include_in_schema=False)


def _service(container: Container) -> OverviewService:
    """The container's overview service; a container built by hand may lack one."""
    if container.overview is None:
        return OverviewService(container.db, container.reports, container.snapshots)
    return container.overview


@router.get("/")
def overview(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    summary = _service(container).summary()
    return render(request, "overview/index.html", {"summary": summary}, actor=actor)


@router.get("/leaderboard")
def leaderboard(
    request: Request,
    actor: CurrentActor,
    container: ContainerDep,
    vertical: str | None = None,
) -> Response:
    """One card per vertical, or only the one chosen in ``?vertical=``.

    A vertical with no entries is not on the board; asking for one is said next to the choice,
    and every vertical is shown instead so the page is still of use.
    """
    board = _service(container).leaderboard()
    verticals: list[dict[str, Any]] = board["leaderboard"]
    chosen = (vertical or "").strip()
    error: Invalid | None = None
    shown = verticals
    if chosen:
        shown = [v for v in verticals if v["name"] == chosen]
        if not shown:
            named = chosen if len(chosen) <= 80 else chosen[:79] + "…"
            error = Invalid(
                f"'{named}' has no entries on the leaderboard; choose a vertical from the list",
                field="vertical",
            )
            shown = verticals
    context = {
        "board": board,
        "verticals": verticals,
        "shown": shown,
        "chosen": chosen if error is None else "",
        "error": error,
        "rate": EARNINGS_PER_VIDEO,
    }
    status = error.status_code if error is not None else 200
    return render(request, "leaderboard/index.html", context, actor=actor, status_code=status)
