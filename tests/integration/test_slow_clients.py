"""``serve --prod`` against slow and greedy clients (slowloris): thousands of half-open
connections from one address leave every other client answered at once and are closed after
the header timeout; a body dribbled a byte at a time is cut off with a 408, a steady upload
slower than the grace is not; Granian closes half-open connections after the header timeout.

The servers run over SQLite only: nothing here depends on the database behind them.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import resource
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvloop

from tests.backends import fresh_database
from tests.factories import PASSWORD
from tests.integration.live_servers import live_server, login, prepare_database, server_env
from tests.video_support import write_video

pytestmark = pytest.mark.slow
ADMIN = "slow.clients@adda247.com"
ATTACKER, CLIENT = "127.0.0.3", "127.0.0.2"
HALF_OPEN = 8_500
HOLD_S = 30.0
HEADER_TIMEOUT_S = 3
CAP = 256
PARTIAL_REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n"
# The body tests: a short grace and a low floor, so a dribble is cut off in seconds.
GRACE_S, MIN_RATE = 2, 500


@pytest.fixture
def sqlite_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A server environment over a fresh SQLite database with the admin in it."""
    with fresh_database("sqlite", tmp_path) as url:
        prepare_database(url, tmp_path, ADMIN)
        yield server_env(
            url,
            tmp_path,
            ADDA_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT_S),
            ADDA_MAX_CONNECTIONS_PER_ADDRESS=str(CAP),
            ADDA_BODY_GRACE_SECONDS=str(GRACE_S),
            ADDA_MIN_BODY_BYTES_PER_SECOND=str(MIN_RATE),
            ADDA_VIDEO_MIN_FREE_DISK_MB="0",
        )


@pytest.fixture
def many_open_files() -> Iterator[None]:
    """This process's open-file limit raised to its hard limit, for itself and the server
    started after it (a child inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 4 * HALF_OPEN)
    if target < HALF_OPEN + 1000:
        pytest.skip(f"needs {HALF_OPEN + 1000} open files, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@dataclass
class Attack:
    """What became of the attacker's connections."""

    outcomes: Counter[str] = field(default_factory=Counter)
    closed_after_s: dict[str, list[float]] = field(default_factory=dict)
    opened_in_s: float = 0.0


async def hold_one(
    port: int, gate: asyncio.Semaphore, until: float, attack: Attack, opened: list[int]
) -> None:
    loop = asyncio.get_running_loop()
    async with gate:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, local_addr=(ATTACKER, 0)), 10
            )
            writer.write(PARTIAL_REQUEST)
        except OSError:
            attack.outcomes["connect failed"] += 1
            return
    opened[0] += 1
    began = loop.time()
    try:
        data = await asyncio.wait_for(reader.read(), max(0.0, until - loop.time()))
        outcome = "408" if data.startswith(b"HTTP/1.1 408 ") else "other" if data else "closed"
    except TimeoutError:
        outcome = "still open"
    except ConnectionError:
        outcome = "closed"
    finally:
        writer.close()
    attack.outcomes[outcome] += 1
    attack.closed_after_s.setdefault(outcome, []).append(loop.time() - began)


