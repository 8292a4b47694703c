"""Side-by-side benchmark of our production server and the seed baseline: ``make bench``.

Three loads, each bounded in time and sent only to 127.0.0.1: closed-loop ``wrk`` on the hot
reads, a browsing user journey at several user counts, and growth with the size of the data.
One report at the end: printed, and saved as ``bench/results/<timestamp>.md`` and ``.json``.

    python -m bench.run [--only closed,journey,growth] [--quick] [--pg] [--sheets-mirror]
                        [--nice N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import ceiling, datasets, report, systems
from bench.journey import JourneyConfig, run_journey, sign_in
from bench.systems import BENCH_EMAIL, BENCH_PASSWORD, Running, WorkerWatch
from bench.wrk import ensure_wrk, machine_ticks, raise_open_files, run_wrk

PHASES = ("closed", "journey", "growth")
CLOSED_PATHS = ("/api/data", "/api/filters")
DATASET_ROWS = 2000
MIRROR_USERS = 2000  # the journey level run again with the spreadsheet mirror on
FILTERED_URLS = {
    "1 filter": "/api/data?vertical=SSC&limit=50",
    "2 filters": "/api/data?vertical=SSC&content_type=Content&limit=50",
}


@dataclass
class Plan:
    """Durations and sizes; ``--quick`` shrinks them for a smoke run of the harness."""

    wrk_s: float = 8.0
    growth_wrk_s: float = 5.0
    warm_s: float = 1.0
    closed_connections: tuple[int, ...] = (64, 500)
    # The ceiling at 500 only, where the targets are: at 64 too it would add over a minute.
    ceiling_connections: tuple[int, ...] = (500,)
    journey_ours: tuple[int, ...] = (500, 2000, 5000)
    journey_baseline: tuple[int, ...] = (500,)
    journey_measure_s: float = 30.0
    journey_ramp_s: float = 5.0
    token_pool: int = 20
    growth_sizes: tuple[int, ...] = (1000, 10_000, 100_000)
    baseline_growth_sizes: tuple[int, ...] = (1000, 10_000)

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            wrk_s=3,
            growth_wrk_s=2,
            warm_s=1,
            journey_ours=(200, 1000),
            journey_baseline=(200,),
            journey_measure_s=8,
            journey_ramp_s=3,
            token_pool=4,
            growth_sizes=(500, 5000),
            baseline_growth_sizes=(500,),
        )


@dataclass
class Bench:
    plan: Plan
    phases: tuple[str, ...]
    tmp: Path
    with_pg: bool = False
    with_mirror: bool = False
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    dataset: Path | None = None
    template: Path | None = None
    pg: datasets.PostgresDatabases | None = None
    pools: dict[str, list[str]] = field(default_factory=dict)
    redis_prefixes: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    # Set-up ------------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Everything the loads need, built in parallel before any load starts."""
        jobs: dict[str, Callable[[], Any]] = {"seed venv": datasets.ensure_seed_venv}
        if "closed" in self.phases or "journey" in self.phases:
            jobs["2,000-entry dataset"] = self.prepare_main
        if "closed" in self.phases:
            jobs["nginx"] = ceiling.ensure_nginx
        if "growth" in self.phases:
            jobs["growth databases"] = self.prepare_growth
        began = time.monotonic()
        with ThreadPoolExecutor(len(jobs)) as pool:
            futures = {name: pool.submit(job) for name, job in jobs.items()}
            for name, future in futures.items():
                future.result()
                log(f"ready: {name} ({time.monotonic() - began:.0f}s)")

    def prepare_main(self) -> None:
        self.dataset = datasets.generate_dataset(DATASET_ROWS, self.tmp / "dataset.json")
        csv_file = self.tmp / "dataset.csv"
        rows = datasets.dataset_to_csv(self.dataset, csv_file)
        self.template = self.tmp / "template"
        began = time.monotonic()
        datasets.prepare_our_database(self.template, csv_file, self.env(self.template))
        self.results["setup"] = {
            "dataset_rows": rows,
            "our_prepare_s": round(time.monotonic() - began, 1),
        }
        if self.with_pg and "journey" in self.phases:
            self.pg = datasets.PostgresDatabases()
            url = self.pg.create("template")
            workdir = self.tmp / "pg-template"
            datasets.prepare_our_database(workdir, csv_file, self.pg_env(workdir, url))

    def prepare_growth(self) -> None:
        self.results["seeding"] = datasets.build_growth_databases(
            self.tmp, list(self.plan.growth_sizes), self.env
        )
        for size in self.plan.baseline_growth_sizes:
            datasets.generate_dataset(size, self.tmp / f"baseline-{size}.json")

    def env(self, workdir: Path) -> dict[str, str]:
        return systems.our_env(workdir, secret=self.secret)

    def pg_env(self, workdir: Path, url: str) -> dict[str, str]:
        env = systems.our_env(
            workdir, database_url=url, redis_url=datasets.REDIS_URL, secret=self.secret
        )
        self.redis_prefixes.append(env["ADDA_CACHE_PREFIX"])
        return env

    def our_copy(self, name: str) -> tuple[Path, dict[str, str]]:
        assert self.template is not None
        target = self.tmp / name
        datasets.copy_sqlite(self.template / "bench.db", target)
        return target, self.env(target)

    def tokens(self, kind: str, server: Running) -> list[str]:
        """A pool of tokens, signed in once per kind of database (argon2 is slow on purpose)
        and valid on every copy of that template, which shares the secret and the user."""
        if kind not in self.pools:
            body = {"email": BENCH_EMAIL}
            if kind != "baseline":
                body["password"] = BENCH_PASSWORD
            tokens, retries, seconds = sign_in(server.base_url, body, self.plan.token_pool)
            self.pools[kind] = tokens
            self.results.setdefault("sign_in", {})[kind] = {
                "tokens": len(tokens),
                "seconds": round(seconds, 1),
                "retries_after_5xx": retries,
            }
        return self.pools[kind]

    def close(self) -> None:
        if self.pg is not None:
            self.pg.close()
        for prefix in self.redis_prefixes:
            datasets.forget_redis_keys(prefix)

    # Loads -------------------------------------------------------------------------------------

    def wrk(
        self,
        server: Running,
        label: str,
        path: str,
        token: str,
        connections: int,
        seconds: float,
        gzip: bool = False,
    ) -> dict[str, Any]:
        with WorkerWatch(server) as watch:
            result = run_wrk(
                label,
                server.base_url + path,
                token=token,
                connections=connections,
                duration_s=seconds,
                gzip=gzip,
                server_pids=server.all_pids,
            )
        row = {**result.as_dict(), "workers_replaced": watch.replaced}
        log(
            f"  {label:<24} {path:<54} c={connections:<4} {'gzip' if gzip else 'identity':<8} "
            f"{result.rps:9.1f} req/s  p99 {result.p99_ms:8.1f} ms  errors "
            f"{result.error_count}  workers replaced {watch.replaced}"
            + (f"  FAILED: {result.failure}" if result.failure else "")
        )
        return row

    def warm(self, server: Running, token: str, paths: list[str]) -> None:
        for path in paths:
            run_wrk(
                "warm-up",
                server.base_url + path,
                token=token,
                connections=16,
                duration_s=self.plan.warm_s,
            )

    def closed(self) -> None:
        log("closed loop: wrk on GET /api/data and /api/filters, ours and the baseline in turn")
        assert self.dataset is not None
        workdir, env = self.our_copy("closed-ours")
        answers = self.tmp / "ceiling" / "answers"
        with (
            systems.our_server(workdir, env) as ours,
            systems.baseline_server(self.tmp / "closed-baseline", self.dataset) as base,
        ):
            our_token = self.tokens("ours", ours)[0]
            peers = [("ours", ours, our_token), ("baseline", base, base.login())]
            rows = self.closed_runs(peers, self.plan.closed_connections)
            sizes = ceiling.save_answers(ours.base_url, our_token, answers, CLOSED_PATHS)
        self.results["closed"] = rows
        self.closed_ceiling(answers, sizes, our_token)

    def closed_ceiling(self, answers: Path, sizes: dict[str, Any], token: str) -> None:
        """nginx and a do-nothing ASGI app serving the bytes ours answered, under the same wrk:
        how close ours comes to what this machine can do at all."""
        log("ceiling: the same answers from nginx and from a bare ASGI app, same wrk")
        workdir, ready = self.tmp / "ceiling", CLOSED_PATHS[-1]
        with (
            ceiling.nginx_server(workdir / "nginx", answers, ready) as nginx,
            ceiling.bare_asgi_server(workdir / "bare-asgi", answers, ready) as bare,
        ):
            peers = [("nginx", nginx, token), ("bare-asgi", bare, token)]
            rows = self.closed_runs(peers, self.plan.ceiling_connections)
        self.results["ceiling"] = {"answers": sizes, "rows": rows}

    def closed_runs(
        self, peers: list[tuple[str, Running, str]], connections: tuple[int, ...]
    ) -> list[dict[str, Any]]:
        """Every path, connection count and encoding, the peers loaded in turn (all of them up,
        one loaded at a time) after a short warm-up of each."""
        for _name, server, token in peers:
            self.warm(server, token, list(CLOSED_PATHS))
        rows = []
        for path in CLOSED_PATHS:
            for conns in connections:
                for gzip in (False, True):
                    for name, server, token in peers:
                        row = self.wrk(server, name, path, token, conns, self.plan.wrk_s, gzip)
                        rows.append({"system": name, "path": path, **row})
        return rows

    def journey_level(
        self, name: str, kind: str, starting: AbstractContextManager[Running], users: int
    ) -> None:
        plan = self.plan
        config = JourneyConfig(
            users=users, measure_s=plan.journey_measure_s, ramp_s=plan.journey_ramp_s
        )
        with starting as server:
            tokens = self.tokens(kind, server)[: min(users, plan.token_pool)]
            pids = server.all_pids()
            cpu_before = systems.cpu_seconds(pids)
            busy_before, total_before = machine_ticks()
            with WorkerWatch(server) as watch:
                result = run_journey(name, server.base_url, tokens, config)
            result.server_cpu_s = systems.cpu_seconds(server.all_pids() or pids) - cpu_before
            busy_after, total_after = machine_ticks()
            result.machine_busy_pct = (
                100 * (busy_after - busy_before) / max(1, total_after - total_before)
            )
            summary = result.summary()
            summary["worker_rss_mb"] = [round(mb, 1) for mb in server.worker_rss_mb()]
            summary["workers_replaced"] = watch.replaced
        log(
            f"  {name:<10} {users:>5} users {summary['rps']:7.1f} req/s  read p99 "
            f"{summary['reads']['p99_ms']:8.1f} ms  write p99 {summary['writes']['p99_ms']:8.1f}"
            f" ms  errors {summary['error_count']}  client lag p99 "
            f"{summary['client_lag_ms']['p99']:.1f} ms"
        )
        self.results.setdefault("journey", []).append({"system": name, **summary})

    def journey(self) -> None:
        log("user journey: browsing with 2-5 s think time, If-None-Match, 5% writes")
        assert self.dataset is not None
        for users in self.plan.journey_baseline:
            workdir = self.tmp / f"journey-baseline-{users}"
            self.journey_level(
                "baseline", "baseline", systems.baseline_server(workdir, self.dataset), users
            )
        for users in self.plan.journey_ours:
            workdir, env = self.our_copy(f"journey-ours-{users}")
            self.journey_level("ours", "ours", systems.our_server(workdir, env), users)
            if self.pg is not None:
                url = self.pg.create(f"j{users}", template="template")
                workdir = self.tmp / f"journey-ours-pg-{users}"
                started = systems.our_server(workdir, self.pg_env(workdir, url))
                self.journey_level("ours-pg", "ours-pg", started, users)
        if self.with_mirror:
            self.journey_mirrored(MIRROR_USERS)

    def journey_mirrored(self, users: int) -> None:
        """Ours with the spreadsheet mirror on, pushing to the local Sheets stand-in."""
        from bench import mirror

        workdir, env = self.our_copy(f"journey-mirror-{users}")
        with mirror.standin() as sheet:
            env = mirror.mirror_env(env, sheet, workdir)
            with mirror.queue_worker(workdir, env), systems.our_server(workdir, env) as server:
                self.journey_level("ours-mirror", "ours", nullcontext(server), users)
                drained = mirror.drain(server.base_url, sheet)
        self.results["sheets_mirror"] = drained
        self.notes.append(
            f"Mirror on at {users} users: outbox drained in {drained['drained_in_s']} s "
            f"({drained['pending_left']} left, last error {drained['last_push_error']}); rows in "
            f"the sheet {drained['rows_in_sheet']}; {drained['write_requests']} write requests, "
            f"at most {drained['most_writes_in_a_minute']} in a minute."
        )

    def growth(self) -> None:
        log("growth: filtered 50-row pages and worker memory by database size")
        rows: list[dict[str, Any]] = []
        for size in self.plan.growth_sizes:
            workdir = self.tmp / f"growth-{size}"
            with systems.our_server(workdir, self.env(workdir)) as ours:
                token = ours.login()
                urls = dict(FILTERED_URLS)
                if size in self.plan.baseline_growth_sizes:
                    urls["whole list"] = "/api/data"
                self.warm(ours, token, list(urls.values()))
                for query, path in urls.items():
                    row = self.wrk(
                        ours, f"ours {size:,} {query}", path, token, 64, self.plan.growth_wrk_s
                    )
                    rows.append(
                        {
                            "system": "ours",
                            "entries": size,
                            "query": query,
                            "path": path,
                            **row,
                            "worker_rss_mb": rounded(ours.worker_rss_mb()),
                        }
                    )
        for size in self.plan.baseline_growth_sizes:
            dataset = self.tmp / f"baseline-{size}.json"
            with systems.baseline_server(self.tmp / f"growth-baseline-{size}", dataset) as base:
                token = base.login()
                self.warm(base, token, ["/api/data"])
                row = self.wrk(
                    base,
                    f"baseline {size:,} whole list",
                    "/api/data",
                    token,
                    64,
                    self.plan.growth_wrk_s,
                )
                rows.append(
                    {
                        "system": "baseline",
                        "entries": size,
                        "query": "whole list",
                        "path": "/api/data",
                        **row,
                        "worker_rss_mb": rounded(base.worker_rss_mb()),
                    }
                )
        self.results["growth"] = rows


