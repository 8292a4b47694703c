"""Real video files made with PyAV, and a local HTTP host that serves them (in full, cut off
half-way, or held at a gate until the test lets it go)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

GATE_TIMEOUT_S = 60


def write_video(
    path: Path, width: int, height: int, seconds: float, *, fps: int = 1, shade: int = 0
) -> Path:
    """A tiny H.264 MP4: ``seconds`` long at ``fps``, every frame one flat grey."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(int(seconds * fps)):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(shade + index * 7) % 256]) * plane.buffer_size)
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@dataclass(frozen=True)
class Samples:
    landscape: Path  # 64x36, 2 s
    vertical: Path  # 36x64, 2 s
    square: Path  # 48x48, 3 s
    long_vertical: Path  # 36x64, 181 s: over the Shorts limit
    long_landscape: Path  # 64x36, 200 s


def make_samples(directory: Path) -> Samples:
    directory.mkdir(parents=True, exist_ok=True)
    return Samples(
        landscape=write_video(directory / "landscape.mp4", 64, 36, 2, shade=10),
        vertical=write_video(directory / "vertical.mp4", 36, 64, 2, shade=20),
        square=write_video(directory / "square.mp4", 48, 48, 3, shade=30),
        long_vertical=write_video(directory / "long_vertical.mp4", 36, 64, 181, shade=40),
        long_landscape=write_video(directory / "long_landscape.mp4", 64, 36, 200, shade=50),
    )


class VideoHost:
    """A local HTTP server for one file. Modes: ``full``, ``drop`` (close the connection after
    half the bytes), ``gate`` (send half, wait for ``release()``, send the rest), ``403``."""

    def __init__(self, payload: bytes, *, mode: str = "full") -> None:
        self.payload = payload
        self.mode = mode
        self.gets = 0
        self.bodies_started = 0
        self.gate = threading.Event()
        self.half_sent = threading.Event()
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:
                host.gets += 1
                if host.mode == "403":
                    self.send_response(403)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(len(host.payload)))
                self.end_headers()
                host.serve_body(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serve_body(self, handler: BaseHTTPRequestHandler) -> None:
        half = len(self.payload) // 2
        self.bodies_started += 1
        try:
            if self.mode == "full":
                handler.wfile.write(self.payload)
                return
            handler.wfile.write(self.payload[:half])
            handler.wfile.flush()
            if self.mode == "drop":
                handler.connection.shutdown(socket.SHUT_RDWR)
                handler.close_connection = True
                return
            self.half_sent.set()
            self.gate.wait(GATE_TIMEOUT_S)
            handler.wfile.write(self.payload[half:])
        except OSError:  # the client went away (a killed worker)
            handler.close_connection = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/media/clip.mp4"

    def release(self) -> None:
        self.mode = "full"
        self.gate.set()

    def __enter__(self) -> VideoHost:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def serving(payload: bytes, mode: str = "full") -> Iterator[VideoHost]:
    with VideoHost(payload, mode=mode) as host:
        yield host


def wait_for(
    predicate: Any, *, timeout: float = 60.0, interval: float = 0.1, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail loudly at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def files_under(directory: Path) -> list[Path]:
    """Every regular file below ``directory`` (empty list when it does not exist)."""
    if not directory.exists():
        return []
    return sorted(p for p in directory.rglob("*") if p.is_file())


def multipart_upload(
    client: Any,
    path: Path | None,
    *,
    headers: dict[str, str],
    name: str | None = None,
    data: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    body = content if content is not None else (path.read_bytes() if path else b"")
    filename = name or (path.name if path else "clip.mp4")
    return client.post(
        "/api/upload-video",
        files={"video": (filename, body, "video/mp4")},
        data=data or {},
        headers=headers,
    )


class PageHost:
    """A local HTTP server of fixed answers by path, which counts every request it receives:
    ``answers[path] = (status, headers, body)``. Serves redirects and pages for the address
    guard's tests; ``requests`` lists the paths asked for, in order."""

    def __init__(
        self,
        answers: dict[str, tuple[int, dict[str, str], bytes]] | None = None,
        *,
        address: str = "127.0.0.1",
    ) -> None:
        self.answers = dict(answers or {})
        self.requests: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.answer(with_body=True)

            def do_HEAD(self) -> None:
                self.answer(with_body=False)

            def answer(self, *, with_body: bool) -> None:
                host.requests.append(self.path)
                status, headers, body = host.answers.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> PageHost:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class RebindingResolver:
    """A DNS stand-in that answers each name with the next of ``answers`` (the last one
    repeats), as a rebinding attacker's server does; ``asked`` records every question."""

    def __init__(self, *answers: list[str]) -> None:
        self._answers = list(answers)
        self._lock = threading.Lock()
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        with self._lock:
            self.asked.append(host)
            turn = min(len(self.asked), len(self._answers)) - 1
            return list(self._answers[turn])