async def half_open_attack(port: int, attack: Attack) -> None:
    """HALF_OPEN connections that each send part of a request and nothing more, held until
    HOLD_S after the first (or until the server closes them)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    until = started + HOLD_S
    gate = asyncio.Semaphore(500)
    opened = [0]
    tasks = [
        asyncio.create_task(hold_one(port, gate, until, attack, opened)) for _ in range(HALF_OPEN)
    ]
    while opened[0] + attack.outcomes["connect failed"] < HALF_OPEN and loop.time() < until:
        await asyncio.sleep(0.05)
    attack.opened_in_s = loop.time() - started
    await asyncio.wait(tasks, timeout=HOLD_S + 15)


def honest_requests(base: str, headers: dict[str, str], until: float) -> list[tuple[int, float]]:
    """One request every 0.1 s on a new connection, alternating a bare and an app answer."""
    transport = httpx.HTTPTransport(local_address=CLIENT)
    results: list[tuple[int, float]] = []
    with httpx.Client(
        transport=transport, limits=httpx.Limits(max_keepalive_connections=0), timeout=10
    ) as client:
        for index in range(int(HOLD_S * 10)):
            if time.monotonic() >= until:
                break
            path = "/health" if index % 2 else "/api/filters"
            began = time.perf_counter()
            try:
                status = client.get(f"{base}{path}", headers=headers).status_code
            except httpx.TransportError:
                status = 0
            took = time.perf_counter() - began
            results.append((status, took))
            time.sleep(max(0.0, 0.1 - took))
    return results


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def test_half_open_connections_from_one_address_do_not_hold_the_server(
    sqlite_env: dict[str, str], many_open_files: None
) -> None:
    with live_server(sqlite_env, workers=2) as base:
        headers = login(base, ADMIN, PASSWORD)
        port = int(base.rsplit(":", 1)[1])
        attack = Attack()
        attacker = threading.Thread(
            target=lambda: uvloop.run(half_open_attack(port, attack)), daemon=True
        )
        attacker.start()
        # From the attack's first connection to the end of its hold.
        answers = honest_requests(base, headers, time.monotonic() + HOLD_S)
        attacker.join(HOLD_S + 30)
        assert not attacker.is_alive()
    latencies = [took for _status, took in answers]
    statuses = Counter(status for status, _took in answers)
    closed = {k: (min(v), max(v)) for k, v in attack.closed_after_s.items()}
    print(
        f"\nopened {HALF_OPEN} in {attack.opened_in_s:.1f} s; outcomes {dict(attack.outcomes)};"
        f" closed after (min, max) s {closed}; {len(answers)} honest requests {dict(statuses)},"
        f" p50 {sorted(latencies)[len(latencies) // 2]:.3f} s, p99 {p99(latencies):.3f} s,"
        f" max {max(latencies):.3f} s"
    )
    assert len(answers) >= 100 and statuses == {200: len(answers)}
    assert p99(latencies) < 1.0
    # Every connection was closed by the server: those over the cap as soon as they were
    # accepted, without a byte; the ones it took, with a 408 once the header timeout passed.
    assert attack.outcomes["still open"] == 0 and attack.outcomes["other"] == 0
    assert attack.outcomes["connect failed"] == 0
    assert attack.outcomes["408"] + attack.outcomes["closed"] == HALF_OPEN
    # At most CAP at a time, each for a header timeout: while the attacker was still opening
    # connections (seconds on a busy machine), places freed by the timeout were taken again.
    periods = 2 + int(attack.opened_in_s // HEADER_TIMEOUT_S)
    assert 0 < attack.outcomes["408"] <= CAP * periods


@pytest.fixture(params=["gunicorn", "granian"])
def server_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def read_answer(sock: socket.socket, wait_s: float) -> bytes:
    """Everything the server sends until it closes the connection (bounded by ``wait_s``)."""
    sock.settimeout(wait_s)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionError):
        pass
    return data


def closed_by_server(sock: socket.socket, wait_s: float) -> bool:
    """Whether the server closes the connection within ``wait_s`` (whatever it sends first)."""
    sock.settimeout(wait_s)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


def test_a_body_dribbled_a_byte_a_second_is_cut_off_with_408(
    sqlite_env: dict[str, str], server_name: str
) -> None:
    with live_server(sqlite_env, workers=2, server=server_name) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"
            )
            answer = b""
            for _ in range(30):  # a byte a second, until the server answers
                if select.select([sock], [], [], 1.0)[0]:
                    answer = read_answer(sock, 10)
                    break
                sock.sendall(b" ")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in head.lower()
    assert b"too slowly" in body


def multipart(video: bytes) -> tuple[bytes, str]:
    boundary = "slow-clients-boundary"
    fields = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("contentType", "Content"), ("status", "Final"))
    )
    head = (
        f"{fields}--{boundary}\r\n"
        'Content-Disposition: form-data; name="video"; filename="clip.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    )
    body = head.encode() + video + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_steady_upload_longer_than_the_grace_is_not_cut_off(
    sqlite_env: dict[str, str], server_name: str, tmp_path: Path
) -> None:
    video = write_video(tmp_path / "clip.mp4", 36, 64, 20, fps=5).read_bytes()
    body, content_type = multipart(video)
    rate = 4 * MIN_RATE  # bytes a second: well over the floor, and 200 bytes a tenth of a second
    assert len(body) / rate > GRACE_S, "the upload must outlast the grace"

    def paced() -> Iterator[bytes]:
        step = rate // 10
        for offset in range(0, len(body), step):
            if offset == 5 * step:
                time.sleep(GRACE_S / 2)  # one stall, shorter than the grace
            yield body[offset : offset + step]
            time.sleep(0.1)

    with live_server(sqlite_env, workers=2, server=server_name) as base:
        headers = login(base, ADMIN, PASSWORD)
        response = httpx.post(
            f"{base}/api/upload-video",
            content=paced(),
            headers={**headers, "Content-Type": content_type, "Content-Length": str(len(body))},
            timeout=60,
        )
    assert response.status_code == 200, response.text
    assert response.json()["sha256"] == hashlib.sha256(video).hexdigest()


def test_granian_closes_connections_whose_headers_do_not_arrive(
    sqlite_env: dict[str, str],
) -> None:
    with live_server(sqlite_env, workers=2, server="granian") as base:
        port = int(base.rsplit(":", 1)[1])
        sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        for index, sock in enumerate(sockets):
            if index % 2:  # half send part of a request, half nothing at all
                sock.sendall(PARTIAL_REQUEST)
        began = time.monotonic()
        closed = [closed_by_server(sock, 5 * HEADER_TIMEOUT_S) for sock in sockets]
        took = time.monotonic() - began
        for sock in sockets:
            sock.close()
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200
    print(f"\ngranian closed {sum(closed)} of {len(sockets)} half-open connections in {took:.1f} s")
    assert all(closed)
