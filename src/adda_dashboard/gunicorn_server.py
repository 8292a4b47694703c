"""The production server's processes (``serve --prod``, the default): Gunicorn managing Uvicorn
workers (``--server granian``: ``granian_server.py``).

Gunicorn gives the process management (graceful restart on HUP, worker recycling with jitter,
timeouts, a pid file); each worker runs the ASGI app on uvloop + httptools. Each worker listens
on its own socket (``SO_REUSEPORT``), so the kernel spreads new connections evenly over them,
and accepts every connection waiting at once (see ``WorkerServer``). Slow and greedy clients
meet a header deadline and a per-address cap as they are accepted (``connection_guards.py``).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker

from adda_dashboard.adapters import metrics
from adda_dashboard.connection_guards import (
    AddressCap,
    HeaderDeadlineProtocol,
    close_late_headers,
    per_worker,
)
from adda_dashboard.settings import Settings

if TYPE_CHECKING:
    from adda_dashboard.server import Profile

log = logging.getLogger("uvicorn.error")
# How long a stopping worker waits for the requests of connections it has just accepted.
LAST_REQUESTS_S = 0.5
# Late request headers are looked for every this many of Uvicorn's 0.1 s ticks: a connection is
# closed at most half a second after its header timeout.
HEADER_SWEEP_TICKS = 5


class WorkerServer(Server):
    """Uvicorn's server, accepting as a worker under load needs (the app settles the worker's
    heap and interpreter lock itself: ``app.settle_worker``).

    Accepting: libuv accepts one connection per turn of the event loop, and a turn of a busy
    worker serves hundreds of ready connections (tens of milliseconds), so a burst of new
    connections waited seconds in the listen queue (500 at once: some for 6 s). Here the worker
    accepts everything waiting each time the socket is readable, and hands each connection to
    Uvicorn's protocol for httptools, with a deadline for each request's headers; connections
    from one address past the cap are closed as they are accepted.
    """

    def __init__(self, config: Any, *, header_timeout: float, cap: AddressCap) -> None:
        super().__init__(config=config)
        self.header_timeout = header_timeout
        self.cap = cap

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[] if sockets is not None else None)
        if sockets is not None:
            config = self.config

            def create_protocol(on_closed: Callable[[], None]) -> asyncio.Protocol:
                return HeaderDeadlineProtocol(
                    config=config,
                    server_state=self.server_state,
                    app_state=self.lifespan.state,
                    header_timeout=self.header_timeout,
                    on_closed=on_closed,
                )

            loop = asyncio.get_running_loop()
            self.acceptors = [Acceptor(loop, sock, create_protocol, self.cap) for sock in sockets]

    async def on_tick(self, counter: int) -> bool:
        # Uvicorn ticks every 0.1 s; late headers are looked for every few ticks.
        if counter % HEADER_SWEEP_TICKS == 0:
            close_late_headers(self.server_state.connections, asyncio.get_running_loop().time())
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Each worker has a socket of its own in the port's group: closing it resets the
        # connections still queued on it, so those are accepted first and the socket closed at
        # once (new connections then go to the other workers). Uvicorn then closes every
        # connection without a request under way, which includes one accepted a moment ago
        # whose request has not been read yet: those get a moment to arrive.
        acceptors = getattr(self, "acceptors", [])
        for acceptor in acceptors:
            acceptor.stop()
            acceptor.accept_waiting()
        for sock in sockets or []:
            sock.close()
        if acceptors:
            await asyncio.sleep(LAST_REQUESTS_S)
        await super().shutdown(sockets=sockets)


class Acceptor:
    """Accepts every connection waiting on a listening socket whenever it is readable, and
    closes at once those of an address over its cap."""

    BATCH = 1024  # at most this many per wake-up, so one burst cannot hold the loop forever
    PAUSE_S = 1.0  # out of file descriptors: stop accepting for a moment (as asyncio does)

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        protocol_factory: Callable[[Callable[[], None]], asyncio.Protocol],
        cap: AddressCap,
    ) -> None:
        self._loop = loop
        self._sock = sock
        self._factory = protocol_factory
        self._cap = cap
        self._tasks: set[asyncio.Task[Any]] = set()
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self.accept_waiting)
        self._reading = True

    def accept_waiting(self) -> None:
        for _ in range(self.BATCH):
            try:
                conn, address = self._sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self.stop()
                    self._loop.call_later(self.PAUSE_S, self._resume)
                    log.warning("accept paused: %s", exc)
                return
            release = self._cap.admit(conn.family, address)
            if release is None:
                conn.close()
                continue
            conn.setblocking(False)
            if conn.family in (socket.AF_INET, socket.AF_INET6):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            factory = partial(self._factory, release)
            task = self._loop.create_task(self._loop.connect_accepted_socket(factory, conn))
            self._tasks.add(task)
            task.add_done_callback(partial(self._settled, release))

    def _settled(self, release: Callable[[], None], task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            release()
        elif task.exception() is not None:
            release()
            log.debug("connection dropped before it started: %s", task.exception())

    def _resume(self) -> None:
        if not self._reading and self._sock.fileno() != -1:
            self._loop.add_reader(self._sock.fileno(), self.accept_waiting)
            self._reading = True

    def stop(self) -> None:
        if self._reading:
            self._loop.remove_reader(self._sock.fileno())
            self._reading = False


class Worker(UvicornWorker):
    """Uvicorn worker that honours Gunicorn's ``worker_connections`` as its concurrency limit
    and guards its connections with the settings the server was started with."""

    # Forwarding headers are the app's to judge (ADDA_TRUSTED_PROXIES), alike on either server.
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "uvloop",
        "http": "httptools",
        "proxy_headers": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.limit_concurrency = self.cfg.worker_connections

    async def _serve(self) -> None:
        self.config.app = self.wsgi
        # Started by ``serve --prod``, the settings are the server's; by plain ``gunicorn -k``
        # (the benchmark's bare app), they come from the environment.
        settings: Settings = getattr(self.app, "settings", None) or Settings()
        cap = AddressCap(
            per_worker(settings.max_connections_per_address, self.cfg.workers),
            settings.trusted_proxy_networks,
        )
        server = WorkerServer(
            config=self.config, header_timeout=settings.header_timeout_seconds, cap=cap
        )
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)


def _child_exit(_server: Any, worker: Any) -> None:
    metrics.worker_exited(worker.pid)


class ProductionServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], settings: Settings) -> None:
        self.options = options
        self.settings = settings  # the workers' connection guards read theirs here
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from adda_dashboard.app import create_app

        return create_app(production_worker=True)


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
        "reuse_port": True,
        # The app writes the access log (``adapters/access_log.py``): Uvicorn's cost a quarter
        # of the work of a hot read.
        "accesslog": None,
        "errorlog": str(settings.error_log),
        "loglevel": settings.log_level.lower(),
        "pidfile": str(settings.pid_file or settings.var_dir / "server.pid"),
        "child_exit": _child_exit,
        "preload_app": False,
    }


def run(settings: Settings, profile: Profile, workers: int | None) -> None:
    ProductionServer(gunicorn_options(settings, profile, workers), settings).run()
