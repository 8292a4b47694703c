"""The web dashboard: server-rendered pages under ``/ui/``, htmx for partial updates."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from adda_dashboard.http.web.pages import (
    admin,
    admin_sheets,
    auth,
    entries,
    entry_forms,
    overview,
    tickets,
    verification,
    videos,
)
from adda_dashboard.http.web.templating import HTTP_DIR


def install(app: FastAPI) -> None:
    app.mount("/ui/static", StaticFiles(directory=HTTP_DIR / "static"), name="static")
    pages = (auth, verification, overview, entry_forms, entries, tickets, videos, admin)
    for module in (*pages, admin_sheets):
        app.include_router(module.router)
