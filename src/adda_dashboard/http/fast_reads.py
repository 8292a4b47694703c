"""A lean ASGI path for the hot reads: ``GET /api/data`` (the whole list, or a filtered page
already cached), ``/api/filters`` and ``/api/leaderboard``.

These answers are cached snapshots (bytes, pre-compressed); serving them through the full
framework (routing, dependency injection, a thread hop) cost several times the work of the answer
itself. This path checks the token through the same gate as every route, validates the snapshot
against the live dataset version, answers 304 or the bytes, and hands anything else (a bad
token, a page not cached yet, other methods) to the application, which answers it in full.

It runs at two places:

- ``FrontDoor``, the outermost middleware, answers requests that need nothing from the layers
  in between (a bearer token, no ``Origin``): it counts the request, draws on the rate limits,
  adds the request id and the ``Vary`` the CORS layer would have added, all through the same
  functions those layers use. Each layer costs a call and a wrapped ``send`` per request, which
  on these answers was a third of the server's work.
- ``FastReads``, the innermost, answers the rest of them (a browser's cross-origin request, the
  dashboard's cookie turned into a token) after the layers have run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from adda_dashboard.adapters.access_log import AccessLog
from adda_dashboard.bootstrap import Container
from adda_dashboard.db.outage import is_database_outage
from adda_dashboard.errors import AppError
from adda_dashboard.http.middleware import REQUEST_ID_HEADER, count_request, request_id_for
from adda_dashboard.http.outage import OUTAGES, outage_answer_parts
from adda_dashboard.http.rate_limiting import refusal, verdict_for
from adda_dashboard.http.snapshots import CACHE_CONTROL, FAST_PATHS, page_snapshot_name
from adda_dashboard.services.snapshots import Snapshot

_CACHE_CONTROL = CACHE_CONTROL.encode()
_VARY = b"Accept-Encoding"
_VARY_WITH_ORIGIN = b"Accept-Encoding, Origin"  # what the CORS layer makes of it, no Origin sent
_JSON = b"application/json"
_NOT_ZERO = (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")


def producers(container: Container) -> dict[str, Callable[[], Any]]:
    return {
        "data": container.entries.legacy_list_pieces,
        "filters": container.reports.filters,
        "leaderboard": container.reports.leaderboard,
    }


def _wants_gzip(accept_encoding: bytes) -> bool:
    for part in accept_encoding.split(b","):
        coding, _, params = part.strip().partition(b";")
        if coding.strip().lower() in (b"gzip", b"*"):
            return params.replace(b" ", b"") not in _NOT_ZERO
    return False


def snapshot_name(scope: Scope) -> str | None:
    """The snapshot a GET or HEAD asks for, or None when this path does not answer it."""
    if scope["method"] not in ("GET", "HEAD"):
        return None
    path = scope.get("path", "")
    name = FAST_PATHS.get(path)
    if name is None or not scope["query_string"]:
        return name
    if path != "/api/data":
        return None
    # Read as the route reads them, so the name is the one the route caches the page under.
    params = {k: v for k, v in QueryParams(scope["query_string"]).items() if k != "_"}
    return page_snapshot_name(params) if params else name


@dataclass
class Asked:
    """The request headers this path looks at: the first of each, as the routes read them."""

    authorization: bytes | None = None
    accept_encoding: bytes | None = None
    if_none_match: bytes | None = None
    origin: bytes | None = None
    request_id: bytes | None = None

    @classmethod
    def of(cls, headers: list[tuple[bytes, bytes]]) -> Asked:
        asked = cls()
        for key, value in headers:
            if key == b"authorization":
                asked.authorization = asked.authorization or value
            elif key == b"accept-encoding":
                asked.accept_encoding = asked.accept_encoding or value
            elif key == b"if-none-match":
                asked.if_none_match = asked.if_none_match or value
            elif key == b"origin":
                asked.origin = asked.origin or value
            elif key == REQUEST_ID_HEADER:
                asked.request_id = asked.request_id or value
        return asked


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class Builds:
    """At most one build per snapshot name at a time in this process, awaited by every request
    that needs it, on the event loop.

    Each request used to wait for a build on a thread of its own (blocked on the build's lock):
    after a write, hundreds of waiting reads held every thread of the pool, and writes, which
    need one, queued behind them for seconds. A build reads the live dataset version when it
    starts, so it serves every request admitted before that; a request admitted later and given
    an older snapshot starts (or joins) the next build.
    """

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Task[Snapshot]] = {}

    async def snapshot(self, container: Container, name: str, version: int) -> Snapshot | None:
        """The snapshot at ``version`` or newer; None for names without a producer here."""
        produce = producers(container).get(name)
        if produce is None:
            return None
        if container.redis is None and container.db.is_sqlite:
            # Everything a build reads is in this process or a local file, and it takes a
            # millisecond or two: on the loop it beats handing it to a thread, which then
            # contends with the loop for the interpreter lock and takes twice as long.
            return container.snapshots.get(name, produce)
        loop = asyncio.get_running_loop()
        while True:
            snapshot = container.snapshots.peek(name, version)
            if snapshot is not None:
                return snapshot
            task = self._running.get(name)
            if task is None or task.done() or task.get_loop() is not loop:
                task = loop.create_task(
                    anyio.to_thread.run_sync(lambda: container.snapshots.get(name, produce))
                )
                self._running[name] = task
            snapshot = await asyncio.shield(task)
            if snapshot.version >= version:
                return snapshot


async def lean_answer(
    container: Container,
    name: str,
    asked: Asked,
    *,
    head: bool,
    builds: Builds | None,
    request_id: str | None,
) -> Answer | None:
    """304 or the snapshot's bytes, or None to let the application answer in full. A snapshot
    this process does not hold yet is built only with ``builds``.

    The database down (the token check or a build reads it) is answered here, 503 as the
    application's handlers answer it: raised from this layer, outside them, it would become a
    500 and cost the client its connection.
    """
    try:
        return await _snapshot_answer(container, name, asked, head=head, builds=builds)
    except Exception as exc:
        if not is_database_outage(exc):
            raise
        OUTAGES.note(exc, f"lean read of {name}")
        headers, body = outage_answer_parts(request_id)
        return Answer(503, headers, b"" if head else body)


async def _snapshot_answer(
    container: Container, name: str, asked: Asked, *, head: bool, builds: Builds | None
) -> Answer | None:
    if asked.authorization is None:
        return None  # open reads, or the 401: the full path decides
    try:
        admission = container.gate.admit(asked.authorization.decode("latin-1"))
    except AppError:
        return None
    version = admission.dataset_version
    gzip_ok = asked.accept_encoding is not None and _wants_gzip(asked.accept_encoding)
    etag = f'"{name}-v{version}-gz"' if gzip_ok else f'"{name}-v{version}"'
    held = asked.if_none_match.decode("latin-1") if asked.if_none_match else ""
    if held and (etag in {t.strip().removeprefix("W/") for t in held.split(",")} or held == "*"):
        return Answer(304, _headers(etag, None, gzip=False), b"")
    snapshot = container.snapshots.peek(name, version)
    if snapshot is None and builds is not None:
        snapshot = await builds.snapshot(container, name, version)
    if snapshot is None:
        return None  # e.g. a page not cached yet: the route validates, builds and caches it
    body = snapshot.gzip_body if gzip_ok else snapshot.body
    etag = snapshot.gzip_etag if gzip_ok else snapshot.etag  # it may be newer than admitted
    return Answer(200, _headers(etag, len(body), gzip=gzip_ok), b"" if head else body)


def _headers(etag: str, length: int | None, *, gzip: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"etag", etag.encode("latin-1")),
        (b"cache-control", _CACHE_CONTROL),
        (b"vary", _VARY),
    ]
    if length is not None:
        headers.append((b"content-type", _JSON))
        headers.append((b"content-length", str(length).encode()))
    if gzip:
        headers.append((b"content-encoding", b"gzip"))
    return headers


async def _send(send: Send, answer: Answer) -> None:
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body})


class FastReads:
    """The innermost layer: answers hot reads that came through every middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.builds = Builds()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = snapshot_name(scope) if scope["type"] == "http" else None
        if name is not None:
            container: Container = scope["app"].state.container
            head = scope["method"] == "HEAD"
            asked = Asked.of(scope["headers"])
            request_id = scope.get("state", {}).get("request_id")
            answer = await lean_answer(
                container, name, asked, head=head, builds=self.builds, request_id=request_id
            )
            if answer is not None:
                await _send(send, answer)
                return
        await self.app(scope, receive, send)


class FrontDoor:
    """The outermost layer: answers hot reads that need nothing from the layers in between,
    leaving the traces those layers leave (see the module's docstring)."""

    def __init__(self, app: ASGIApp, access_log: AccessLog | None = None) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = snapshot_name(scope) if scope["type"] == "http" else None
        if name is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        asked = Asked.of(scope["headers"])
        if asked.origin is not None or asked.authorization is None:
            await self.app(scope, receive, send)  # CORS or the session cookie have a say
            return
        container: Container = scope["app"].state.container
        # Without building: a build waits for the rate limits' say, which the chain asks first.
        head = scope["method"] == "HEAD"
        request_id = request_id_for(asked.request_id)
        answer = await lean_answer(
            container, name, asked, head=head, builds=None, request_id=request_id
        )
        if answer is None:
            await self.app(scope, receive, send)
            return
        if answer.status == 503:  # the database down: no budget drawn on for it
            answer.headers.append((b"vary", b"Origin"))  # what the CORS layer adds, no Origin
        else:
            answer = self._within_budget(container, asked, scope, answer, request_id)
        answer.headers.append((REQUEST_ID_HEADER, request_id.encode("latin-1")))
        try:
            await _send(send, answer)
        finally:
            count_request(
                scope,
                scope["path"],
                answer.status,
                started,
                request_id=request_id,
                access_log=self.access_log,
            )

    @staticmethod
    def _within_budget(
        container: Container, asked: Asked, scope: Scope, answer: Answer, request_id: str
    ) -> Answer:
        """The answer, or the 429 when the caller's read budget is spent."""
        verdict = verdict_for(container, "read", asked.authorization, scope.get("client"))
        if verdict is not None and not verdict.allowed:
            headers, body = refusal("read", verdict, request_id)
            headers.append((b"vary", b"Origin"))
            return Answer(429, headers, body)
        answer.headers[2] = (b"vary", _VARY_WITH_ORIGIN)
        return answer
