"""The admin console's overview: every part's health and the headline numbers, for admins only.

It probes nothing itself: the operations service checks every part once for the public
``/health/detailed`` and ``/metrics`` answers, and the console shows those same results, with
the operators' details (server paths, error text) that the public answers leave out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adda_dashboard.domain.roles import Actor
from adda_dashboard.services.users import require_admin

if TYPE_CHECKING:
    from adda_dashboard.bootstrap import Container

# How each part's raw state reads on the page, and its colour class there.
OK, DEGRADED, DOWN, OFF = "ok", "degraded", "down", "off"
LABELS = {OK: "OK", DEGRADED: "Degraded", DOWN: "Down", OFF: "Not configured"}
OVERALL = {"healthy": OK, "degraded": DEGRADED, "unhealthy": DOWN}
# The page's name for each part of the health report, in the order shown.
PART_NAMES = {
    "database": "Database",
    "redis": "Redis",
    "video_storage": "Video storage",
    "job_queue": "Job queue",
    "disk": "Free disk",
}


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


class AdminConsole:
    def __init__(self, container: Container) -> None:
        self._c = container

    def overview(self, actor: Actor) -> Overview:
        require_admin(actor, "open the admin console")
        report = self._c.operations.health_report()
        parts = [
            Part(name, _state(report.states[key]), report.details[key])
            for key, name in PART_NAMES.items()
        ]
        state = OVERALL.get(report.body["status"], DOWN)
        metrics = self._c.operations.metrics_summary()
        counts = metrics["videos"]
        videos = {
            "count": counts["stored_locally"],
            "size_mb": counts["total_size_mb"],
            "downloads_in_progress": counts["downloads_in_progress"],
        }
        return Overview(state, report.body["timestamp"], parts, metrics, videos)
