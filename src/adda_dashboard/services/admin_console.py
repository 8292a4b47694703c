"""The admin console's overview: every part's health and the headline numbers, for admins only.

The operations service answers the public ``/health/detailed`` and ``/metrics`` endpoints, whose
shape the API contract fixes; the console builds on their answers and adds what an operator
needs beside them (video storage, the job queue, videos stored, downloads in progress) without
changing those endpoints. Each extra probe is guarded: a part that fails is shown as down, it
never takes the page down with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adda_dashboard.db.repositories import download_jobs as jobs_repo
from adda_dashboard.domain.roles import Actor
from adda_dashboard.services.users import require_admin

if TYPE_CHECKING:
    from adda_dashboard.bootstrap import Container

# How each part's raw state reads on the page, and its colour class there.
OK, DEGRADED, DOWN, OFF = "ok", "degraded", "down", "off"
LABELS = {OK: "OK", DEGRADED: "Degraded", DOWN: "Down", OFF: "Not configured"}
OVERALL = {"healthy": OK, "degraded": DEGRADED, "unhealthy": DOWN}


@dataclass(frozen=True)
class Part:
    name: str
    state: str  # one of OK, DEGRADED, DOWN, OFF
    detail: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.state]


@dataclass(frozen=True)
class Overview:
    state: str
    checked_at: str
    parts: list[Part]
    metrics: dict[str, Any]
    videos: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def problems(self) -> list[Part]:
        return [p for p in self.parts if p.state in (DEGRADED, DOWN)]


def _state(raw: str) -> str:
    if raw == "healthy":
        return OK
    if raw == "not configured":
        return OFF
    return DOWN


def _short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:160]}" if text else type(exc).__name__


class AdminConsole:
    def __init__(self, container: Container) -> None:
        self._c = container

    def overview(self, actor: Actor) -> Overview:
        require_admin(actor, "open the admin console")
        health, _status = self._c.operations.detailed_health()
        services = health["services"]
        disk = services["disk"]
        parts = [
            Part("Database", _state(services["database"]), self._database_detail()),
            Part(
                "Redis",
                _state(services["redis"]),
                services.get("redis_error") or ("shared cache" if self._c.redis else "optional"),
            ),
        ]
        storage, videos = self._storage(actor)
        parts.append(storage)
        parts.append(self._queue())
        parts.append(
            Part(
                "Free disk",
                _state(disk["status"]),
                f"{disk['free_mb']:,} MB free of {disk['total_mb']:,} MB",
            )
        )
        state = OVERALL.get(health["status"], DOWN)
        # Storage and queue are not part of the public health answer; either being down leaves
        # sign-in and entries working, so it degrades the whole rather than downs it.
        if state == OK and any(p.state == DOWN for p in parts):
            state = DEGRADED
        metrics = self._c.operations.metrics_summary()
        videos["downloads_in_progress"] = self._downloads_in_progress()
        return Overview(state, health["timestamp"], parts, metrics, videos)

    def _database_detail(self) -> str:
        return "SQLite" if self._c.db.is_sqlite else self._c.db.engine.dialect.name

    def _storage(self, actor: Actor) -> tuple[Part, dict[str, Any]]:
        try:
            stats = self._c.videos.stats(actor)
        except Exception as exc:  # the page shows the failure; it must not fail itself
            return Part("Video storage", DOWN, _short_error(exc)), {"count": None, "size_mb": None}
        videos = {"count": stats["video_count"], "size_mb": stats["total_size_mb"]}
        backend = stats["storage_backend"]
        where = stats.get("storage_path") or backend
        if backend == "local":
            root = Path(where)
            probe = root if root.exists() else root.parent
            if not os.access(probe, os.W_OK):
                return Part("Video storage", DOWN, f"local: {where} is not writable"), videos
            return Part("Video storage", OK, f"local: {where}"), videos
        return Part("Video storage", OK, f"{backend}: {where} (not probed)"), videos

    def _queue(self) -> Part:
        try:
            waiting = self._c.queue.pending()
        except Exception as exc:
            return Part("Job queue", DOWN, _short_error(exc))
        return Part("Job queue", OK, f"{waiting} job{'s' if waiting != 1 else ''} waiting")

    def _downloads_in_progress(self) -> int | None:
        try:
            with self._c.db.read() as session:
                return jobs_repo.count_active(session)
        except Exception:
            return None
