"""Service endpoints of the contract: /, /health, /api/test, /api/health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import text
from starlette.responses import RedirectResponse

from adda_dashboard import __version__
from adda_dashboard.http.deps import ContainerDep

router = APIRouter(tags=["service"])

# How ``GET /`` names the configured video storage (the original always said "Google Drive").
STORAGE_NAMES = {"local": "Local disk", "s3": "Amazon S3", "gdrive": "Google Drive"}


def utc_timestamp() -> str:
    """The original's ``datetime.utcnow().isoformat()``: UTC, no zone suffix."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


def wants_page(accept: str) -> bool:
    """A browser asks for HTML first; the frontend and scripts ask for JSON or anything."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return "text/html" in kinds and "application/json" not in kinds


@router.get("/", response_model=None)
def root(request: Request, container: ContainerDep) -> dict[str, Any] | RedirectResponse:
    if wants_page(request.headers.get("accept", "")):
        return RedirectResponse("/ui/", status_code=303)
    return {
        "message": "Adda Education Dashboard API",
        "status": "running",
        "version": __version__,
        "storage": STORAGE_NAMES[container.settings.storage_backend],
    }


@router.options("/", include_in_schema=False)
def root_options() -> Response:
    return Response(status_code=204)


@router.get("/health")
def health() -> dict[str, Any]:
    """Liveness: answers without touching the database."""
    return {"status": "healthy", "timestamp": utc_timestamp()}


@router.get("/api/test")
def api_test() -> dict[str, Any]:
    return {"status": "ok", "message": "Backend is running!", "timestamp": str(datetime.now())}


@router.get("/api/health")
def api_health(container: ContainerDep) -> dict[str, Any]:
    try:
        with container.db.read() as session:
            session.execute(text("SELECT 1"))
        database = "connected"
    except Exception as exc:  # reported, not raised: this is a diagnostic endpoint
        database = f"error: {type(exc).__name__}"
    return {
        "status": "running",
        "google_credentials_configured": False,
        "jwt_secret_configured": container.settings.jwt_secret is not None,
        "credentials_gid": False,
        "google_sheets_connection": "not used",
        "database": database,
    }
