"""The application factory: settings in, a FastAPI app out."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from adda_dashboard import __version__
from adda_dashboard.adapters import metrics
from adda_dashboard.adapters.access_log import AccessLog
from adda_dashboard.bootstrap import Container, bootstrap
from adda_dashboard.http import errors
from adda_dashboard.http.api import auth, downloads, entries, meta, ops, reports, tickets, videos
from adda_dashboard.http.body_rate import BodyRateMiddleware
from adda_dashboard.http.fast_reads import FastReads, FrontDoor
from adda_dashboard.http.middleware import MetricsMiddleware, RequestIdMiddleware
from adda_dashboard.http.rate_limiting import RateLimitMiddleware
from adda_dashboard.http.responses import OrjsonResponse
from adda_dashboard.http.security_headers import SecurityHeadersMiddleware
from adda_dashboard.http.web import install as install_dashboard
from adda_dashboard.http.web.session import SessionCookieMiddleware
from adda_dashboard.logging_setup import configure_logging
from adda_dashboard.settings import Settings

CORS_HEADERS = [
    "Content-Type",
    "Authorization",
    "X-Requested-With",
    "Accept",
    "Origin",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Request-ID",
]


# How long a thread may hold the interpreter lock while another waits (Python's default: 5 ms).
# A snapshot rebuilt on a thread after a write held the event loop off for 5 ms at a time, and
# with a few of them every read waited; at 1 ms the journey's read p99 roughly halved at 500,
# 2,000 and 5,000 users. It changes nothing while the loop is the only busy thread.
GIL_SWITCH_S = 0.001


def settle_worker() -> None:
    """Once a production worker has started: everything alive (imports, the app, its caches:
    some 160,000 objects that live as long as the worker) is moved out of the garbage
    collector's sight, since every full collection walked them all, tens of milliseconds with
    every connection of the worker waiting; and the interpreter lock changes hands sooner."""
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(GIL_SWITCH_S)


def create_app(
    settings: Settings | None = None,
    container: Container | None = None,
    *,
    production_worker: bool = False,
) -> FastAPI:
    """The app. ``production_worker``: a worker of the production server, which writes
    ``ADDA_ACCESS_LOG`` itself (the development server prints Uvicorn's) and settles its heap
    once started (``settle_worker``)."""
    settings = settings or (container.settings if container else Settings())
    configure_logging(settings)
    access_log = (
        AccessLog(settings.access_log, json_lines=settings.log_json) if production_worker else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = container is None
        app.state.container = container or bootstrap(settings)
        if settings.legacy_email_login:
            structlog.get_logger("adda_dashboard").warning(
                "legacy_email_login_enabled",
                detail="anyone may sign in with an allowed email and no password; "
                "use only on a trusted network (ADDA_LEGACY_EMAIL_LOGIN)",
            )
        if production_worker:
            settle_worker()
        try:
            yield
        finally:
            if access_log is not None:
                access_log.close()
            if production_worker:
                metrics.worker_exited(os.getpid())
            if owned:
                app.state.container.close()

    # A production server does not publish a map of its API unless told to.
    docs = settings.docs_in_production or not (production_worker or settings.is_production)
    app = FastAPI(
        title="Adda Dashboard",
        version=__version__,
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    if container is not None:
        app.state.container = container
    errors.install(app)
    app.add_middleware(FastReads)  # innermost: CORS and request ids wrap its answers too
    app.add_middleware(RateLimitMiddleware)  # before the fast path, so it is limited too
    app.add_middleware(SessionCookieMiddleware)  # the dashboard's cookie becomes a bearer token
    # Slow bodies cut off with a 408 that still carries CORS headers, a request id and a count.
    app.add_middleware(
        BodyRateMiddleware,
        min_bytes_per_second=settings.min_body_bytes_per_second,
        grace_seconds=settings.body_grace_seconds,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"],
        allow_headers=CORS_HEADERS,
        expose_headers=["Content-Type", "Authorization", "ETag", "X-Request-ID", "Retry-After"],
        max_age=3600,
    )
    app.add_middleware(
        SecurityHeadersMiddleware,
        google_sign_in=bool(settings.google_client_id),
    )
    app.add_middleware(RequestIdMiddleware)
    # Counts every answer, fast path included.
    app.add_middleware(MetricsMiddleware, access_log=access_log)
    # Outermost: hot reads that need none of the layers above.
    app.add_middleware(FrontDoor, access_log=access_log)
    if settings.trusted_proxies:
        # Before everything: limits, logs and cookies see the client the proxy names.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    for router in (
        meta.router,
        ops.router,
        entries.router,
        reports.router,
        tickets.router,
        auth.router,
    ):
        app.include_router(router)
    app.include_router(videos.router)
    app.include_router(downloads.router)
    install_dashboard(app)
    return app
