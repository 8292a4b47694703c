"""The numbers of the dashboard's overview and leaderboard pages.

The overview is a handful of grouped counts over the live entries (by status, vertical, content
type, week and contributor), computed by the database and kept as a snapshot per dataset
version: any write makes the next request count again, and reads between writes cost nothing.
The leaderboard is the API's own answer (``GET /api/leaderboard``), read from the same snapshot,
so the page and the API can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import overview_queries as queries
from adda_dashboard.domain.columns import EditStatus
from adda_dashboard.services.reports import ReportService
from adda_dashboard.services.snapshots import SnapshotCache

WEEKS = 12
TOP_CONTRIBUTORS = 10
LEADERBOARD_SNAPSHOT = "leaderboard"  # the name the API caches its answer under
# Week labels in English whatever the server's locale (``%b`` would follow it).
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (ISO weeks, in UTC like every stored timestamp)."""
    return day - timedelta(days=day.weekday())


def first_week(today: date, weeks: int = WEEKS) -> date:
    """The Monday that opens the last ``weeks`` weeks, the current one included."""
    return week_start(today) - timedelta(weeks=weeks - 1)


def _split(total: int, final: int) -> dict[str, int]:
    return {"total": total, "final": final, "reedit": total - final}


def _ranked(pairs: Iterable[tuple[str, int, int]]) -> list[dict[str, Any]]:
    """(name, total, final) added up per name, most entries first, then by name: sorted here
    so both databases give one order."""
    sums: dict[str, list[int]] = {}
    for name, total, final in pairs:
        tally = sums.setdefault(name, [0, 0])
        tally[0] += total
        tally[1] += final
    items = [{"name": name, **_split(total, final)} for name, (total, final) in sums.items()]
    items.sort(key=lambda item: (-item["total"], item["name"]))
    return items


def _weeks(first: date, daily: Iterable[tuple[date, str, int]]) -> list[dict[str, Any]]:
    """Twelve weekly buckets from ``first``, empty weeks included as zeros."""
    buckets = [
        {"start": (first + timedelta(weeks=i)).isoformat(), "final": 0, "reedit": 0}
        for i in range(WEEKS)
    ]
    for day, status, count in daily:
        index = (day - first).days // 7
        if 0 <= index < WEEKS:
            key = "final" if status == EditStatus.final else "reedit"
            buckets[index][key] += count
    for bucket in buckets:
        start = date.fromisoformat(bucket["start"])
        bucket["label"] = f"{start.day} {MONTHS[start.month - 1]}"
        bucket["total"] = bucket["final"] + bucket["reedit"]
    return buckets


class OverviewService:
    def __init__(
        self,
        db: Database,
        reports: ReportService,
        snapshots: SnapshotCache,
        *,
        today: Callable[[], date] | None = None,
    ) -> None:
        self._db = db
        self._reports = reports
        self._snapshots = snapshots
        self._today = today or (lambda: utcnow().date())

    def summary(self) -> dict[str, Any]:
        """The overview's numbers at the current dataset version.

        The snapshot's name carries the first week shown, so a new week starts a new answer
        even when nothing was written.
        """
        first = first_week(self._today())
        snapshot = self._snapshots.get(f"overview-{first.isoformat()}", lambda: self.count(first))
        return orjson.loads(snapshot.body)

    def count(self, first: date) -> dict[str, Any]:
        """Every count of the overview, straight from the database (no cache)."""
        since = datetime.combine(first, time.min, tzinfo=UTC)
        with self._db.read() as session:
            pairs = queries.counts_by_vertical_and_type(session)
            daily = queries.daily_status_counts(session, since)
            contributors = queries.top_contributors(session, TOP_CONTRIBUTORS)
        total = sum(count for _v, _t, count, _f in pairs)
        final = sum(finals for _v, _t, _c, finals in pairs)
        return {
            "totals": _split(total, final),
            "verticals": _ranked((v, count, finals) for v, _t, count, finals in pairs),
            "content_types": _ranked((t, count, finals) for _v, t, count, finals in pairs),
            "weeks": _weeks(first, daily),
            "contributors": [
                {"email": email, **_split(count, finals)} for email, count, finals in contributors
            ],
        }

    def leaderboard(self) -> dict[str, Any]:
        """Exactly the answer of ``GET /api/leaderboard``, from the snapshot the API serves."""
        snapshot = self._snapshots.get(LEADERBOARD_SNAPSHOT, self._reports.leaderboard)
        return orjson.loads(snapshot.body)
