"""The nginx site rendered by ``adda-dashboard deploy nginx`` is valid and, in front of two
running servers, spreads requests over both with the proxy's own forwarding headers, passes an
idempotent request over a server that is down, and serves the dashboard's static files itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from adda_dashboard.deploy.nginx import packaged_static_dir
from tests.integration.live_servers import free_port, live_server, prepare_database, server_env

pytestmark = pytest.mark.slow
NGINX = "/usr/sbin/nginx"
ADMIN = "proxy.admin@adda247.com"
CLIENT_CLAIMED_ADDRESS = "203.0.113.9"
LOG_WAIT_S = 10
# The proxy's behaviour does not depend on the database: one backend is enough.
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _nginx_or_skip() -> str:
    if Path(NGINX).exists() or shutil.which("nginx"):
        return NGINX if Path(NGINX).exists() else str(shutil.which("nginx"))
    message = "nginx not found: reverse proxy tests NOT RUN (apt-get install nginx-light)"
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


def render_site(listen_port: int, upstream_ports: list[int]) -> str:
    """The command's output, as an operator gets it (the package's static dir, default limits)."""
    command = [sys.executable, "-m", "adda_dashboard", "deploy", "nginx"]
    command += ["--listen", f"127.0.0.1:{listen_port}"]
    for port in upstream_ports:
        command += ["--upstream", f"127.0.0.1:{port}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDA_")}
    rendered = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env=env, check=True
    )
    return rendered.stdout


def nginx_conf(workdir: Path, listen_port: int, upstream_ports: list[int]) -> Path:
    """A whole nginx.conf that includes the rendered site inside its http block."""
    (workdir / "site.conf").write_text(render_site(listen_port, upstream_ports))
    main = workdir / "nginx.conf"
    main.write_text(
        f"""
user root;
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include {workdir}/site.conf;
}}
"""
    )
    return main


@contextmanager
def nginx_in_front(workdir: Path, upstream_ports: list[int]) -> Iterator[str]:
    """nginx on a free loopback port with the rendered site; yields its base URL."""
    nginx = _nginx_or_skip()
    listen = free_port()
    conf = nginx_conf(workdir, listen, upstream_ports)
    process = subprocess.Popen([nginx, "-c", str(conf)], stderr=subprocess.PIPE)
    front = f"http://127.0.0.1:{listen}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{front}/ui/static/app.css", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield front
    finally:
        process.terminate()
        process.wait(timeout=20)


@dataclass(frozen=True)
class Upstream:
    port: int
    access_log: Path


@contextmanager
def app_servers(database_url: str, workdir: Path, count: int) -> Iterator[list[Upstream]]:
    """``count`` production servers, each with its own var dir and access log, as on separate
    machines, sharing one database and believing the proxy on 127.0.0.1."""
    prepare_database(database_url, workdir, ADMIN)
    with ExitStack() as stack:
        upstreams = []
        for index in range(count):
            var_dir = workdir / f"server-{index}"
            var_dir.mkdir()
            env = server_env(database_url, var_dir, ADDA_TRUSTED_PROXIES="127.0.0.1")
            base = stack.enter_context(live_server(env, workers=1))
            upstreams.append(Upstream(int(base.rsplit(":", 1)[1]), Path(env["ADDA_ACCESS_LOG"])))
        yield upstreams


def logs_once_holding(logs: list[Path], request_ids: list[str]) -> list[str]:
    """Each log's text once every request id is in one of them (the app writes its access log
    at least once a second), or as it stands after ``LOG_WAIT_S``."""
    deadline = time.monotonic() + LOG_WAIT_S
    while True:
        texts = [log.read_text() if log.exists() else "" for log in logs]
        found = all(any(request_id in text for text in texts) for request_id in request_ids)
        if found or time.monotonic() > deadline:
            return texts
        time.sleep(0.2)


def test_the_rendered_configuration_is_valid(tmp_path: Path) -> None:
    nginx = _nginx_or_skip()
    conf = nginx_conf(tmp_path, free_port(), [free_port(), free_port()])
    checked = subprocess.run(
        [nginx, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stderr


@ON_SQLITE
def test_requests_reach_both_servers_with_the_proxys_forwarding_headers(
    database_url: str, tmp_path: Path
) -> None:
    with (
        app_servers(database_url, tmp_path, 2) as upstreams,
        nginx_in_front(tmp_path, [u.port for u in upstreams]) as front,
    ):
        ids = []
        for _ in range(12):
            response = httpx.get(f"{front}/health", timeout=30)
            assert response.status_code == 200
            # nginx's own request id reaches the app, which echoes it.
            assert len(response.headers["x-request-id"]) == 32
            ids.append(response.headers["x-request-id"])
        page = httpx.get(f"{front}/ui/login", timeout=30)
        assert page.status_code == 200
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        texts = logs_once_holding([u.access_log for u in upstreams], ids)
    assert all("/health" in text for text in texts), "each server answered some of the requests"
    assert all(any(request_id in text for text in texts) for request_id in ids)


@ON_SQLITE
def test_a_read_is_passed_over_a_server_that_is_down(database_url: str, tmp_path: Path) -> None:
    with (
        app_servers(database_url, tmp_path, 1) as upstreams,
        nginx_in_front(tmp_path, [upstreams[0].port, free_port()]) as front,
    ):
        statuses = [httpx.get(f"{front}/health", timeout=30).status_code for _ in range(8)]
    assert statuses == [200] * 8


class HeaderEcho(BaseHTTPRequestHandler):
    """An upstream that answers with the request headers it got, as uncompressed JSON."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode() * 50
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def header_echo() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HeaderEcho)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_the_forwarding_headers_are_the_proxys_own(header_echo: int, tmp_path: Path) -> None:
    with nginx_in_front(tmp_path, [header_echo]) as front:
        response = httpx.get(
            f"{front}/api/data",
            headers={
                "X-Forwarded-For": CLIENT_CLAIMED_ADDRESS,
                "X-Forwarded-Proto": "https",
                "X-Request-ID": "chosen-by-the-client",
                "Accept-Encoding": "gzip",
            },
            timeout=30,
        )
    assert response.status_code == 200
    # Not compressed by nginx, though the client accepts gzip: compressing is the app's call.
    assert "content-encoding" not in response.headers
    seen = json.loads(response.text[: len(response.text) // 50])
    # Replaced, not appended to: the client's own claim does not reach the app.
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert len(seen["x-request-id"]) == 32 and seen["x-request-id"] != "chosen-by-the-client"
    assert seen["accept-encoding"] == "gzip"
    assert seen["host"] == "127.0.0.1"
    assert "connection" not in seen  # kept alive: nginx sends no "Connection: close"


def test_static_files_are_served_by_nginx_itself(tmp_path: Path) -> None:
    # No app server runs at all: only nginx can answer.
    with nginx_in_front(tmp_path, [free_port(), free_port()]) as front:
        response = httpx.get(f"{front}/ui/static/app.css?v=0.1.0", timeout=30)
        proxied = httpx.get(f"{front}/health", timeout=30)
    assert response.status_code == 200
    assert response.headers["x-served-by"] == "nginx"
    assert "max-age=" in response.headers["cache-control"]
    assert response.content == (packaged_static_dir() / "app.css").read_bytes()
    assert proxied.status_code == 502
