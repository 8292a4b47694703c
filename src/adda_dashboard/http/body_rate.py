"""A floor under the pace of request bodies: a body that arrives slower than
``ADDA_MIN_BODY_BYTES_PER_SECOND`` is cut off with a 408 and its connection closed.

Neither server cuts off a slow body once its headers are in: one byte every 5 s held a
connection, and an upload's open file, for as long as the client liked.

The pace is a bucket of waiting time. A request starts with ``ADDA_BODY_GRACE_SECONDS`` of it;
waiting for the body spends it, each byte that arrives earns back ``1 / min rate`` seconds, and
it never holds more than the grace. So a client may stall for up to the grace at any point (a
mobile upload's dead spots), must keep up the minimum on average, and a fast start buys no
right to dribble afterwards. Only the time the app spends waiting for the body counts: while the
app is busy elsewhere (writing a batch to disk) the client is not to blame.

Pure ASGI around ``receive``, so it works alike on either server. Requests that declare no body
pass untouched, and once the body is complete later ``receive`` calls (a streaming answer
listening for the client to go) are not timed. After a cut the app's ``receive`` says
``http.disconnect`` and anything it still sends is dropped: the 408 went out in its place, with
``connection: close``, which both servers honour.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("adda_dashboard.http")

DISCONNECT: Message = {"type": "http.disconnect"}


def declares_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


class BodyRateMiddleware:
    def __init__(self, app: ASGIApp, *, min_bytes_per_second: int, grace_seconds: float) -> None:
        self.app = app
        self.min_rate = min_bytes_per_second
        self.grace = grace_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.min_rate <= 0 or not declares_body(scope):
            await self.app(scope, receive, send)
            return
        body = PacedBody(scope, receive, send, self.min_rate, self.grace)
        try:
            await self.app(scope, body.receive, body.send)
        except Exception:
            if not body.cut:
                raise
            # What the app made of the disconnect it was told of; the client has its 408.
            log.debug("request cut off for a slow body ended in an error", exc_info=True)


class PacedBody:
    """One request's ``receive`` and ``send``, holding the body to the minimum pace."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, min_rate: int, grace: float
    ) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.min_rate = min_rate
        self.grace = grace
        self.credit = grace
        self.complete = False
        self.cut = False
        self.response_started = False

    async def receive(self) -> Message:
        if self.cut:
            return DISCONNECT
        if self.complete:
            return await self._receive()
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            async with asyncio.timeout(max(self.credit, 0.0)):
                message = await self._receive()
        except TimeoutError:
            await self._cut_off()
            return DISCONNECT
        if message["type"] != "http.request":
            return message
        earned = len(message.get("body", b"")) / self.min_rate
        self.credit = min(self.grace, self.credit - (loop.time() - began) + earned)
        self.complete = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if self.cut:
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)

    async def _cut_off(self) -> None:
        self.cut = True
        if self.response_started:
            return  # too late for a 408: the app's answer ends when it sees the disconnect
        message = (
            f"The request body arrived too slowly (under {self.min_rate} bytes a second); "
            "send it again on a better connection"
        )
        request_id = self.scope.get("state", {}).get("request_id")
        body = orjson.dumps(
            {"success": False, "error": message, "message": message, "request_id": request_id}
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await self._send({"type": "http.response.start", "status": 408, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})