def rounded(values: list[float]) -> list[float]:
    return [round(value, 1) for value in values]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--only", default=",".join(PHASES), help=f"a subset of: {', '.join(PHASES)}")
    add("--quick", action="store_true", help="short runs, small sizes: checks the harness only")
    add("--pg", action="store_true", help="journey also on ours over PostgreSQL + Redis")
    add(
        "--sheets-mirror",
        action="store_true",
        help=f"journey also at {MIRROR_USERS} users with the spreadsheet mirror on (a stand-in)",
    )
    add(
        "--nice",
        type=int,
        default=0,
        metavar="N",
        help="run everything N steps of niceness above other work (root; shields the numbers "
        "from a busy machine, and slows that work)",
    )
    add("--keep", action="store_true", help="keep the temporary directory")
    add("--out", type=Path, default=systems.REPO / "bench" / "results")
    args = parser.parse_args(argv)
    asked = {part.strip() for part in args.only.split(",") if part.strip()}
    if not asked or asked - set(PHASES):
        parser.error(f"--only takes a subset of {', '.join(PHASES)}; got {args.only!r}")
    args.phases = tuple(phase for phase in PHASES if phase in asked)
    return args  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    began = time.time()
    ensure_wrk()  # before the machine's facts, which name wrk's version
    meta = report.machine_facts()
    meta.update(phases=list(args.phases), quick=args.quick, pg=args.pg, nice=args.nice,
                sheets_mirror=args.sheets_mirror,
                load_before=os.getloadavg())  # fmt: skip
    meta["client_boost"] = systems.set_priorities(args.nice)
    raise_open_files()
    tmp = Path(tempfile.mkdtemp(prefix="adda-bench-"))
    bench = Bench(plan, args.phases, tmp, with_pg=args.pg, with_mirror=args.sheets_mirror)
    log(f"working in {tmp}")
    try:
        bench.prepare()
        for phase in args.phases:
            getattr(bench, phase)()
    finally:
        bench.close()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    meta.update(load_after=os.getloadavg(), wall_s=round(time.time() - began, 1),
                plan=report.plain(plan), commit_after=report.commit())  # fmt: skip
    document = report.build(meta, bench.results, bench.notes)
    md_path, json_path = report.save(document, args.out)
    print(document["markdown"], flush=True)
    log(f"saved {md_path} and {json_path.name}; wall time {meta['wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
