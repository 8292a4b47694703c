"""The machine's ceiling for the hot reads: the bytes our server answered, served by nginx and
by a do-nothing ASGI app, loaded by the same ``wrk`` in the same run.

wrk and the server share the machine's cores, so some throughput targets sit near what the
machine can do at all. nginx (C, ``sendfile``, pre-compressed files) shows that limit; the bare
ASGI app (``bench/bare_asgi.py`` on the same Gunicorn + Uvicorn worker as ours) shows the floor
cost of a Python server. Both are subprocesses on 127.0.0.1, stopped by pid like the others.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.bare_asgi import ANSWERS_ENV
from bench.systems import REPO, Running, at_common_priority, free_port, stop_process, wait_until_up

NGINX = "/usr/sbin/nginx"
WORKER_CLASS = "adda_dashboard.gunicorn_server.Worker"
BARE_APP = "bench.bare_asgi:create_app()"


def ensure_nginx() -> str:
    """Debian's nginx, installed with apt-get when missing (needs root)."""
    found = shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)
    if found:
        return found
    # RUNLEVEL=1 keeps the package's scripts from starting its own service on port 80.
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "RUNLEVEL": "1"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=env)
    if not Path(NGINX).exists():
        raise RuntimeError("nginx is not installed and apt-get could not install it")
    return NGINX


def fetch(url: str, token: str, gzip: bool) -> tuple[bytes, bool]:
    """The answer's body as sent (urllib does not decompress) and whether it is gzip."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    if gzip:
        request.add_header("Accept-Encoding", "gzip")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), response.headers.get("Content-Encoding") == "gzip"


def save_answers(
    base_url: str, token: str, root: Path, paths: tuple[str, ...]
) -> dict[str, dict[str, int]]:
    """Our answers for ``paths`` as files under ``root`` (``api/data``, ``api/data.gz``);
    returns their sizes. No ``.gz`` file when the server did not compress, so the ceiling
    serves exactly what ours served."""
    sizes = {}
    for path in paths:
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        plain, _ = fetch(base_url + path, token, gzip=False)
        target.write_bytes(plain)
        packed, is_gzip = fetch(base_url + path, token, gzip=True)
        if is_gzip:
            target.with_name(target.name + ".gz").write_bytes(packed)
        sizes[path] = {"identity_bytes": len(plain), "gzip_bytes": len(packed) if is_gzip else 0}
    return sizes


def nginx_config(workdir: Path, root: Path, port: int) -> str:
    # As root, workers would otherwise run as nobody and could not read the private temp dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp_paths = "".join(
        f"    {kind}_temp_path {workdir / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}daemon off;
worker_processes 2;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000000;
    open_file_cache max=16;
{temp_paths}    default_type application/json;
    server {{
        listen 127.0.0.1:{port} backlog=8192;
        root {root};
        location / {{
            gzip_static on;
            gzip_vary on;
        }}
    }}
}}
"""


@contextmanager
def _serving(
    name: str,
    args: list[str],
    port: int,
    log: Path,
    ready_path: str,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[Running]:
    """``args`` started as a server on ``port``, up once ``ready_path`` answers; stopped by its
    pid (and its workers') at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            at_common_priority(args), env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT
        )
    running = Running(name, f"http://127.0.0.1:{port}", proc, log.parent)
    try:
        wait_until_up(running.base_url + ready_path, proc, log)
        yield running
    finally:
        stop_process(proc, running.worker_pids() if proc.poll() is None else [])


@contextmanager
def nginx_server(workdir: Path, root: Path, ready_path: str) -> Iterator[Running]:
    """nginx serving ``root``: the ``.gz`` twin of a file to a request accepting gzip;
    up once ``ready_path`` answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "nginx.conf"
    config.write_text(nginx_config(workdir, root, port))
    args = [ensure_nginx(), "-p", str(workdir), "-c", str(config), "-e", str(workdir / "error.log")]
    with _serving("nginx", args, port, workdir / "nginx.out", ready_path) as running:
        yield running


@contextmanager
def bare_asgi_server(
    workdir: Path, root: Path, ready_path: str, workers: int = 2
) -> Iterator[Running]:
    """``bench.bare_asgi`` on Gunicorn with our Uvicorn worker class, no access log."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = [
        sys.executable, "-m", "gunicorn", "-k", WORKER_CLASS, "-w", str(workers),
        "-b", f"127.0.0.1:{port}", "--reuse-port", "--backlog", "8192",
        "--worker-connections", "4000", "--keep-alive", "5", "--log-level", "warning",
        BARE_APP,
    ]  # fmt: skip
    # Our worker class guards connections as ours does; the load comes from one address.
    env = {**os.environ, ANSWERS_ENV: str(root), "ADDA_MAX_CONNECTIONS_PER_ADDRESS": "1000000"}
    log = workdir / "gunicorn.log"
    with _serving("bare-asgi", args, port, log, ready_path, env=env, cwd=REPO) as running:
        yield running
