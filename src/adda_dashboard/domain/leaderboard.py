"""The leaderboard rules of columns.md §5, over the stored entries.

Entries arrive in the legacy order (Final ones, then Re-edit ones, each by id), which stands for
"main tab first, then re-edit tab": first-seen order breaks every tie. Because this service keeps
Edit to exactly Final or Re-edit and stores emails lower-cased, the original's quirks (``'final'
in status``, unknown statuses, case-split contributors) cannot arise; exams and subjects are
returned sorted so the answer is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

EARNINGS_PER_VIDEO = 50
TOP_CONTRIBUTORS = 5


@dataclass
class _Vertical:
    name: str
    total: int = 0
    final: int = 0
    reedit: int = 0
    exams: set[str] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    final_by_email: dict[str, int] = field(default_factory=dict)
    reedit_by_email: dict[str, int] = field(default_factory=dict)


def _top(tally: dict[str, int]) -> list[dict[str, Any]]:
    ranked = sorted(tally.items(), key=lambda item: item[1], reverse=True)[:TOP_CONTRIBUTORS]
    return [
        {"email": email, "count": count, "earnings": count * EARNINGS_PER_VIDEO}
        for email, count in ranked
    ]


def compute(rows: Iterable[Any]) -> dict[str, Any]:
    """``rows`` have ``vertical``, ``email``, ``edit_status``, ``exam`` and ``subject``."""
    verticals: dict[str, _Vertical] = {}
    for row in rows:
        name = row.vertical.strip()
        if not name:
            continue
        bucket = verticals.get(name)
        if bucket is None:
            bucket = verticals[name] = _Vertical(name)
        bucket.total += 1
        email = row.email.strip()
        if row.edit_status == "Final":
            bucket.final += 1
            tally = bucket.final_by_email
        else:
            bucket.reedit += 1
            tally = bucket.reedit_by_email
        if email:
            tally[email] = tally.get(email, 0) + 1
        if row.exam.strip():
            bucket.exams.add(row.exam.strip())
        if row.subject.strip():
            bucket.subjects.add(row.subject.strip())

    board = [
        {
            "name": v.name,
            "totalVideos": v.total,
            "finalVideos": v.final,
            "reEditVideos": v.reedit,
            "examsCount": len(v.exams),
            "subjectsCount": len(v.subjects),
            "exams": sorted(v.exams),
            "subjects": sorted(v.subjects),
            "topFinalContributors": _top(v.final_by_email),
            "topReEditContributors": _top(v.reedit_by_email),
        }
        for v in verticals.values()
    ]
    board.sort(key=lambda v: v["totalVideos"], reverse=True)
    summary = {
        "totalVerticals": len(board),
        "totalVideos": sum(v["totalVideos"] for v in board),
        "totalFinalVideos": sum(v["finalVideos"] for v in board),
        "totalReEditVideos": sum(v["reEditVideos"] for v in board),
    }
    return {"success": True, "leaderboard": board, "summary": summary}
