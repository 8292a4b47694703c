"""The production server's processes with ``serve --prod --server granian`` (the default is
Gunicorn + Uvicorn: ``gunicorn_server.py``).

Granian's main process spawns the workers, restarts them gracefully on HUP, respawns one that
dies and recycles one whose memory keeps growing; in each worker the HTTP protocol runs in Rust,
off the interpreter lock, and the app on uvloop. One runtime thread per worker (``st``): with a
worker per core, more threads only contend. Measured against Gunicorn + Uvicorn with the
benchmark harness: see the README ("Benchmarks") and ``server.py``.

Slow clients: Granian closes a connection whose request headers have not all arrived within
``ADDA_HEADER_TIMEOUT_SECONDS`` (hyper's header read timeout, which also bounds the idle time
between requests), without an answer; the minimum body pace is the app's (``http/body_rate.py``).
The per-address connection cap (``ADDA_MAX_CONNECTIONS_PER_ADDRESS``) cannot be had here:
Granian accepts and reads connections in Rust and offers no hook or setting per client address,
and the app sees a request only once its headers are complete, never a connection. Its
backpressure (the profile's connections per worker) counts connections still sending headers,
so one address holding that many makes other clients wait, up to the header timeout, for a
place. Behind a reverse proxy that limits connections per address (nginx's ``limit_conn``) this
does not arise; without one, use the default server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from granian.constants import HTTPModes, Interfaces, Loops, RuntimeModes
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

from adda_dashboard.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from adda_dashboard.server import Profile

APP_FACTORY = f"{__name__}:create_worker_app"
# A worker whose resident memory stays above this is replaced (the guard against slow leaks
# that Gunicorn's max-requests gives): sampled every 30 s, three samples in a row.
WORKER_MAX_RSS_MB = 1024


def create_worker_app() -> FastAPI:
    """The app as each worker process builds it."""
    from adda_dashboard.app import create_app

    return create_app(production_worker=True)


def log_config(settings: Settings) -> dict[str, Any]:
    """Granian's own messages (start, stop, worker exits) and the app's errors to the error log."""
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"}
        },
        "handlers": {
            "error_log": {
                "class": "logging.FileHandler",
                "filename": str(settings.error_log),
                "formatter": "plain",
            }
        },
        "loggers": {"_granian": {"handlers": ["error_log"], "level": level, "propagate": False}},
        "root": {"handlers": ["error_log"], "level": level},
    }


def granian_options(settings: Settings, profile: Profile, workers: int | None) -> dict[str, Any]:
    return {
        "address": settings.host,
        "port": settings.port,
        "interface": Interfaces.ASGI,
        "workers": workers or profile.workers,
        "runtime_mode": RuntimeModes.st,
        "loop": Loops.uvloop,
        "http": HTTPModes.http1,
        "websockets": False,
        "backlog": profile.backlog,
        "backpressure": profile.worker_connections,
        "http1_settings": HTTP1Settings(
            header_read_timeout=round(settings.header_timeout_seconds * 1000)
        ),
        "log_level": LogLevels(settings.log_level.lower()),
        "log_dictconfig": log_config(settings),
        "log_access": False,  # the app writes it (``adapters/access_log.py``)
        "respawn_failed_workers": True,
        "workers_max_rss": WORKER_MAX_RSS_MB,
        "rss_samples": 3,
        "workers_kill_timeout": profile.graceful_timeout,
        "factory": True,
        "pid_file": settings.pid_file or settings.var_dir / "server.pid",
    }


def run(settings: Settings, profile: Profile, workers: int | None) -> None:
    Server(APP_FACTORY, **granian_options(settings, profile, workers)).serve()
