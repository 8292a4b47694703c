"""Server time of the dashboard's entries list at 50,000 entries: ``make bench-ui``.

Builds a fresh SQLite database in a temporary directory (``adda-dashboard migrate``, the bench
editor, then ``bench.bulk_seed`` for the entries), starts ``adda-dashboard serve --prod
--workers 2`` on 127.0.0.1, signs in through the sign-in form (the dashboard's cookie session),
and times ``GET /ui/entries`` one request after another:

- first page, no filters; one filter; a text search; the second page (the first page's "Next"
  cursor); and one filter as the htmx swap the filter form asks for;
- each after a warm-up, n=200 sequential requests, timed from sending to the last byte of the
  answer (on loopback, so nearly all of it is the server's);
- then the same pages right after a write, when every cached count and page is stale: the
  uncached path (fewer samples: each needs a write first).

Prints p50/p95/p99/max in ms and whether p95 < 200 ms, and saves the report as
``bench/results/ui-pages-<timestamp>.md`` and ``.json``. Every loop is bounded.

    .venv/bin/python bench/ui_pages.py [--entries 50000] [--requests 200] [--cold 15] [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from html import unescape
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from bench import datasets, systems  # noqa: E402
from bench.systems import BENCH_EMAIL, BENCH_PASSWORD  # noqa: E402

TARGET_P95_MS = 200.0
WARMUP = 20
RESULTS = REPO / "bench" / "results"
NEXT_LINK = re.compile(r'<a id="pager-next"[^>]*\shref="([^"]+)"')
ROW = re.compile(r'<tr id="entry-\d+"')
HTMX = {"HX-Request": "true", "HX-Current-URL": "/ui/entries"}
# (name, path or None for "the first page's next link", extra headers, held to the target)
SCENARIOS: list[tuple[str, str | None, dict[str, str], bool]] = [
    ("first page", "/ui/entries", {}, True),
    ("one filter", "/ui/entries?vertical=SSC", {}, True),
    ("search", "/ui/entries?q=maths", {}, False),
    ("page 2 (next cursor)", None, {}, False),
    ("one filter, htmx swap", "/ui/entries?vertical=SSC", HTMX, True),
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: the smallest sample with at least ``pct``% of the samples at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "p99_ms": round(percentile(samples, 99), 1),
        "max_ms": round(max(samples), 1),
    }


def build_database(workdir: Path, env: dict[str, str], entries: int) -> float:
    datasets.prepare_our_database(workdir, None, env)
    began = time.monotonic()
    args = ["-m", "bench.bulk_seed", "--entries", str(entries), "--seed", "7"]
    subprocess.run(
        [sys.executable, *args],
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - began


def sign_in(client: httpx.Client) -> str:
    """Through the form, as a browser does; returns an API token for the writes."""
    answer = client.post(
        "/ui/login", data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "next": "/ui/"}
    )
    if answer.status_code != 303 or "adda_session" not in client.cookies:
        raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:200]}")
    api = client.post("/api/auth/login", json={"email": BENCH_EMAIL, "password": BENCH_PASSWORD})
    return str(api.json()["token"])


def timed_get(client: httpx.Client, path: str, headers: dict[str, str]) -> tuple[float, str]:
    began = time.perf_counter()
    answer = client.get(path, headers=headers)
    body = answer.text
    elapsed = (time.perf_counter() - began) * 1000
    if answer.status_code != 200 or not ROW.search(body):
        raise RuntimeError(f"GET {path}: {answer.status_code}, no rows: {body[:300]}")
    return elapsed, body


def add_entry(client: httpx.Client, token: str, serial: int) -> None:
    """A write: bumps the dataset version, so every cached count and page is stale."""
    body = {
        "Sr no.": "1",
        "Email": BENCH_EMAIL,
        "Vertical Name": "SSC",
        "Exam Name": "All",
        "Subject": "Maths",
        "Type of Content": "Content",
        "Sub category": "Question",
        "Video Link": f"https://youtube.com/shorts/bench{serial:06d}",
        "Edit": "Final",
        "Editor Brief": "",
        "Final Edited Link": "",
        "VideoId": "",
    }
    answer = client.post("/api/add", json=body, headers={"Authorization": f"Bearer {token}"})
    if answer.status_code != 200:
        raise RuntimeError(f"write failed: {answer.status_code} {answer.text[:200]}")


def measure(base_url: str, requests: int, cold_rounds: int) -> list[dict[str, Any]]:
    rows = []
    with httpx.Client(base_url=base_url, timeout=60, follow_redirects=False) as client:
        token = sign_in(client)
        _, first = timed_get(client, "/ui/entries", {})
        found = NEXT_LINK.search(first)
        if not found:
            raise RuntimeError("the first page has no next link")
        next_path = unescape(found.group(1))
        for name, path, headers, held in SCENARIOS:
            path = path or next_path
            for _ in range(WARMUP):
                timed_get(client, path, headers)
            warm = [timed_get(client, path, headers)[0] for _ in range(requests)]
            cold = []
            for serial in range(cold_rounds):
                add_entry(client, token, len(rows) * 1000 + serial)
                cold.append(timed_get(client, path, headers)[0])
            row = {"name": name, "path": path, "held_to_target": held, "warm": summary(warm)}
            row["cold"] = summary(cold) if cold else None
            row["pass"] = row["warm"]["p95_ms"] < TARGET_P95_MS
            log(f"{name}: p95 {row['warm']['p95_ms']} ms (after a write: {row['cold']})")
            rows.append(row)
    return rows


def report(meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Dashboard entries list: server time",
        "",
        f"{meta['date']} · commit {meta['commit']} · {meta['cores']} cores ({meta['cpu']}) · "
        f"Python {meta['python']} · load {meta['load_before']} -> {meta['load_after']}",
        "",
        f"{meta['entries']:,} entries in SQLite (seeded in {meta['seed_s']:.1f} s), "
        f"`adda-dashboard serve --prod --workers 2` on 127.0.0.1, signed in with the dashboard's "
        f"cookie. n={meta['requests']} sequential requests per page after {WARMUP} warm-up "
        f"requests; then {meta['cold']} requests each right after a write (caches stale). "
        "Times in ms, sending to last byte, loopback.",
        "",
        "| page | p50 | p95 | p99 | max | p95 < 200 ms | after a write: p50 / p95 / max |",
        "|---|---:|---:|---:|---:|:---:|---:|",
    ]
    for row in rows:
        w, c = row["warm"], row["cold"]
        cold = f"{c['p50_ms']} / {c['p95_ms']} / {c['max_ms']}" if c else "-"
        verdict = ("PASS" if row["pass"] else "MISS") + ("" if row["held_to_target"] else " (info)")
        lines.append(
            f"| {row['name']} (`{row['path'][:60]}`) | {w['p50_ms']} | {w['p95_ms']} | "
            f"{w['p99_ms']} | {w['max_ms']} | {verdict} | {cold} |"
        )
    lines += [
        "",
        "Held to the target: the first page and one filter (full page and htmx swap). Search "
        "reads the text of every entry and is reported for information.",
    ]
    return "\n".join(lines)


def save(markdown: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    md_path = RESULTS / f"ui-pages-{stamp}.md"
    md_path.write_text(markdown + "\n", encoding="utf-8")
    json_text = json.dumps(data, indent=2, default=str) + "\n"
    (RESULTS / f"ui-pages-{stamp}.json").write_text(json_text, encoding="utf-8")
    return md_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--cold", type=int, default=15, help="requests right after a write")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="adda-bench-ui-"))
    meta: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "entries": args.entries,
        "requests": args.requests,
        "cold": args.cold,
        "load_before": "/".join(f"{v:.1f}" for v in os.getloadavg()),
    }
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True)
    meta["commit"] = commit.stdout.decode().strip() or "unknown"
    try:
        workdir = tmp / "ours"
        env = systems.our_env(workdir)
        log(f"building a database of {args.entries:,} entries in {workdir}")
        meta["seed_s"] = build_database(workdir, env, args.entries)
        log("starting adda-dashboard serve --prod --workers 2")
        with systems.our_server(workdir, env, workers=2) as server:
            rows = measure(server.base_url, args.requests, args.cold)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    meta["load_after"] = "/".join(f"{v:.1f}" for v in os.getloadavg())
    markdown = report(meta, rows)
    print(markdown)
    print(f"\nsaved {save(markdown, {'meta': meta, 'pages': rows})}")
    held = [row for row in rows if row["held_to_target"]]
    return 0 if all(row["pass"] for row in held) else 1


if __name__ == "__main__":
    sys.exit(main())
