"""Prometheus metrics, aggregated over every worker process of a server.

prometheus-client decides at import time whether it runs in multiprocess mode, so it is imported
lazily here: the server master sets ``PROMETHEUS_MULTIPROC_DIR`` before any worker imports it.

Under the production server each worker writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode), so ``/metrics`` answers for
the whole server whichever worker serves it; in a single process the default registry is used.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

M = TypeVar("M")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Labelled(Generic[M]):
    """A metric family whose children are looked up once per label set.

    ``labels()`` validates and converts its values and takes a lock on every call; the request
    counters ask for the same few label sets on every request, so the children are kept.
    """

    def __init__(self, family: M) -> None:
        self.family = family
        self._children: dict[tuple[str, ...], M] = {}

    def labels(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self.family.labels(*values)  # type: ignore[attr-defined]
        return child

    def __getattr__(self, name: str) -> Any:
        return getattr(self.family, name)


@dataclass(frozen=True)
class Instruments:
    requests: Labelled[Counter]
    latency: Labelled[Histogram]
    cache_events: Labelled[Counter]
    job_outcomes: Counter
    queue_depth: Gauge
    sheet_pushes: Labelled[Counter]
    sheet_write_requests: Labelled[Counter]
    sheet_outbox_depth: Gauge
    sheet_outbox_oldest_age: Gauge


_CREATING = threading.Lock()


@cache
def instruments() -> Instruments:
    """Created once per process, on first use (never at import time). The first requests of a
    worker arrive on several threads at once, and registering a metric twice is an error: the
    first calls are serialized, later ones answer from the cache without the lock."""
    with _CREATING:
        return _instruments()


@cache
def _instruments() -> Instruments:
    from prometheus_client import Counter, Gauge, Histogram

    return Instruments(
        requests=Labelled(
            Counter(
                "adda_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
            )
        ),
        latency=Labelled(
            Histogram(
                "adda_http_request_duration_seconds",
                "Time to answer a request",
                ["method", "route"],
                buckets=LATENCY_BUCKETS,
            )
        ),
        cache_events=Labelled(
            Counter("adda_cache_events_total", "Snapshot cache lookups", ["name", "event"])
        ),
        job_outcomes=Counter("adda_job_outcomes_total", "Background job outcomes", ["outcome"]),
        queue_depth=Gauge(
            "adda_queue_depth", "Jobs waiting in the queue", multiprocess_mode="livemax"
        ),
        sheet_pushes=Labelled(
            Counter("adda_sheet_pushes_total", "Mirror batches pushed to the sheet", ["outcome"])
        ),
        sheet_write_requests=Labelled(
            Counter(
                "adda_sheet_write_requests_total",
                "Write requests sent to Google Sheets",
                ["method"],
            )
        ),
        sheet_outbox_depth=Gauge(
            "adda_sheet_outbox_depth", "Changes not yet in the sheet", multiprocess_mode="livemax"
        ),
        sheet_outbox_oldest_age=Gauge(
            "adda_sheet_outbox_oldest_age_seconds",
            "Age of the oldest change not yet in the sheet",
            multiprocess_mode="livemax",
        ),
    )


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def registry() -> CollectorRegistry:
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    if multiprocess_enabled():
        collecting = CollectorRegistry()
        multiprocess.MultiProcessCollector(collecting)
        return collecting
    return REGISTRY


def exposition() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(registry()), CONTENT_TYPE_LATEST


def sample_totals() -> dict[str, float]:
    """Sums over every worker: requests by outcome, cache events by kind."""
    totals = {
        "requests": 0.0,
        "successful": 0.0,
        "failed": 0.0,
        "cache_hit": 0.0,
        "cache_shared": 0.0,
        "cache_miss": 0.0,
    }
    for family in registry().collect():
        for sample in family.samples:
            if sample.name == "adda_http_requests_total":
                totals["requests"] += sample.value
                ok = int(sample.labels.get("status", "500")) < 400
                totals["successful" if ok else "failed"] += sample.value
            elif sample.name == "adda_cache_events_total":
                key = f"cache_{sample.labels.get('event')}"
                if key in totals:
                    totals[key] += sample.value
    return totals


def worker_exited(pid: int) -> None:
    """Called by the server master when a worker exits (multiprocess bookkeeping)."""
    if multiprocess_enabled():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
