"""The data both systems serve, built before any load starts.

One dataset for both: the seed's own generator writes the two sheet tabs as JSON (the baseline
reads that file); the same rows, converted to one CSV with the sheet's headers, go into our
database through our own import. Our databases are prepared once per dataset with our CLI and
copied for every run. The growth databases are seeded with ``seed-demo`` (timed) and then with
``bench.bulk_seed``. PostgreSQL databases (``--pg``) are cloned from a template database.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.systems import BENCH_EMAIL, BENCH_PASSWORD, OUR_CLI, REPO, SEED_DIR, SEED_VENV

SEED_PACKAGES = ("flask==3.1.3", "gunicorn==27.0.1", "pyjwt==2.15.1")
MAIN_COLUMNS = (
    "Sr no.",
    "Email",
    "Vertical Name",
    "Exam Name",
    "Subject",
    "Type of Content",
    "Sub category",
    "Video Link",
    "Edit",
    "Editor Brief",
    "Final Edited Link",
    "VideoId",
)
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def ensure_seed_venv(venv: Path = SEED_VENV) -> Path:
    """The baseline's own virtualenv with its three pinned packages; reused when present."""
    stamp = venv / ".bench-stamp"
    wanted = " ".join(SEED_PACKAGES)
    if stamp.exists() and stamp.read_text() == wanted and (venv / "bin" / "gunicorn").exists():
        return venv
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--disable-pip-version-check", *SEED_PACKAGES], check=True)
    stamp.write_text(wanted)
    return venv


def generate_dataset(rows: int, out: Path, seed: int = 42) -> Path:
    """The seed's own generator, run in place from the shared folder, writing under ``out``."""
    script = str(SEED_DIR / "gen_dataset.py")
    args = ["--rows", str(rows), "--seed", str(seed), "--out", str(out)]
    subprocess.run([sys.executable, script, *args], check=True, stdout=subprocess.DEVNULL)
    return out


def dataset_to_csv(dataset: Path, out: Path) -> int:
    """Both tabs as one CSV with the main tab's twelve headers, in serial order.

    Re-edit rows lack the two editor columns; they are left blank. Their ``Edit`` stays
    ``Re-edit``, which is what puts them on the re-edit list of ours, as the tab did.
    """
    tabs = json.loads(dataset.read_text(encoding="utf-8"))
    rows = sorted(tabs["main"] + tabs["reedit"], key=lambda r: int(r["Sr no."]))
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MAIN_COLUMNS)
        for row in rows:
            writer.writerow([row.get(column, "") for column in MAIN_COLUMNS])
    return len(rows)


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [str(OUR_CLI), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"adda-dashboard {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare_our_database(workdir: Path, csv_file: Path | None, env: dict[str, str]) -> None:
    """Migrate, import the file (when given) and create the bench editor, with our own CLI."""
    workdir.mkdir(parents=True, exist_ok=True)
    run_cli(["migrate"], env, workdir)
    if csv_file is not None:
        run_cli(["import", str(csv_file)], env, workdir)
    user = ["user", "create", "--email", BENCH_EMAIL, "--role", "editor"]
    run_cli([*user, "--password", BENCH_PASSWORD], env, workdir)


def copy_sqlite(template: Path, target_dir: Path) -> None:
    """A private copy of a prepared SQLite database (with its WAL, if one was left)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copy2(source, target_dir / f"bench.db{suffix}")


def build_growth_databases(
    tmp: Path, sizes: list[int], env_for: Callable[[Path], dict[str, str]]
) -> list[dict[str, Any]]:
    """``tmp/growth-<size>/bench.db`` for each size, each grown from a copy of the previous one.

    The smallest is seeded through ``adda-dashboard seed-demo`` (entry by entry through the
    service, timed so the report shows its rate); the rest through ``bench.bulk_seed``.
    Returns one timing row per step.
    """
    sizes = sorted(sizes)
    first = tmp / f"growth-{sizes[0]}"
    prepare_our_database(first, None, env_for(first))
    began = time.monotonic()
    run_cli(["seed-demo", "--entries", str(sizes[0]), "--seed", "1"], env_for(first), first)
    steps = [timing(sizes[0], "adda-dashboard seed-demo", time.monotonic() - began)]
    previous, had = first, sizes[0]
    for seed, size in enumerate(sizes[1:], start=2):
        target = tmp / f"growth-{size}"
        copy_sqlite(previous / "bench.db", target)
        began = time.monotonic()
        env = {**env_for(target), "PYTHONPATH": str(REPO)}
        args = ["-m", "bench.bulk_seed", "--entries", str(size - had), "--seed", str(seed)]
        subprocess.run(
            [sys.executable, *args], env=env, cwd=target, check=True, stdout=subprocess.DEVNULL
        )
        steps.append(
            timing(size - had, "bench.bulk_seed (multi-row INSERT)", time.monotonic() - began)
        )
        previous, had = target, size
    return steps


def timing(entries: int, path: str, seconds: float) -> dict[str, Any]:
    """One seeding step; the seconds include starting the process and opening the database."""
    return {"entries": entries, "path": path, "seconds": seconds, "per_second": entries / seconds}


# PostgreSQL + Redis (--pg) ---------------------------------------------------------------------


class PostgresDatabases:
    """Databases named ``adda_bench_<hex>_<name>`` on the local server, dropped on close."""

    def __init__(self, admin_url: str = PG_ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.run_id = uuid.uuid4().hex[:8]
        self.created: list[str] = []

    def url(self, name: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/adda_bench_{self.run_id}_{name}"

    def _execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self, name: str, template: str | None = None) -> str:
        db = f"adda_bench_{self.run_id}_{name}"
        suffix = f" TEMPLATE adda_bench_{self.run_id}_{template}" if template else ""
        self._execute(f'CREATE DATABASE "{db}"{suffix}')
        self.created.append(db)
        return self.url(name)

    def close(self) -> None:
        for db in reversed(self.created):
            self._execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        self.created.clear()


def forget_redis_keys(prefix: str, url: str = REDIS_URL) -> int:
    """Delete the keys a run wrote under its own prefix, and only those."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        client.close()
