"""The background job queue: a Huey instance on an SQLite file by default, Redis when
configured. Services enqueue through ``JobQueue`` only; task functions are attached to it by
the composition root, so nothing here knows what the tasks do."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from adda_dashboard.settings import Settings

log = logging.getLogger("adda_dashboard.queue")


def queue_path(settings: Settings) -> Path:
    return settings.queue_path or settings.var_dir / "queue.db"


def build_huey(settings: Settings) -> Huey:
    name = f"{settings.cache_prefix}-jobs"
    if settings.redis_url:
        return RedisHuey(name=name, url=settings.redis_url, results=False, utc=True)
    path = queue_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name=name, filename=str(path), results=False, utc=True, timeout=30)


class _QuietConsumer(Consumer):
    """A consumer that leaves signal handling to its host (the web server or pytest)."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    def __init__(self, huey: Huey, *, poll_seconds: float = 1.0) -> None:
        self.huey = huey
        self.poll_seconds = poll_seconds
        self._tasks: dict[str, Any] = {}

    def define(self, name: str, function: Callable[..., Any]) -> None:
        """Register a task under a fixed name, the same in every process."""
        self._tasks[name] = self.huey.task(name=name)(function)

    def define_periodic(
        self, name: str, function: Callable[[], Any], *, minute: str = "*", hour: str = "*"
    ) -> None:
        self._tasks[name] = self.huey.periodic_task(crontab(minute=minute, hour=hour), name=name)(
            function
        )

    def enqueue(self, name: str, *args: Any) -> None:
        self._tasks[name](*args)

    def enqueue_in(self, name: str, delay_s: float, *args: Any) -> None:
        """Run the task once ``delay_s`` seconds from now (at once when 0)."""
        task = self._tasks[name]
        if delay_s <= 0:
            task(*args)
        else:
            task.schedule(args=args, delay=delay_s)

    def defines(self, name: str) -> bool:
        return name in self._tasks

    def pending(self) -> int:
        return int(self.huey.pending_count())

    def flush(self) -> None:
        self.huey.flush()

    def consumer(self, *, workers: int, periodic: bool = True, quiet: bool = False) -> Consumer:
        options: dict[str, Any] = {
            "workers": workers,
            "periodic": periodic,
            "worker_type": "thread",
            "max_delay": self.poll_seconds,
            "initial_delay": min(0.1, self.poll_seconds),
            "backoff": 1.5,
        }
        consumer_class = _QuietConsumer if quiet else Consumer
        return consumer_class(self.huey, **options)


class BackgroundWorker:
    """A consumer running on threads of the current process (``serve`` in development, tests)."""

    def __init__(self, queue: JobQueue, *, workers: int, periodic: bool = True) -> None:
        self._consumer = queue.consumer(workers=workers, periodic=periodic, quiet=True)
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> BackgroundWorker:
        with self._lock:
            if not self._started:
                self._consumer.start()
                self._started = True
        return self

    def stop(self) -> None:
        with self._lock:
            if self._started:
                self._consumer.stop(graceful=True)
                self._started = False
