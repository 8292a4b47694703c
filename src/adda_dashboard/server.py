"""The production server (``serve --prod``), with scale profiles as presets: Gunicorn managing
Uvicorn workers by default (``gunicorn_server.py``), Granian with ``--server granian``
(``granian_server.py``).

Both were measured with the benchmark harness (README, "Benchmarks"): Granian answered small
answers faster, but the uncompressed list slower and the user journey's writes far slower, so
Gunicorn + Uvicorn is the default. Either way the master migrates the database once before
starting the workers, keeps the per-worker metrics files together so /metrics speaks for the
whole server, restarts its workers gracefully on HUP, and the logs go to ``ADDA_ACCESS_LOG``
(written by each worker's app) and ``ADDA_ERROR_LOG``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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
    # worker answers thousands of requests a second (100,000 was 20 s of a benchmark), so the
    # thresholds only guard against slow leaks.
    cores = cores or os.cpu_count() or 1
    workers, large = max(2, cores), max(2, cores * 2)
    return {
        "small": Profile("100-200", workers, 1000, 5, 200_000, 20_000, 30, 30, 2048),
        "medium": Profile("200-500", workers, 2000, 5, 500_000, 50_000, 60, 30, 4096),
        "large": Profile("500-1000", large, 4000, 10, 1_000_000, 100_000, 60, 30, 8192),
        "auto": Profile(f"{cores} core(s)", workers, 4000, 5, 1_000_000, 100_000, 60, 30, 8192),
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


SERVERS = ("gunicorn", "granian")


def run(
    settings: Settings, profile_name: str, workers: int | None = None, server: str = "gunicorn"
) -> None:
    profile = profiles()[profile_name]
    prepare_environment(settings)
    if server == "granian":
        from adda_dashboard import granian_server

        granian_server.run(settings, profile, workers)
    else:
        from adda_dashboard import gunicorn_server

        gunicorn_server.run(settings, profile, workers)


def describe(profile_name: str) -> dict[str, Any]:
    return asdict(profiles()[profile_name])
