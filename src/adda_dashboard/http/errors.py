"""The one place errors become HTTP responses.

Every error body carries ``success: false`` and both ``error`` and ``message`` (the team's
frontend reads one or the other depending on the call), the ``field`` at fault when there is
one, and the ``request_id`` that also appears in the logs.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from adda_dashboard.db.outage import OUTAGE_CANDIDATES, is_database_outage
from adda_dashboard.errors import AppError, DatabaseUnavailable
from adda_dashboard.http.outage import OUTAGES
from adda_dashboard.http.responses import OrjsonResponse
from adda_dashboard.http.web.errors import is_page, render_error

log = structlog.get_logger("adda_dashboard.http")
DRAIN_LIMIT_BYTES = 1024 * 1024


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def error_response(
    request: Request,
    status: int,
    message: str,
    *,
    field: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if is_page(request):
        return render_error(
            request,
            status,
            message,
            field=field,
            request_id=request_id_of(request),
            headers=headers,
        )
    body: dict[str, Any] = {"success": False, "error": message, "message": message}
    if field is not None:
        body["field"] = field
    body.update(extra or {})
    body["request_id"] = request_id_of(request)
    return OrjsonResponse(body, status_code=status, headers=headers)


def _describe_validation(exc: RequestValidationError) -> tuple[str, str | None]:
    """FastAPI's own checks (path, query, header parameters) as one plain sentence and field."""
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("path", "query", "body")]
    field = loc[-1] if loc else None
    kind = first.get("type", "")
    limits = first.get("ctx") or {}
    reason = first.get("msg", "is invalid")
    if kind.startswith("int"):
        reason = "must be a whole number"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(limits.values()), None)
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }[kind]
        reason = f"must be {words} {bound}"
    elif kind == "missing":
        reason = "is required"
    return (f"'{field}' {reason}" if field else reason), field


def app_error_response(request: Request, exc: AppError) -> Response:
    return error_response(
        request,
        exc.status_code,
        exc.message,
        field=exc.field,
        extra=exc.extra,
        headers=exc.headers,
    )


async def drain_small_body(request: Request) -> None:
    """Read what is left of a request body of up to ``DRAIN_LIMIT_BYTES`` before answering.

    A request refused before its body was read (the database down while the token is checked)
    leaves the body on the connection; some servers then close it rather than read past it,
    and the client loses a connection for an answer that asked it only to retry. A larger body
    is not worth reading for a refusal: there the server closes the connection.
    """
    read = 0
    try:
        async for chunk in request.stream():
            read += len(chunk)
            if read > DRAIN_LIMIT_BYTES:
                return
    except (ClientDisconnect, RuntimeError):  # gone, or already read by the handler
        return


def install(app: FastAPI) -> None:
    """Every handler. Those for one exception class answer and keep the connection; the last
    resort for ``Exception`` (Starlette's outermost layer) answers 500, then re-raises, and the
    server closes the connection: so foreseeable faults (the database down, the video disk
    full, which services raise as ``StorageFull``) are mapped to an answer, per class, and
    anything else of those classes is raised on."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return app_error_response(request, exc)

    async def _database_error(request: Request, exc: Exception) -> Response:
        if not is_database_outage(exc):
            raise exc
        OUTAGES.note(exc, request.url.path)
        await drain_small_body(request)
        return app_error_response(request, DatabaseUnavailable())

    for kind in OUTAGE_CANDIDATES:
        app.add_exception_handler(kind, _database_error)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message, field = _describe_validation(exc)
        return error_response(request, 400, message, field=field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"No route {request.method} {request.url.path}"
        return error_response(request, exc.status_code, message, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error(
            "unhandled_error",
            request_id=request_id_of(request),
            path=request.url.path,
            method=request.method,
            exc_info=exc,
        )
        return error_response(request, 500, "An unexpected error occurred")
