"""The targets the report checks, each with PASS or MISS and by how much.

A throughput target is a ratio ours/baseline measured in the same run; a latency target is a
bar in milliseconds. "By how much" is the distance from the bar as a share of it: +20% on a
15x target means 18x was measured; -30% on a 100 ms bar means 130 ms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# (path, encoding is gzip, ours/baseline throughput at 500 connections), from the brief.
THROUGHPUT_BARS = (
    ("/api/data", False, 15.0),
    ("/api/data", True, 40.0),
    ("/api/filters", False, 10.0),
    ("/api/filters", True, 10.0),
)
DATA_P99_MS = 1000.0
JOURNEY_USERS = 5000
JOURNEY_READ_P99_MS = 100.0
PAGE_P99_MS = 50.0


def ms(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def ratio(ours: float, base: float) -> float | None:
    return ours / base if base > 0 else None


@dataclass(frozen=True)
class Target:
    target: str
    measured: str
    status: str  # PASS, MISS, or n/a when the load did not run
    margin: str
    context: str


def at_least(name: str, measured: float | None, bar: float, context: str) -> Target:
    if measured is None:
        return Target(name, "not run", "n/a", "", context)
    gap = (measured - bar) / bar
    status = "PASS" if measured >= bar else "MISS"
    return Target(name, f"{measured:.1f}x", status, f"{100 * gap:+.0f}% vs the bar", context)


def below(name: str, measured_ms: float | None, bar_ms: float, context: str) -> Target:
    if measured_ms is None:
        return Target(name, "not run", "n/a", "", context)
    gap = (bar_ms - measured_ms) / bar_ms
    status = "PASS" if measured_ms < bar_ms else "MISS"
    return Target(name, f"{ms(measured_ms)} ms", status, f"{100 * gap:+.0f}% vs the bar", context)


def no_errors(name: str, errors: int | None, context: str) -> Target:
    if errors is None:
        return Target(name, "not run", "n/a", "", context)
    return Target(name, f"{errors} errors", "PASS" if errors == 0 else "MISS",
                  "" if errors == 0 else f"{errors} too many", context)  # fmt: skip


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[Target] = []
    closed = {(r["system"], r["path"], r["connections"], r["gzip"]): r
              for r in results.get("closed", [])}  # fmt: skip
    for path, gzip, bar in THROUGHPUT_BARS:
        o = closed.get(("ours", path, 500, gzip))
        b = closed.get(("baseline", path, 500, gzip))
        enc = "gzip" if gzip else "identity"
        context = f"{o['rps']:,.0f} vs {b['rps']:,.1f} req/s" if o and b else ""
        name = f"GET {path}, 500 conns, {enc}: throughput >= {bar:.0f}x the baseline's"
        found.append(at_least(name, ratio(o["rps"], b["rps"]) if o and b else None,
                              bar, context))  # fmt: skip
        if path == "/api/data":
            context = f"baseline p99 {b['p99_ms'] / 1000:.1f} s" if b else ""
            name = f"GET {path}, 500 conns, {enc}: p99 < 1 s"
            found.append(below(name, o["p99_ms"] if o else None, DATA_P99_MS, context))
    journey = {(r["system"], r["users"]): r for r in results.get("journey", [])}
    ours_users = [users for system, users in journey if system == "ours"]
    users = JOURNEY_USERS if JOURNEY_USERS in ours_users else max(ours_users, default=None)
    j = journey.get(("ours", users)) if users else None
    base = next((r for (system, _), r in journey.items() if system == "baseline"), None)
    context = (f"baseline at {base['users']:,} users: read p99 {ms(base['reads']['p99_ms'])} ms,"
               f" {base['error_count']} errors") if base else ""  # fmt: skip
    label = f"{users or JOURNEY_USERS:,}"
    found.append(no_errors(f"Journey at {label} users: zero errors",
                           j["error_count"] if j else None, context))  # fmt: skip
    read_p99 = j["reads"]["p99_ms"] if j else None
    found.append(below(f"Journey at {label} users: read p99 < 100 ms", read_p99,
                       JOURNEY_READ_P99_MS, context))  # fmt: skip
    growth = [r for r in results.get("growth", []) if r["system"] == "ours"]
    biggest = max((r["entries"] for r in growth), default=100_000)
    for query in ("1 filter", "2 filters"):
        row = next((r for r in growth if r["entries"] == biggest and r["query"] == query), None)
        name = f"Filtered 50-row page ({query}) at {biggest:,} entries, 64 conns: p99 < 50 ms"
        found.append(below(name, row["p99_ms"] if row else None, PAGE_P99_MS,
                           f"{row['rps']:,.0f} req/s" if row else ""))  # fmt: skip
    return [asdict(target) for target in found]
