"""Real servers in their own OS processes, for behaviour that only shows across processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

SECRET = "live-server-secret-" + "y" * 32
STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADDA_")}
    env.update(
        ADDA_DATABASE_URL=database_url,
        ADDA_VAR_DIR=str(var_dir),
        ADDA_JWT_SECRET=SECRET,
        ADDA_ENVIRONMENT="test",
        ADDA_MIGRATE_ON_START="false",
        ADDA_LOG_LEVEL="WARNING",
        ADDA_RATE_LIMITS_ENABLED="false",
        ADDA_ACCESS_LOG=str(var_dir / "access.log"),
        ADDA_ERROR_LOG=str(var_dir / "error.log"),
    )
    env.update(extra)
    return env


@contextmanager
def live_server(
    env: dict[str, str], *, workers: int | None = None, server: str | None = None
) -> Iterator[str]:
    """``adda-dashboard serve`` (``--prod`` when ``workers`` is given, on ``server`` when given)
    on a free port."""
    port = free_port()
    env = {**env, "ADDA_PID_FILE": str(Path(env["ADDA_VAR_DIR"]) / f"server-{port}.pid")}
    command = [sys.executable, "-m", "adda_dashboard", "serve", "--port", str(port)]
    if workers is not None:
        command += ["--prod", "--workers", str(workers)]
    if server is not None:
        command += ["--server", server]
    log_path = Path(env["ADDA_VAR_DIR"]) / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, log_path)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``adda-dashboard worker`` in its own OS process (killed at the end if still running)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "adda_dashboard", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def wait_until_up(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not start in {STARTUP_TIMEOUT_S}s:\n{log_path.read_text()}")


def login(base: str, email: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{base}/api/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def prepare_database(database_url: str, var_dir: Path, admin_email: str) -> None:
    """An emptied, ready database with one admin, for servers started afterwards."""
    from adda_dashboard.bootstrap import bootstrap
    from adda_dashboard.domain.roles import Role
    from tests.backends import reset
    from tests.conftest import make_settings
    from tests.factories import PASSWORD

    reset(database_url)
    container = bootstrap(make_settings(database_url, var_dir), run_migrations=False)
    container.taxonomy.load_packaged()
    container.users.create(email=admin_email, role=Role.admin, password=PASSWORD)
    container.close()
