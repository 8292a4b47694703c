"""What keeps slow and greedy clients from holding the Gunicorn + Uvicorn workers: a deadline
for each request's line and headers, and a cap on the connections one address holds open.

Uvicorn has neither. A connection whose headers never complete is kept until the client gives
up, and counts toward ``limit_concurrency`` (the profile's connections per worker), past which
every request is answered 503: 8,500 half-open connections from one machine made the whole
server answer 503 for as long as they were held.

Header deadline (``HeaderDeadlineProtocol``, ``ADDA_HEADER_TIMEOUT_SECONDS``): armed when a
connection opens, when a later request's first byte arrives (the idle time between requests is
the keep-alive timeout's), and when a response ends while its request's body is still arriving
(the rest of it, and the next headers, must come in time); disarmed when the headers are
complete. When it passes, a connection that sent part of a request gets a 408, one that sent
nothing (a browser's preconnect) is closed without a word. A deadline is a number on the
connection, and the worker looks for late ones a few times a second (``close_late_headers``):
a timer armed and cancelled for every request cost a hot read more than the check does.

Per-address cap (``AddressCap``, ``ADDA_MAX_CONNECTIONS_PER_ADDRESS``): each worker accepts its
connections itself (``Acceptor`` in ``gunicorn_server.py``), counts them by peer address and
closes one past the cap as soon as it is accepted. Workers are separate processes, each with
its own socket in the port's ``SO_REUSEPORT`` group, and the kernel picks the socket by a hash
of the connection's addresses and ports, so one address's connections spread evenly over the
workers: each worker allows ``ceil(cap / workers)`` (``per_worker``). Nothing is shared and
nothing stays counted when a worker dies; the price is that an address may be refused a little
below the cap when its connections happen to gather on one worker. The addresses of
``ADDA_TRUSTED_PROXIES`` (one proxy carries many clients) and Unix sockets are not capped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from adda_dashboard.settings import IPNetwork

log = logging.getLogger("uvicorn.error")

_TIMEOUT_TEXT = b"The request's headers did not arrive in time"
REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_TIMEOUT_TEXT)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TIMEOUT_TEXT
)
REFUSALS_LOG_EVERY_S = 60.0


def per_worker(cap: int, workers: int) -> int:
    """One worker's share of the per-address cap (see the module's docstring)."""
    return max(1, math.ceil(cap / max(1, workers)))


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol with a deadline for each request's headers, which also
    tells its ``on_closed`` (the per-address count's release) when the connection ends."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        *,
        header_timeout: float,
        on_closed: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(config=config, server_state=server_state, app_state=app_state)
        self.header_timeout = header_timeout
        self.on_closed = on_closed
        self.headers_due: float | None = None  # the loop's time by which headers must be in
        self._request_begun = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)
        self._closed()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_begun = True
        if self.headers_due is None:
            self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        self._request_begun = False
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        body_arriving = not self.pipeline and self.cycle is not None and self.cycle.more_body
        super().on_response_complete()
        if body_arriving and not self.transport.is_closing():
            self._arm_header_deadline()

    def handle_websocket_upgrade(self) -> None:
        # The connection passes to another protocol, which knows nothing of the count.
        self._disarm_header_deadline()
        self._closed()
        super().handle_websocket_upgrade()

    def _arm_header_deadline(self) -> None:
        self.headers_due = self.loop.time() + self.header_timeout

    def _disarm_header_deadline(self) -> None:
        self.headers_due = None

    def headers_late(self) -> None:
        """The deadline passed (``close_late_headers`` found it): answer 408 or just close."""
        self.headers_due = None
        if self.transport.is_closing():
            return
        # A 408 in the middle of another response's bytes would corrupt it.
        responding = self.cycle is not None and not self.cycle.response_complete
        if self._request_begun and not responding:
            self.transport.write(REQUEST_TIMEOUT)
        self.transport.close()

    def _closed(self) -> None:
        on_closed, self.on_closed = self.on_closed, None
        if on_closed is not None:
            on_closed()


def close_late_headers(connections: Iterable[object], now: float) -> int:
    """Close the connections whose headers are past their deadline; how many there were."""
    late = [
        conn
        for conn in connections
        if isinstance(conn, HeaderDeadlineProtocol)
        and conn.headers_due is not None
        and conn.headers_due <= now
    ]
    for conn in late:
        conn.headers_late()
    return len(late)


class AddressCap:
    """Open connections per peer address in one worker, and which to refuse."""

    def __init__(self, limit: int, trusted: Sequence[IPNetwork] = ()) -> None:
        self.limit = limit
        self.trusted = tuple(trusted)
        self.open: dict[str, int] = {}
        self._refused = 0
        self._refusals_logged_at = 0.0

    def admit(self, family: int, address: Any) -> Callable[[], None] | None:
        """The release to call when an accepted connection closes, or None: close it now."""
        if family not in (socket.AF_INET, socket.AF_INET6):
            return _nothing_to_release
        host = str(address[0])
        if self.trusted and self._is_trusted(host):
            return _nothing_to_release
        count = self.open.get(host, 0)
        if count >= self.limit:
            self._note_refusal(host)
            return None
        self.open[host] = count + 1
        return _Release(self, host)

    def release(self, host: str) -> None:
        count = self.open.get(host, 0) - 1
        if count > 0:
            self.open[host] = count
        else:
            self.open.pop(host, None)

    def _is_trusted(self, host: str) -> bool:
        try:
            peer = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
            peer = peer.ipv4_mapped
        return any(peer in network for network in self.trusted)

    def _note_refusal(self, host: str) -> None:
        # Under attack every refusal would be a line: one line a minute says it all.
        self._refused += 1
        now = time.monotonic()
        if now - self._refusals_logged_at >= REFUSALS_LOG_EVERY_S:
            log.warning(
                "refused %d connection(s) over the cap of %d per address (per worker), "
                "the latest from %s",
                self._refused,
                self.limit,
                host,
            )
            self._refused = 0
            self._refusals_logged_at = now


class _Release:
    """Gives an address's connection back exactly once, whoever notices the end first."""

    __slots__ = ("_cap", "_host")

    def __init__(self, cap: AddressCap, host: str) -> None:
        self._cap: AddressCap | None = cap
        self._host = host

    def __call__(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release(self._host)


def _nothing_to_release() -> None:
    return None
