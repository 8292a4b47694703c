"""Taxonomy, filters and leaderboard."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from adda_dashboard.http.deps import ContainerDep, ReadingActor
from adda_dashboard.http.responses import OrjsonResponse
from adda_dashboard.http.snapshots import cached_snapshot

router = APIRouter(prefix="/api", tags=["reports"])


@router.get("/filters")
def get_filters(request: Request, actor: ReadingActor, container: ContainerDep) -> Any:
    return cached_snapshot(request, container, "filters", container.reports.filters)


@router.get("/categories")
def get_categories(actor: ReadingActor, container: ContainerDep) -> Any:
    return OrjsonResponse(container.taxonomy.categories_response())


@router.get("/exams")
def get_exams(actor: ReadingActor, container: ContainerDep) -> Any:
    return OrjsonResponse(container.taxonomy.exams_response())


@router.get("/leaderboard")
def get_leaderboard(request: Request, actor: ReadingActor, container: ContainerDep) -> Any:
    return cached_snapshot(request, container, "leaderboard", container.reports.leaderboard)
