"""The benchmark's one report: machine facts, a table per load, the targets with PASS/MISS.

Built from the plain results dict the run collects; printed as Markdown and saved with the raw
numbers as JSON, so two runs can be compared later without re-running anything. Besides
latency and throughput every row carries the server's CPU time per request, how busy the
whole machine was and how many workers the server replaced: the coarse profile that tells a
slow server from a starved or restarting one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.systems import REPO
from bench.targets import THROUGHPUT_BARS, ms, ratio, targets

LAG_WARN_MS = 50.0  # a client loop this late is itself adding latency
BUSY_WARN_PCT = 95.0
# The systems of a ceiling row, in its columns' order.
CEILING_PEERS = ("nginx", "bare-asgi", "ours", "baseline")


def plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def commit() -> str:
    return git("rev-parse", "--short", "HEAD")


def machine_facts() -> dict[str, Any]:
    def first(path: str, prefix: str) -> str:
        lines = Path(path).read_text().splitlines()
        return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(prefix)), "?")

    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    wrk_text = (wrk.stdout or wrk.stderr or "?").splitlines()[0]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "commit": commit(),
        "tree_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "cores": os.cpu_count(),
        "cpu_model": first("/proc/cpuinfo", "model name"),
        "memory_gib": round(int(first("/proc/meminfo", "MemTotal").split()[0]) / 1024**2, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_text.split(" Copyright")[0],
    }


def triple(row: dict[str, Any]) -> str:
    return f"{ms(row['p50_ms'])} / {ms(row['p95_ms'])} / {ms(row['p99_ms'])}"


def fmt_ratio(value: float | None) -> str:
    return f"{value:.1f}x" if value is not None else "n/a"


def cpu_per_request(row: dict[str, Any]) -> str:
    return f"{1000 * row['server_cpu_s'] / row['requests']:.2f}" if row["requests"] else "-"


def cpu_ratio(ours: dict[str, Any] | None, base: dict[str, Any] | None) -> str:
    """How many times the baseline's CPU per request ours needs: on a busy machine a steadier
    measure of efficiency than requests/s, which also depends on the share of CPU each got."""
    if not ours or not base or not ours["requests"] or not base["requests"]:
        return "-"
    per_request = ours["server_cpu_s"] / ours["requests"]
    return fmt_ratio(base["server_cpu_s"] / base["requests"] / per_request) if per_request else "-"


def both(ours: dict[str, Any] | None, base: dict[str, Any] | None, show: Any) -> str:
    return f"{show(ours) if ours else '-'} / {show(base) if base else '-'}"


def table(header: str, rows: list[list[str]]) -> list[str]:
    names = [name.strip() for name in header.split("|")]
    return [
        "| " + " | ".join(names) + " |",
        "|" + "---|" * len(names),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


def closed_section(rows: list[dict[str, Any]]) -> list[str]:
    pairs: dict[tuple[str, int, bool], dict[str, dict[str, Any]]] = {}
    for row in rows:
        pairs.setdefault((row["path"], row["connections"], row["gzip"]), {})[row["system"]] = row
    body = []
    for (path, conns, gzip), by in pairs.items():
        o, b = by.get("ours"), by.get("baseline")
        body.append([
            path, str(conns), "gzip" if gzip else "identity",
            both(o, b, lambda r: f"{r['rps']:,.1f}"),
            fmt_ratio(ratio(o["rps"], b["rps"])) if o and b else "-",
            triple(o) if o else "-", triple(b) if b else "-",
            both(o, b, lambda r: str(r["error_count"])),
            both(o, b, lambda r: f"{r['bytes_per_request'] / 1024:,.0f}"),
            both(o, b, cpu_per_request), cpu_ratio(o, b),
            both(o, b, lambda r: str(r["workers_replaced"])),
            f"{max(r['machine_busy_pct'] for r in by.values()):.0f}",
        ])  # fmt: skip
    header = (
        "endpoint | conns | encoding | req/s ours / base | ours/base | ours p50/p95/p99 ms | "
        "base p50/p95/p99 ms | errors ours / base | KiB/resp ours / base | "
        "server CPU ms/req ours / base | CPU/req base÷ours | workers replaced ours / base | "
        "machine busy %"
    )
    return ["## 1. Closed loop (wrk, 2 threads, --timeout 30s)", "", *table(header, body)]


def share(part: dict[str, Any] | None, whole: dict[str, Any] | None) -> str:
    """``part``'s req/s as a percentage of ``whole``'s."""
    if not part or not whole or not whole["rps"]:
        return "-"
    return f"{100 * part['rps'] / whole['rps']:.0f}%"


def target_bar(path: str, conns: int, gzip: bool) -> float | None:
    """The ours/baseline throughput bar for this configuration (targets are at 500 only)."""
    bars = (bar for p, g, bar in THROUGHPUT_BARS if (p, g, 500) == (path, gzip, conns))
    return next(bars, None)


def ceiling_row(
    runs: dict[tuple[str, str, int, bool], dict[str, Any]], path: str, conns: int, gzip: bool
) -> tuple[list[str], str | None]:
    """One row of the ceiling table, and a warning when the target's rate is above what
    nginx or the bare ASGI app reached."""
    n, a, o, b = (runs.get((name, path, conns, gzip)) for name in CEILING_PEERS)
    bar = target_bar(path, conns, gzip)
    need = {"rps": bar * b["rps"]} if bar and b else None
    enc = "gzip" if gzip else "identity"
    row = [
        path, str(conns), enc,
        " / ".join(f"{r['rps']:,.0f}" if r else "-" for r in (n, a, o)),
        f"{share(o, n)} / {share(o, a)}",
        f"{bar:.0f}x × {b['rps']:,.1f} = {need['rps']:,.0f}" if need and b else "-",
        f"{share(need, n)} / {share(need, a)}",
        " / ".join(cpu_per_request(r) if r else "-" for r in (n, a, o)),
        " / ".join(str(r["error_count"]) if r else "-" for r in (n, a)),
        f"{max(r['machine_busy_pct'] for r in (n, a) if r):.0f}" if n or a else "-",
    ]  # fmt: skip
    beaten = [name for name, r in (("nginx", n), ("bare ASGI", a)) if need and r
              and need["rps"] > r["rps"]]  # fmt: skip
    warning = (
        f"GET {path} {enc} at {conns} connections: the target asks {need['rps']:,.0f} req/s, "
        f"more than {' and '.join(beaten)} served with the same bytes on this machine."
        if need and beaten
        else None
    )
    return row, warning


def ceiling_section(ceiling: dict[str, Any], closed: list[dict[str, Any]]) -> list[str]:
    rows = [*closed, *ceiling["rows"]]
    runs = {(r["system"], r["path"], r["connections"], r["gzip"]): r for r in rows}
    configs = dict.fromkeys((r["path"], r["connections"], r["gzip"]) for r in ceiling["rows"])
    built = [ceiling_row(runs, *config) for config in configs]
    header = (
        "endpoint | conns | encoding | req/s nginx / bare ASGI / ours | ours % of nginx / bare | "
        "target req/s (bar × base) | target % of nginx / bare | "
        "server CPU ms/req nginx / bare / ours | errors nginx / bare | machine busy %"
    )
    sizes = ", ".join(
        f"`{path}` {s['identity_bytes'] / 1024:,.1f} KiB, "
        + (f"gzip {s['gzip_bytes'] / 1024:,.1f} KiB" if s["gzip_bytes"] else "never gzipped")
        for path, s in ceiling.get("answers", {}).items()
    )
    intro = (
        "nginx (2 workers, sendfile, pre-compressed files) and a bare ASGI app (Gunicorn + our "
        f"Uvicorn worker, 2 workers) answering the bytes ours answered ({sizes}), loaded by the "
        "same wrk in the same run: what this machine reaches at all with wrk on the same cores."
    )
    lines = ["### Ceiling (same bytes, same wrk)", "", intro, ""]
    lines += table(header, [row for row, _ in built])
    warnings = [f"- {warning}" for _row, warning in built if warning]
    return lines + warnings + ([""] if warnings else [])


def journey_section(rows: list[dict[str, Any]]) -> list[str]:
    body = []
    for r in rows:
        not_modified = sum(n for key, n in r["statuses"].items() if key.endswith(" 304"))
        reads = r["reads"]["count"]
        body.append([
            r["system"], f"{r['users']:,}", str(r["tokens"]), f"{r['rps']:,.1f}",
            f"{r['writes_per_s']:.1f}",
            triple(r["reads"]), triple(r["writes"]), str(r["error_count"]),
            f"{100 * not_modified / reads:.0f}%" if reads else "-",
            f"{ms(r['client_lag_ms']['p99'])} / {ms(r['client_lag_ms']['max'])}",
            f"{r['client_cpu_pct']:.0f}",
            f"{100 * r['server_cpu_s'] / r['measure_s']:.0f}" if r["measure_s"] else "-",
            f"{1000 * r['server_cpu_s'] / max(1, r['requests']):.1f}",
            str(r.get("workers_replaced", "-")), f"{r['machine_busy_pct']:.0f}",
            ", ".join(f"{mb:.0f}" for mb in r.get("worker_rss_mb", [])),
        ])  # fmt: skip
    header = (
        "system | users | tokens | req/s | writes/s | read p50/p95/p99 ms | write p50/p95/p99 ms | "
        "errors | reads 304 | client lag p99/max ms | client CPU % | server CPU % of a core | "
        "server CPU ms/req | workers replaced | machine busy % | worker RSS MB"
    )
    title = "## 2. User journey (2-5 s think time, 5% writes, If-None-Match, gzip, 15 s timeout)"
    lines = [title, ""]
    lines += table(header, body)
    base = {r["users"]: r for r in rows if r["system"] == "baseline"}
    for r in rows:
        b = base.get(r["users"]) if r["system"] != "baseline" else None
        if b and r["reads"]["p99_ms"]:
            lines += [
                f"At {r['users']:,} users, {r['system']} vs baseline: read p99 "
                f"{ms(r['reads']['p99_ms'])} vs {ms(b['reads']['p99_ms'])} ms, throughput "
                f"{r['rps']:.1f} vs {b['rps']:.1f} req/s (ours/base "
                f"{fmt_ratio(ratio(r['rps'], b['rps']))}), errors {r['error_count']} vs "
                f"{b['error_count']}.",
                "",
            ]
    errors = {f"{r['system']} {r['users']}": r["errors"] for r in rows if r["errors"]}
    if errors:
        lines += [f"Errors by request and cause: `{json.dumps(errors)}`", ""]
    return lines


def growth_section(rows: list[dict[str, Any]], seeding: list[dict[str, Any]]) -> list[str]:
    base = {(r["entries"], r["query"]): r for r in rows if r["system"] == "baseline"}
    body = []
    for r in rows:
        peer = base.get((r["entries"], r["query"])) if r["system"] == "ours" else None
        body.append([
            r["system"], f"{r['entries']:,}", f"{r['query']}: `{r['path']}`",
            f"{r['rps']:,.1f}", triple(r), str(r["error_count"]),
            f"{r['bytes_per_request'] / 1024:,.1f}", cpu_per_request(r),
            ", ".join(f"{mb:.0f}" for mb in r["worker_rss_mb"]),
            fmt_ratio(ratio(r["rps"], peer["rps"])) if peer else "",
        ])  # fmt: skip
    header = (
        "system | entries | query | req/s | p50/p95/p99 ms | errors | KiB/resp | "
        "server CPU ms/req | worker RSS MB | ours/base req/s"
    )
    lines = ["## 3. Growth with data (wrk, 64 connections, identity)", "", *table(header, body)]
    if seeding:
        lines += ["Seeding our databases (seconds include starting the process):", ""]
        lines += table(
            "entries added | path | seconds | entries/s",
            [[f"{s['entries']:,}", s["path"], f"{s['seconds']:.1f}", f"{s['per_second']:,.0f}"]
             for s in seeding],
        )  # fmt: skip
    return lines


def notes_for(meta: dict[str, Any], results: dict[str, Any]) -> list[str]:
    notes = []
    before, after = meta["load_before"], meta["load_after"]
    if max(before[0], after[0]) > (meta["cores"] or 1):
        notes.append(
            f"The machine was shared: load average {before[0]:.1f} before and {after[0]:.1f} "
            f"after on {meta['cores']} cores. Absolute numbers are noisy; ours and the baseline "
            "ran in turn, configuration by configuration, under the same noise."
        )
    busy = [r["machine_busy_pct"] for r in results.get("closed", [])]
    if busy and min(busy) >= BUSY_WARN_PCT:
        notes.append(
            f"Every closed-loop run saw the CPUs at least {min(busy):.0f}% busy: the servers "
            "competed with wrk and with other work on the machine."
        )
    for r in results.get("journey", []):
        if r["client_lag_ms"]["p99"] > LAG_WARN_MS:
            notes.append(
                f"Journey {r['system']} {r['users']:,} users: the client's event loop lagged "
                f"{ms(r['client_lag_ms']['p99'])} ms at p99 (client CPU "
                f"{r['client_cpu_pct']:.0f}% of a core); its latencies include that delay."
            )
    for r in results.get("journey", []):
        if r.get("users_cut_off"):
            notes.append(
                f"Journey {r['system']} {r['users']:,} users: {r['users_cut_off']} users were "
                "still busy well after the end (a request past its timeout) and were cut off."
            )
        reads = r["reads"]["count"]
        fresh = sum(n for key, n in r["statuses"].items() if key.endswith(" 304"))
        if r["system"] != "baseline" and r["writes_per_s"] and reads and fresh < reads / 2:
            notes.append(
                f"Journey {r['system']} {r['users']:,} users: {r['writes_per_s']:.1f} writes/s, "
                f"and each changes the dataset version, so every cached answer and ETag goes "
                f"stale: only {100 * fresh / reads:.0f}% of reads were answered 304 and the rest "
                "waited for answers rebuilt after a write."
            )
    for kind, sign in results.get("sign_in", {}).items():
        notes.append(
            f"Journey tokens ({kind}): {sign['tokens']} sign-ins of the bench account in "
            f"{sign['seconds']} s, shared round-robin by the simulated users (one sign-in per "
            f"user would cost an argon2 hash each); {sign['retries_after_5xx']} sign-in(s) "
            "answered 5xx and were tried once more."
        )
    replaced = [r for r in results.get("closed", []) if r["workers_replaced"]]
    if replaced:
        notes.append(
            "Workers were replaced during "
            + ", ".join(
                f"{r['system']} {r['path']} c={r['connections']}"
                f"{' gzip' if r['gzip'] else ''} ({r['workers_replaced']})"
                for r in replaced
            )
            + ": Gunicorn's max_requests recycling; connections open on a recycled worker "
            "are closed (wrk counts them as read errors) and a new worker boots meanwhile."
        )
    return notes


def build(meta: dict[str, Any], results: dict[str, Any], extra_notes: list[str]) -> dict[str, Any]:
    found = targets(results)
    dirty = " (working tree has changes)" if meta["tree_dirty"] else ""
    options = ", ".join(
        flag for flag, on in (("quick", meta["quick"]), ("pg", meta["pg"])) if on
    ) + (f", nice -{meta['nice']}" if meta["nice"] else "")
    lines = [
        f"# Benchmark: ours vs the seed baseline ({meta['date']})",
        "",
        f"- commit {meta['commit']}{dirty}"
        + (
            f", {meta['commit_after']} by the end (the code changed during the run)"
            if meta.get("commit_after", meta["commit"]) != meta["commit"]
            else ""
        )
        + f"; phases {', '.join(meta['phases'])}"
        + (f" ({options.strip(', ')})" if options else ""),
        f"- {meta['cores']} cores, {meta['cpu_model']}, {meta['memory_gib']} GiB, "
        f"kernel {meta['kernel']}, Python {meta['python']}, {meta['wrk']}",
        f"- load average (1/5/15 min) before {fmt_load(meta['load_before'])}, after "
        f"{fmt_load(meta['load_after'])}; wall time {meta['wall_s']:.0f} s"
        + (
            f"; the journey client ran {meta['client_boost']} steps of niceness above the servers"
            if meta.get("client_boost") and "journey" in meta["phases"]
            else ""
        ),
        "",
    ]
    if results.get("closed"):
        lines += closed_section(results["closed"])
    if results.get("ceiling"):
        lines += ceiling_section(results["ceiling"], results.get("closed", []))
    if results.get("journey"):
        lines += journey_section(results["journey"])
    if results.get("growth"):
        lines += growth_section(results["growth"], results.get("seeding", []))
    rows = [[t["target"], t["measured"], t["status"], t["margin"], t["context"]] for t in found]
    lines += ["## Targets", "", *table("target | measured | status | margin | context", rows)]
    notes = notes_for(meta, results) + extra_notes
    if notes:
        lines += ["## Notes", "", *(f"- {note}" for note in notes), ""]
    return {"meta": meta, "results": results, "targets": found, "notes": notes,
            "markdown": "\n".join(lines)}  # fmt: skip


def fmt_load(load: Any) -> str:
    return "/".join(f"{value:.1f}" for value in load)


def save(document: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    md_path, json_path = out_dir / f"{stamp}.md", out_dir / f"{stamp}.json"
    md_path.write_text(document["markdown"] + "\n", encoding="utf-8")
    data = {key: value for key, value in document.items() if key != "markdown"}
    json_path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return md_path, json_path
