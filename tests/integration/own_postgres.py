"""A PostgreSQL cluster of a test's own, on a free loopback port, to stop and start at will.

The shared server (``ADDA_TEST_POSTGRES_URL``) serves every other test and must never be
stopped; fault drills run here instead. The cluster lives in a temporary folder owned by the
``postgres`` user (PostgreSQL refuses to run as root) and is stopped and deleted at the end,
whatever the test did. Without PostgreSQL's programs the test is skipped loudly, except under
CI, where that is an error.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.integration.live_servers import free_port

START_TIMEOUT_S = 60
DATABASE = "adda"


def postgres_programs() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` folder, if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts[-3])
    return found[-1].parent if found else None


def require_programs() -> Path:
    programs = postgres_programs()
    if programs is not None:
        return programs
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL's programs (initdb, pg_ctl) are required under CI")
    message = "PostgreSQL's programs NOT FOUND, the database fault drill is SKIPPED"
    print(f"\n!!! {message} !!!\n", file=sys.stderr)
    pytest.skip(message)


class OwnCluster:
    def __init__(self, programs: Path, root: Path, port: int) -> None:
        self.programs = programs
        self.root = root
        self.port = port
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.running = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.programs / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT_S)
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} {args[:2]} failed:\n{done.stderr}\n{log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False

    def create_database(self) -> None:
        admin_url = self.url.rsplit("/", 1)[0] + "/postgres"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        admin.dispose()


@contextmanager
def own_cluster() -> Iterator[OwnCluster]:
    """A started cluster with an empty database ``adda``; stopped and deleted afterwards."""
    programs = require_programs()
    root = Path(tempfile.mkdtemp(prefix="adda-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = OwnCluster(programs, root, free_port())
    try:
        cluster.init()
        cluster.start()
        cluster.create_database()
        yield cluster
    finally:
        if cluster.running or (cluster.data / "postmaster.pid").exists():
            try:
                cluster.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(f"\n!!! the test's PostgreSQL did not stop: {exc} !!!\n", file=sys.stderr)
                _kill_postmaster(cluster.data)
        shutil.rmtree(root, ignore_errors=True)


def _kill_postmaster(data: Path) -> None:
    """The last resort: the postmaster this cluster started, by the pid it wrote."""
    try:
        pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass
