"""Peak memory of the serving process during large video uploads.

Starts a real server (``adda-dashboard serve``) on 127.0.0.1 over a throw-away SQLite database
and local storage, then measures its resident memory (RSS, sampled from /proc every 10 ms)
during one 1 GB upload and during 10 concurrent 200 MB uploads. Each payload is a valid MP4
(ftyp, moov, mdat) followed by a large ``free`` box of padding, generated chunk by chunk so the
client holds no more than one chunk either. Growth is measured from the RSS after a warm-up
upload (which loads FFmpeg and the rest once).

    .venv/bin/python bench/upload_memory.py [--big-mb 1024] [--each-mb 200] [--concurrent 10]

Exits 1 when the growth in either scenario reaches --limit-mb (default 100).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

MB = 1024 * 1024
CHUNK = MB
BOUNDARY = "adda-bench-boundary"
PASSWORD = "bench password 123"
EMAIL = "bench@adda247.com"


def tiny_faststart_mp4(directory: Path) -> bytes:
    """A real 2-second vertical MP4 whose index (moov) comes before its media (mdat)."""
    import av

    path = directory / "head.mp4"
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=1)
        stream.width, stream.height, stream.pix_fmt = 36, 64, "yuv420p"
        for index in range(2):
            frame = av.VideoFrame(36, 64, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([index * 40]) * plane.buffer_size)
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path.read_bytes()


class Payload:
    """The multipart body of one upload: a valid MP4 head, then ``size`` bytes of padding."""

    def __init__(self, head: bytes, size: int) -> None:
        self.nonce = uuid.uuid4().bytes  # distinct content, so no upload is a duplicate
        padding = size - len(head) - 8
        self.box_header = struct.pack(">I4s", padding + 8, b"free") + self.nonce
        self.padding = padding - len(self.nonce)
        self.head = head
        self.preamble = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="contentType"\r\n\r\n'
            f'Content\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="video"; '
            f'filename="bench.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
        ).encode()
        self.epilogue = f"\r\n--{BOUNDARY}--\r\n".encode()

    def __len__(self) -> int:
        return (
            len(self.preamble)
            + len(self.head)
            + len(self.box_header)
            + self.padding
            + len(self.epilogue)
        )

    def chunks(self) -> Iterator[bytes]:
        yield self.preamble + self.head + self.box_header
        zeros = bytes(CHUNK)
        left = self.padding
        while left > 0:
            step = min(left, CHUNK)
            yield zeros if step == CHUNK else zeros[:step]
            left -= step
        yield self.epilogue


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Sampler:
    """Samples a process's RSS every 10 ms on a thread; ``peak`` is the highest seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            self._stop.wait(0.01)

    def __enter__(self) -> Sampler:
        self.peak = rss_bytes(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "adda_dashboard", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "adda_dashboard", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def upload(base: str, token: str, payload: Payload) -> dict[str, object]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(len(payload)),
    }
    with httpx.Client(timeout=httpx.Timeout(600, connect=10)) as client:
        response = client.post(
            f"{base}/api/upload-video", content=payload.chunks(), headers=headers
        )
    if response.status_code != 200:
        raise SystemExit(f"upload failed: {response.status_code} {response.text[:300]}")
    return response.json()


def scenario(
    name: str, pid: int, base: str, token: str, payloads: list[Payload], baseline: int
) -> tuple[int, float]:
    started = time.monotonic()
    with Sampler(pid) as sampler, ThreadPoolExecutor(len(payloads)) as pool:
        results = list(pool.map(lambda p: upload(base, token, p), payloads))
    elapsed = time.monotonic() - started
    total = sum(len(p) for p in payloads)
    assert all(r["duplicate"] is False for r in results)
    growth = sampler.peak - baseline
    print(
        f"{name}: {len(payloads)} x {len(payloads[0]) / MB:.0f} MB in {elapsed:.1f} s "
        f"({total / MB / elapsed:.0f} MB/s); peak RSS {sampler.peak / MB:.1f} MB, "
        f"growth {growth / MB:.1f} MB"
    )
    return growth, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big-mb", type=int, default=1024)
    parser.add_argument("--each-mb", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=10)
    parser.add_argument("--limit-mb", type=float, default=100.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="adda-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDA_")}
    env.update(
        ADDA_VAR_DIR=str(work / "var"),
        ADDA_LOG_DIR=str(work / "logs"),
        ADDA_ENVIRONMENT="test",
        ADDA_JWT_SECRET="bench-secret-" + "b" * 40,
        ADDA_VIDEO_MAX_UPLOAD_MB=str(max(args.big_mb, args.each_mb) + 16),
        ADDA_VIDEO_MIN_FREE_DISK_MB="0",
        ADDA_RATE_LIMITS_ENABLED="false",
        ADDA_SERVE_WITH_WORKER="false",
        ADDA_LOG_LEVEL="WARNING",
    )
    server = None
    try:
        run_cli(env, "migrate")
        run_cli(
            env, "user", "create", "--email", EMAIL, "--role", "contributor", "--password", PASSWORD
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(env, port, work / "server.log")
        token = httpx.post(
            f"{base}/api/auth/login", json={"email": EMAIL, "password": PASSWORD}
        ).json()["token"]
        head = tiny_faststart_mp4(work)
        # Warm-up: one small upload, then a few at once, so that libraries and threads exist.
        upload(base, token, Payload(head, 4 * MB))
        with ThreadPoolExecutor(args.concurrent) as pool:
            list(
                pool.map(
                    lambda _: upload(base, token, Payload(head, 2 * MB)), range(args.concurrent)
                )
            )
        time.sleep(0.5)
        baseline = rss_bytes(server.pid)
        print(f"server pid {server.pid}, RSS after warm-up {baseline / MB:.1f} MB")
        big, _ = scenario(
            "one large upload", server.pid, base, token, [Payload(head, args.big_mb * MB)], baseline
        )
        baseline = rss_bytes(server.pid)
        many, _ = scenario(
            "concurrent uploads",
            server.pid,
            base,
            token,
            [Payload(head, args.each_mb * MB) for _ in range(args.concurrent)],
            baseline,
        )
        worst = max(big, many)
        verdict = "PASS" if worst < args.limit_mb * MB else "FAIL"
        print(f"{verdict}: largest growth {worst / MB:.1f} MB (limit {args.limit_mb:.0f} MB)")
        return 0 if verdict == "PASS" else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
