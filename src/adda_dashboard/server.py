"""The production server: Gunicorn managing Uvicorn workers, with scale profiles as presets.

Gunicorn gives the process management (graceful restart on HUP, worker recycling with jitter,
timeouts, a pid file); each worker runs the ASGI app on uvloop + httptools. The master migrates
the database once before forking, and keeps the per-worker metrics files together so /metrics
speaks for the whole server.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from gunicorn.app.base import BaseApplication
from uvicorn_worker import UvicornWorker

from adda_dashboard.adapters import metrics
from adda_dashboard.settings import Settings


@dataclass(frozen=True)
class Profile:
    """One scale preset. Async workers each saturate a core, so workers follow cores, and
    ``worker_connections`` bounds the connections a worker serves at once."""

    users: str
    workers: int
    worker_connections: int
    keepalive: int
    max_requests: int
    max_requests_jitter: int
    timeout: int
    graceful_timeout: int
    backlog: int


def profiles(cores: int | None = None) -> dict[str, Profile]:
    # Recycling a worker costs seconds of start-up and drops its open connections; an async
    # worker answers thousands of requests a second, so the threshold is far above the
    # threaded seed's 1,000 and remains only a guard against slow leaks.
    cores = cores or os.cpu_count() or 1
    return {
        "small": Profile("100-200", max(2, cores), 1000, 5, 20_000, 2_000, 30, 30, 2048),
        "medium": Profile("200-500", max(2, cores), 2000, 5, 50_000, 5_000, 60, 30, 4096),
        "large": Profile("500-1000", max(2, cores * 2), 4000, 10, 100_000, 10_000, 60, 30, 8192),
        "auto": Profile(f"{cores} core(s)", max(2, cores), 4000, 5, 100_000, 10_000, 60, 30, 8192),
    }


class Worker(UvicornWorker):
    """Uvicorn worker that honours Gunicorn's ``worker_connections`` as its concurrency limit."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "uvloop", "http": "httptools"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.limit_concurrency = self.cfg.worker_connections


def _child_exit(_server: Any, worker: Any) -> None:
    metrics.worker_exited(worker.pid)


class ProductionServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from adda_dashboard.app import create_app

        return create_app()


def gunicorn_options(settings: Settings, profile: Profile, workers: int | None) -> dict[str, Any]:
    return {
        "bind": f"{settings.host}:{settings.port}",
        "worker_class": f"{Worker.__module__}.{Worker.__qualname__}",
        "workers": workers or profile.workers,
        "worker_connections": profile.worker_connections,
        "keepalive": profile.keepalive,
        "max_requests": profile.max_requests,
        "max_requests_jitter": profile.max_requests_jitter,
        "timeout": profile.timeout,
        "graceful_timeout": profile.graceful_timeout,
        "backlog": profile.backlog,
        "accesslog": str(settings.access_log),
        "errorlog": str(settings.error_log),
        "loglevel": settings.log_level.lower(),
        "pidfile": str(settings.pid_file or settings.var_dir / "server.pid"),
        "child_exit": _child_exit,
        "preload_app": False,
    }


def prepare_environment(settings: Settings) -> None:
    """Fresh multiprocess metrics files; workers skip migrations the master already ran."""
    metrics_dir = settings.var_dir / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ[metrics.MULTIPROC_ENV] = str(metrics_dir.resolve())
    os.environ["ADDA_MIGRATE_ON_START"] = "false"
    for path in (settings.access_log, settings.error_log):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def run(settings: Settings, profile_name: str, workers: int | None = None) -> None:
    profile = profiles()[profile_name]
    prepare_environment(settings)
    ProductionServer(gunicorn_options(settings, profile, workers)).run()


def describe(profile_name: str) -> dict[str, Any]:
    return asdict(profiles()[profile_name])
