"""The two systems under load, started as subprocesses on 127.0.0.1, and what is read of them.

The baseline is the seed architecture kept in ``shared/bench/seed_baseline`` (Flask + gthread
Gunicorn over a JSON "sheet"), run from its own virtualenv on a private copy of the dataset.
Ours is ``adda-dashboard serve --prod`` over a private copy of a prepared database
(``bench/datasets.py``). Every server is stopped in a ``finally`` block by its own pid, and the
Gunicorn master's workers by theirs. Per-process CPU time, memory and worker replacements are
read from ``/proc``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED_DIR = Path(os.environ.get("BENCH_SEED_DIR", REPO.parent / "shared/bench/seed_baseline"))
SEED_VENV = REPO / "bench" / ".venv-seed"
OUR_CLI = Path(sys.executable).with_name("adda-dashboard")
BENCH_EMAIL = "bench@adda247.com"
BENCH_PASSWORD = "bench-password-" + "x" * 8
UNLIMITED = "100000000/minute"
START_TIMEOUT_S = 60.0
# The journey client runs in the benchmark's own process, a few steps of niceness above the
# servers and wrk (when the benchmark may raise its priority, i.e. as root): it uses little CPU,
# and on a busy machine its event loop would otherwise wait for a core and add that wait to the
# latencies it records. Every load-bearing child is started back at the common level.
CLIENT_BOOST = 5
_child_increment = 0


def set_priorities(extra: int = 0) -> int:
    """Raise this process ``extra + CLIENT_BOOST`` steps and start children ``CLIENT_BOOST`` lower;
    returns the boost in force (0 without the right to raise priority)."""
    global _child_increment
    for boost in (CLIENT_BOOST, 0):
        try:
            os.nice(-(extra + boost))
        except PermissionError:
            continue
        _child_increment = boost
        return boost
    return 0


def at_common_priority(command: list[str]) -> list[str]:
    """The command for a server or wrk, run back at the level the client was raised from
    (``nice`` executes the command in its own process, so the pid stays the command's)."""
    return ["nice", "-n", str(_child_increment), *command] if _child_increment else command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_json(
    method: str,
    url: str,
    body: dict[str, object] | None = None,
    token: str | None = None,
    timeout: float = 30.0,
) -> tuple[int, dict[str, object]]:
    """One blocking request with the standard library; used for set-up, never under load."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited with {proc.returncode}; see {log}:\n"
                + log.read_text(errors="replace")[-2000:]
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not answer within {START_TIMEOUT_S:.0f}s; see {log}")


def children_of(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (the Gunicorn workers of a master).

    Read from ``/proc/<pid>/task/*/children`` (one small file per thread); a full scan of
    ``/proc`` is the fallback on kernels without it.
    """
    tasks = Path(f"/proc/{pid}/task")
    try:
        lists = [(task / "children").read_text() for task in tasks.iterdir()]
        return sorted(int(child) for text in lists for child in text.split())
    except FileNotFoundError:
        if not tasks.exists():
            return []
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the ppid follows the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes and their reaped children so far.

    The children's share counts the workers a Gunicorn master has already replaced.
    """
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot): tells a pid from a reused one."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def stop_process(proc: subprocess.Popen[bytes], children: list[int], grace_s: float = 15.0) -> None:
    """SIGTERM to the master (graceful for Gunicorn), then SIGKILL to any of its workers left.

    A worker is killed only while its pid still names the same process (same start time), so a
    pid reused by someone else's process after the worker ended is never touched.
    """
    known = {pid: start_time(pid) for pid in children}
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for pid, started in known.items():
        if started is not None and start_time(pid) == started:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@dataclass
class Running:
    """A started server: where it listens and which processes are its own."""

    name: str
    base_url: str
    proc: subprocess.Popen[bytes]
    workdir: Path
    pid_file: Path | None = None
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def master_pid(self) -> int:
        """The Gunicorn master named by the pid file, trusted only when it is our process or
        its child (a stale file must not point us at someone else's processes)."""
        if self.pid_file and self.pid_file.exists():
            text = self.pid_file.read_text().strip()
            if text.isdigit() and (
                int(text) == self.proc.pid or int(text) in children_of(self.proc.pid)
            ):
                return int(text)
        return self.proc.pid

    def worker_pids(self) -> list[int]:
        return children_of(self.master_pid)

    def all_pids(self) -> list[int]:
        return [self.master_pid, *self.worker_pids()]

    def worker_rss_mb(self) -> list[float]:
        return [mb for pid in self.worker_pids() if (mb := rss_mb(pid)) is not None]

    def login(self) -> str:
        raise NotImplementedError


class WorkerWatch:
    """Counts the workers a server replaced during a load (Gunicorn's ``max_requests``
    recycling, or a crash): it samples the master's children twice a second on a thread."""

    def __init__(self, server: Running, interval_s: float = 0.5) -> None:
        self._server = server
        self._interval_s = interval_s
        self._stop = threading.Event()
        self.initial = set(server.worker_pids())
        self.seen = set(self.initial)
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.seen.update(self._server.worker_pids())

    def __enter__(self) -> WorkerWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.seen.update(self._server.worker_pids())

    @property
    def replaced(self) -> int:
        return len(self.seen - self.initial)


# Ours ------------------------------------------------------------------------------------------


def our_env(
    workdir: Path,
    database_url: str | None = None,
    redis_url: str | None = None,
    secret: str | None = None,
) -> dict[str, str]:
    """Production settings over a private database, with request budgets and the per-address
    connection cap out of the way: the whole load comes from one address and one user."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDA_")}
    env.update(
        {
            "ADDA_DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.db'}",
            "ADDA_VAR_DIR": str(workdir / "var"),
            "ADDA_LOG_DIR": str(workdir / "logs"),
            "ADDA_JWT_SECRET": secret or secrets.token_urlsafe(48),
            "ADDA_ENVIRONMENT": "production",
            "ADDA_LOG_LEVEL": "WARNING",
            "ADDA_ACCESS_LOG": str(workdir / "logs" / "access.log"),
            "ADDA_ERROR_LOG": str(workdir / "logs" / "error.log"),
            # The load generator stands for many clients: thousands of connections from one
            # address, past the per-address cap (trusting it as a proxy would add a layer).
            "ADDA_MAX_CONNECTIONS_PER_ADDRESS": "1000000",
        }
    )
    for kind in ("READ", "WRITE", "EXPENSIVE"):
        for who in ("USER", "ADDRESS"):
            env[f"ADDA_RATE_LIMIT_{kind}_{who}"] = UNLIMITED
    if redis_url:
        env["ADDA_REDIS_URL"] = redis_url
        env["ADDA_CACHE_PREFIX"] = f"bench-{workdir.name}"
    return env


class OurRunning(Running):
    def login(self) -> str:
        status, body = http_json(
            "POST",
            f"{self.base_url}/api/auth/login",
            {"email": BENCH_EMAIL, "password": BENCH_PASSWORD},
        )
        if status != 200:
            raise RuntimeError(f"login on ours failed: {status} {body}")
        return str(body["token"])


@contextmanager
def our_server(
    workdir: Path, env: dict[str, str], workers: int | None = None, name: str = "ours"
) -> Iterator[OurRunning]:
    port = free_port()
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    log = workdir / "logs" / "serve.out"
    args = [str(OUR_CLI), "serve", "--prod", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        args += ["--workers", str(workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            at_common_priority(args), env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT
        )
    running = OurRunning(
        name, f"http://127.0.0.1:{port}", proc, workdir, pid_file=workdir / "var" / "server.pid"
    )
    try:
        wait_until_up(f"{running.base_url}/health", proc, log)
        yield running
    finally:
        stop_process(proc, running.worker_pids() if proc.poll() is None else [])


# The baseline ----------------------------------------------------------------------------------


class BaselineRunning(Running):
    def login(self) -> str:
        status, body = http_json("POST", f"{self.base_url}/api/auth/login", {"email": BENCH_EMAIL})
        if status != 200:
            raise RuntimeError(f"login on the baseline failed: {status} {body}")
        return str(body["token"])


@contextmanager
def baseline_server(
    workdir: Path, dataset: Path, venv: Path = SEED_VENV
) -> Iterator[BaselineRunning]:
    """The seed app as its README starts it, cwd in the seed folder, on a private dataset copy."""
    workdir.mkdir(parents=True, exist_ok=True)
    private = workdir / "dataset.json"
    shutil.copy2(dataset, private)
    port = free_port()
    env = {**os.environ, "DATASET": str(private), "BIND": f"127.0.0.1:{port}"}
    log = workdir / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            at_common_priority(
                [str(venv / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"]
            ),
            env=env,
            cwd=SEED_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = BaselineRunning("baseline", f"http://127.0.0.1:{port}", proc, workdir)
    try:
        wait_until_up(f"{running.base_url}/health", proc, log)
        yield running
    finally:
        stop_process(proc, running.worker_pids() if proc.poll() is None else [])
