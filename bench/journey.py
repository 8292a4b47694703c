"""A user journey at a given number of simultaneous users, as the dashboard's browsers make it.

Each simulated user browses in a loop: the three reads of the dashboard in turn (``/api/data``,
``/api/filters``, ``/api/leaderboard``), each sent with ``If-None-Match`` set to the ETag it last
got for that path and ``Accept-Encoding: gzip``, and with a 5 % chance a write (``POST
/api/add``) instead; then it thinks for 2-5 s. Waiting on think time rather than on the previous
answer keeps the offered load independent of the server's speed (close to open-loop), so a slow
answer shows as latency instead of silently lowering the rate. Users start spread over the
ramp-up; latencies are kept for requests sent after it.

Users share the client's pool of keep-alive connections, as they would behind a reverse proxy.
A connection per user would cost this one-process client more than it measures: opening and
closing thousands of sockets, it alone gives a 1.4 s p99 at 5,000 users against a do-nothing
server, where the pooled client gives 4 ms.

The client also measures its own event-loop lag and CPU use: if either is high, the client,
not the server, was the limit, and the report says so.
"""

from __future__ import annotations

import asyncio
import random
import resource
import string
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

READS = ("/api/data", "/api/filters", "/api/leaderboard")
ID_CHARS = string.ascii_letters + string.digits + "-_"
# Below the servers' keep-alive (5 s for both), so the client never reuses a socket the server
# is closing at the same moment (which would show as a spurious disconnect).
CLIENT_KEEPALIVE_S = 4.0
LAG_INTERVAL_S = 0.05


@dataclass(frozen=True)
class JourneyConfig:
    users: int
    measure_s: float = 30.0
    ramp_s: float = 10.0
    think_min_s: float = 2.0
    think_max_s: float = 5.0
    write_share: float = 0.05
    timeout_s: float = 15.0  # a user who waited this long has given up: counted as an error
    seed: int = 7


@dataclass
class JourneyResult:
    label: str
    users: int
    tokens: int
    measure_s: float
    reads_ms: list[float] = field(default_factory=list)
    writes_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    errors_during_ramp: int = 0
    users_cut_off: int = 0
    lag_ms: list[float] = field(default_factory=list)
    client_cpu_s: float = 0.0
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    machine_busy_pct: float = 0.0

    def summary(self) -> dict[str, Any]:
        reads, writes = sorted(self.reads_ms), sorted(self.writes_ms)
        per_s = 1 / self.measure_s if self.measure_s else 0.0
        lag = sorted(self.lag_ms)
        return {
            "label": self.label,
            "users": self.users,
            "tokens": self.tokens,
            "measure_s": self.measure_s,
            "requests": len(reads) + len(writes) + sum(self.errors.values()),
            "rps": (len(reads) + len(writes)) * per_s,
            "writes_per_s": len(writes) * per_s,
            "reads": describe(reads),
            "writes": describe(writes),
            "statuses": dict(self.statuses),
            "errors": dict(self.errors),
            "error_count": sum(self.errors.values()),
            "errors_during_ramp": self.errors_during_ramp,
            "users_cut_off": self.users_cut_off,
            "client_lag_ms": {
                "p50": pct(lag, 50),
                "p99": pct(lag, 99),
                "max": lag[-1] if lag else 0.0,
            },
            "client_cpu_pct": 100.0 * self.client_cpu_s / self.wall_s if self.wall_s else 0.0,
            "server_cpu_s": self.server_cpu_s,
            "machine_busy_pct": self.machine_busy_pct,
        }


