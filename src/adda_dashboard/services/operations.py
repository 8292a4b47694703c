"""Operators' views: detailed health, metrics summary, and clearing every cache level."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from adda_dashboard.adapters import metrics
from adda_dashboard.adapters.redis_link import RedisLink
from adda_dashboard.db.engine import Database
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.errors import Forbidden
from adda_dashboard.services.entries import bump_dataset_version
from adda_dashboard.services.request_gate import RequestGate
from adda_dashboard.services.snapshots import SnapshotCache
from adda_dashboard.settings import Settings

MIN_FREE_DISK_MB = 500


def utc_timestamp() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


class OperationsService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        redis: RedisLink | None,
        snapshots: SnapshotCache,
        gate: RequestGate,
    ) -> None:
        self._settings = settings
        self._db = db
        self._redis = redis
        self._snapshots = snapshots
        self._gate = gate

    def detailed_health(self) -> tuple[dict[str, Any], int]:
        """Every part's state; 503 only when a required part (database, disk) is down."""
        services: dict[str, Any] = {"database": self._database_state()}
        if self._redis is None:
            services["redis"] = "not configured"
        else:
            services["redis"] = "healthy" if self._redis.ping() else "unhealthy"
            if services["redis"] != "healthy":
                services["redis_error"] = self._redis.last_error
        disk = self._disk_state(self._settings.var_dir)
        services["disk"] = disk
        required_down = [
            name
            for name, state in (("database", services["database"]), ("disk", disk["status"]))
            if state != "healthy"
        ]
        degraded = services["redis"] == "unhealthy"
        status = "unhealthy" if required_down else ("degraded" if degraded else "healthy")
        body = {
            "status": status,
            "timestamp": utc_timestamp(),
            "services": services,
            "down": required_down,
            "cache": {
                "snapshots": "enabled",
                "shared": "redis" if self._redis is not None else "none",
                "ttl_seconds": self._settings.cache_ttl_seconds,
            },
            "auth": {
                "legacy_email_login": self._settings.legacy_email_login,
                "open_reads": self._settings.open_reads,
            },
        }
        return body, 503 if required_down else 200

    def _database_state(self) -> str:
        try:
            with self._db.read() as session:
                session.execute(text("SELECT 1"))
            return "healthy"
        except Exception:
            return "unhealthy"

    @staticmethod
    def _disk_state(path: Path) -> dict[str, Any]:
        target = path if path.exists() else Path(".")
        usage = shutil.disk_usage(target)
        free_mb = usage.free // (1024 * 1024)
        return {
            "status": "healthy" if free_mb >= MIN_FREE_DISK_MB else "unhealthy",
            "free_mb": free_mb,
            "total_mb": usage.total // (1024 * 1024),
        }

    def metrics_summary(self) -> dict[str, Any]:
        """The original's /metrics fields, summed over every worker of this server."""
        totals = metrics.sample_totals()
        total = int(totals["requests"])
        lookups = totals["cache_hit"] + totals["cache_shared"] + totals["cache_miss"]
        hit_rate = (totals["cache_hit"] + totals["cache_shared"]) / lookups if lookups else 0.0
        return {
            "requests": {
                "total": total,
                "successful": int(totals["successful"]),
                "failed": int(totals["failed"]),
                "success_rate": f"{(totals['successful'] / total * 100) if total else 0:.2f}%",
            },
            "videos": {"stored_locally": 0, "total_size_mb": 0.0, "downloads_in_progress": 0},
            "cache": {
                "enabled": True,
                "ttl_seconds": {
                    "sheets": self._settings.cache_ttl_seconds,
                    "credentials": 600,
                    "filters": self._settings.cache_ttl_seconds,
                },
                "hit_rate": f"{hit_rate * 100:.2f}%",
                "lookups": int(lookups),
                "shared": self._redis is not None,
            },
            "system": {
                "workers_aggregated": metrics.multiprocess_enabled(),
                "dataset_version": self._snapshots.current_version(),
            },
        }

    def clear_caches(self, actor: Actor) -> dict[str, Any]:
        """Every level on every server: a new dataset version invalidates every process's
        snapshots at its next request; shared snapshots and user facts go from Redis."""
        if not actor.at_least(Role.admin):
            raise Forbidden("Only an admin may clear caches")
        with self._db.write() as session:
            bump_dataset_version(session)
        self._snapshots.clear_local()
        cleared = self._snapshots.clear_shared()
        self._gate.forget_all_users()
        return {
            "success": True,
            "message": "All caches cleared successfully",
            "shared_entries_cleared": cleared,
        }
