"""Closed-loop HTTP load with ``wrk``: a fixed number of connections, each sending its next
request as soon as the last answer arrived, for a fixed time.

``wrk_report.lua`` prints one JSON line at the end; besides it, each run records the CPU time
the server's processes and wrk itself used and how busy the whole machine was, so a report can
tell a slow server from a starved one.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.systems import at_common_priority, cpu_seconds

LUA = Path(__file__).with_name("wrk_report.lua")
MARKER = "BENCH_JSON "


@dataclass
class WrkResult:
    label: str
    url: str
    connections: int
    gzip: bool
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    bytes_per_request: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    machine_busy_pct: float = 0.0
    failure: str | None = None

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "error_count": self.error_count}


def ensure_wrk() -> str:
    """The ``wrk`` binary, installed from Debian's packages when missing (needs root)."""
    found = shutil.which("wrk")
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


def raise_open_files(target: int = 65536) -> int:
    """Lift the soft limit on open files (inherited by wrk and the servers) toward the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(target, hard) if hard != resource.RLIM_INFINITY else target
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from the first line of /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def run_wrk(
    label: str,
    url: str,
    *,
    token: str,
    connections: int,
    duration_s: float,
    gzip: bool = False,
    threads: int = 2,
    timeout_s: int = 30,
    server_pids: Callable[[], list[int]] = list,
) -> WrkResult:
    result = WrkResult(label, url, connections, gzip)
    args = [
        ensure_wrk(),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(LUA),
        "-H",
        f"Authorization: Bearer {token}",
    ]
    if gzip:
        args += ["-H", "Accept-Encoding: gzip"]
    args.append(url)
    pids = server_pids()
    cpu_before = cpu_seconds(pids)
    busy_before, total_before = machine_ticks()
    proc = subprocess.Popen(
        at_common_priority(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = b""
    try:
        assert proc.stdout is not None
        output = proc.stdout.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
    result.client_cpu_s = usage.ru_utime + usage.ru_stime
    result.server_cpu_s = cpu_seconds(server_pids() or pids) - cpu_before
    busy_after, total_after = machine_ticks()
    result.machine_busy_pct = (
        100.0 * (busy_after - busy_before) / max(1, total_after - total_before)
    )
    text = output.decode(errors="replace")
    line = next((ln for ln in text.splitlines() if ln.startswith(MARKER)), None)
    if proc.returncode != 0 or line is None:
        result.failure = f"wrk exited {proc.returncode}: {text.strip()[-500:]}"
        return result
    data = json.loads(line[len(MARKER) :])
    result.requests = data["requests"]
    result.rps = data["rps"]
    result.p50_ms, result.p95_ms = data["p50_ms"], data["p95_ms"]
    result.p99_ms, result.max_ms = data["p99_ms"], data["max_ms"]
    result.bytes_per_request = data["bytes"] / max(1, data["requests"])
    result.errors = data["errors"]
    return result
