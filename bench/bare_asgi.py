"""A do-nothing ASGI app: every GET answered with bytes saved from our server, nothing else.

Served by the same Gunicorn + Uvicorn worker as ours (``bench/ceiling.py`` starts it), it is
the floor cost of a Python ASGI server on this machine: no routing beyond a dict lookup, no
auth, no logging, no serialisation. The answers are read once at start-up from the directory
named by ``BENCH_ANSWERS_DIR``: the file ``api/data`` answers ``GET /api/data``, and
``api/data.gz``, when present, answers it for a request whose ``Accept-Encoding`` has gzip.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ANSWERS_ENV = "BENCH_ANSWERS_DIR"

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Message, Receive, Send], Awaitable[None]]
# The start and body messages of one answer, built once and sent as they are for every request.
Answer = tuple[Message, Message]


def answer(body: bytes, status: int = 200, gzip: bool = False) -> Answer:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"vary", b"Accept-Encoding"),
    ]
    if gzip:
        headers.append((b"content-encoding", b"gzip"))
    start = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": body, "more_body": False}


NOT_FOUND = answer(b'{"success": false}', status=404)
NOT_ALLOWED = answer(b'{"success": false}', status=405)


def load_answers(root: Path) -> dict[str, tuple[Answer, Answer]]:
    """Path -> (identity answer, gzip answer); the gzip one is the identity one when no
    ``.gz`` file was saved (the server did not compress that answer)."""
    answers = {}
    for file in sorted(root.rglob("*")):
        if not file.is_file() or file.suffix == ".gz":
            continue
        identity = answer(file.read_bytes())
        packed = file.with_name(file.name + ".gz")
        gzipped = answer(packed.read_bytes(), gzip=True) if packed.exists() else identity
        answers["/" + file.relative_to(root).as_posix()] = (identity, gzipped)
    return answers


def accepts_gzip(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"accept-encoding" and b"gzip" in value for name, value in headers)


async def run_lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app() -> ASGIApp:
    """The app over the answers in ``$BENCH_ANSWERS_DIR`` (Gunicorn calls this factory)."""
    answers = load_answers(Path(os.environ[ANSWERS_ENV]))

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await run_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        pair = answers.get(scope["path"])
        if scope["method"] != "GET":
            start, body = NOT_ALLOWED
        elif pair is None:
            start, body = NOT_FOUND
        else:
            start, body = pair[1] if accepts_gzip(scope["headers"]) else pair[0]
        await send(start)
        await send(body)

    return app
