"""Operations: detailed health, metrics (JSON and Prometheus), cache clearing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from adda_dashboard.adapters import metrics
from adda_dashboard.http.deps import ContainerDep, CurrentActor
from adda_dashboard.http.responses import OrjsonResponse

router = APIRouter(tags=["operations"])


@router.get("/health/detailed")
def health_detailed(container: ContainerDep) -> Any:
    """Database, Redis, video storage, job queue and free disk; 503 naming in ``down`` each
    required part that is down (the service says which parts are required and why)."""
    body, status = container.operations.detailed_health()
    return OrjsonResponse(body, status_code=status)


def _wants_exposition(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.query_params.get("format") == "prometheus" or (
        "openmetrics" in accept or accept.startswith("text/plain")
    )


@router.get("/metrics")
def metrics_summary(request: Request, container: ContainerDep) -> Any:
    """JSON summed over every worker; Prometheus exposition for scrapers (by Accept header or
    ``?format=prometheus``)."""
    if _wants_exposition(request):
        return prometheus_exposition()
    return OrjsonResponse(container.operations.metrics_summary())


@router.get("/metrics/prometheus")
def prometheus_exposition() -> Response:
    payload, content_type = metrics.exposition()
    return Response(payload, media_type=content_type)


@router.post("/cache/clear")
def clear_cache(actor: CurrentActor, container: ContainerDep) -> Any:
    return container.operations.clear_caches(actor)