def pct(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return 0.0
    rank = max(1, round(q / 100 * len(ordered) + 0.5))
    return ordered[min(len(ordered), rank) - 1]


def describe(ordered: list[float]) -> dict[str, float]:
    return {
        "count": len(ordered),
        "p50_ms": pct(ordered, 50),
        "p95_ms": pct(ordered, 95),
        "p99_ms": pct(ordered, 99),
        "max_ms": ordered[-1] if ordered else 0.0,
    }


def new_entry(rng: random.Random) -> dict[str, str]:
    """A Final entry as the frontend sends it; a fresh video id each time."""
    video = "".join(rng.choice(ID_CHARS) for _ in range(11))
    return {
        "Email": "",
        "Vertical Name": "SSC",
        "Exam Name": "All",
        "Subject": "Maths",
        "Type of Content": "Content",
        "Sub category": "Question",
        "Video Link": f"https://youtube.com/shorts/{video}",
        "Edit": "Final",
        "Editor Brief": "",
        "Final Edited Link": "",
        "VideoId": video,
    }


async def login_pool(base_url: str, body: dict[str, str], count: int) -> tuple[list[str], int]:
    """``count`` tokens for the bench account, two sign-ins at a time; returns the tokens and
    how many sign-ins failed with a 5xx and were tried once more (the report shows it)."""
    gate = asyncio.Semaphore(2)
    timeout = aiohttp.ClientTimeout(total=120)
    retries = 0

    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one() -> str:
            nonlocal retries
            for attempt in range(2):
                async with gate, session.post(f"{base_url}/api/auth/login", json=body) as response:
                    payload = await response.json(content_type=None)
                    if response.status == 200:
                        return str(payload["token"])
                    if response.status < 500 or attempt:
                        raise RuntimeError(f"login failed: {response.status} {payload}")
                retries += 1
                await asyncio.sleep(1)
            raise AssertionError("unreachable")

        tokens = list(await asyncio.gather(*(one() for _ in range(count))))
        return tokens, retries


class Journey:
    def __init__(self, label: str, base_url: str, tokens: list[str], config: JourneyConfig):
        self.base_url = base_url
        self.tokens = tokens
        self.config = config
        self.result = JourneyResult(label, config.users, len(tokens), config.measure_s)
        self.loop = asyncio.get_running_loop()
        self.measure_from = 0.0
        self.end_at = 0.0

    async def run(self) -> JourneyResult:
        cfg = self.config
        started = self.loop.time()
        self.measure_from = started + cfg.ramp_s
        self.end_at = self.measure_from + cfg.measure_s
        cpu_before = cpu_now()
        stop = asyncio.Event()
        monitor = asyncio.create_task(self.watch_lag(stop))
        rng = random.Random(cfg.seed)
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=CLIENT_KEEPALIVE_S)
        timeout = aiohttp.ClientTimeout(total=cfg.timeout_s)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, auto_decompress=False
        ) as session:
            users = [
                asyncio.create_task(self.user(index, random.Random(rng.random()), session))
                for index in range(cfg.users)
            ]
            # Every user stops sending at end_at and a request in flight ends by its own
            # timeout; the grace covers a loop running late under load. Users still busy after
            # it are cut off (counted), so a level never outlasts its bound.
            grace = cfg.timeout_s + 15
            done, pending = await asyncio.wait(users, timeout=self.end_at + grace - started)
            self.result.users_cut_off = len(pending)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for task in done:
                task.result()  # a bug in the client surfaces here rather than passing silently
            stop.set()
            await monitor
        self.result.wall_s = self.loop.time() - started
        self.result.client_cpu_s = cpu_now() - cpu_before
        return self.result

    async def watch_lag(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            in_run = self.loop.time() >= self.measure_from
            before = time.perf_counter()
            await asyncio.sleep(LAG_INTERVAL_S)
            if in_run:
                lag = time.perf_counter() - before - LAG_INTERVAL_S
                self.result.lag_ms.append(max(0.0, lag) * 1000)

    async def user(self, index: int, rng: random.Random, session: aiohttp.ClientSession) -> None:
        cfg = self.config
        await asyncio.sleep(rng.uniform(0, cfg.ramp_s))
        headers = {
            "Authorization": f"Bearer {self.tokens[index % len(self.tokens)]}",
            "Accept-Encoding": "gzip",
        }
        etags: dict[str, str] = {}
        step = rng.randrange(len(READS))
        while self.loop.time() < self.end_at:
            if rng.random() < cfg.write_share:
                await self.send(
                    session, "POST", "/api/add", headers, json=new_entry(rng), etags=None
                )
            else:
                path = READS[step % len(READS)]
                step += 1
                await self.send(session, "GET", path, headers, etags=etags)
            think = rng.uniform(cfg.think_min_s, cfg.think_max_s)
            await asyncio.sleep(min(think, max(0.0, self.end_at - self.loop.time())))

    async def send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        headers: dict[str, str],
        *,
        etags: dict[str, str] | None,
        json: dict[str, str] | None = None,
    ) -> None:
        sent = dict(headers)
        if etags is not None and path in etags:
            sent["If-None-Match"] = etags[path]
        sent_at = self.loop.time()  # the loop's clock places the request in the run
        began = time.perf_counter()  # a finer clock measures it
        outcome: str
        try:
            async with session.request(
                method, self.base_url + path, headers=sent, json=json
            ) as response:
                await response.read()
                outcome = str(response.status)
                if etags is not None and response.status == 200 and "ETag" in response.headers:
                    etags[path] = response.headers["ETag"]
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = type(exc).__name__
        elapsed_ms = (time.perf_counter() - began) * 1000
        failed = not outcome.isdigit() or int(outcome) >= 400
        if sent_at < self.measure_from:
            self.result.errors_during_ramp += failed
            return
        if failed:
            self.result.errors[f"{method} {path}: {outcome}"] += 1
            return
        self.result.statuses[f"{method} {path} {outcome}"] += 1
        (self.result.writes_ms if method == "POST" else self.result.reads_ms).append(elapsed_ms)


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sign_in(base_url: str, login_body: dict[str, str], count: int) -> tuple[list[str], int, float]:
    """Tokens for the pool, with the sign-in retries and the seconds the sign-ins took."""
    import uvloop

    began = time.monotonic()
    tokens, retries = uvloop.run(login_pool(base_url, login_body, count))
    return tokens, retries, time.monotonic() - began


def run_journey(
    label: str, base_url: str, tokens: list[str], config: JourneyConfig
) -> JourneyResult:
    """Run one level on a fresh uvloop event loop with tokens signed in beforehand."""
    import uvloop

    async def main() -> JourneyResult:
        return await Journey(label, base_url, tokens, config).run()

    return uvloop.run(main())
