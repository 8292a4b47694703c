"""The leaderboard rules of columns.md §5, over the stored entries.

Entries arrive in the legacy order (Final ones, then Re-edit ones, each by id), which stands for
"main tab first, then re-edit tab": first-seen order breaks every tie. Because this service keeps
Edit to exactly Final or Re-edit and stores emails lower-cased, the original's quirks (``'final'
in status``, unknown statuses, case-split contributors) cannot arise; exams and subjects are
returned sorted so the answer is deterministic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

EARNINGS_PER_VIDEO = 50
TOP_CONTRIBUTORS = 5


# A row as the tally needs it: (vertical, email, is Final, exam, subject), each stripped.
Prepared = tuple[str, str, bool, str, str]


def prepare(vertical: str, email: str, edit_status: str, exam: str, subject: str) -> Prepared:
    """The part of a row the leaderboard reads; done once per row, kept while the row is."""
    return (vertical.strip(), email.strip(), edit_status == "Final", exam.strip(), subject.strip())


def _top(tally: dict[str, int]) -> list[dict[str, Any]]:
    # sorted() is stable: equal counts keep the tally's order, which is first-seen order.
    ranked = sorted(tally.items(), key=lambda item: item[1], reverse=True)[:TOP_CONTRIBUTORS]
    return [
        {"email": email, "count": count, "earnings": count * EARNINGS_PER_VIDEO}
        for email, count in ranked
    ]


def compute(rows: Iterable[Any]) -> dict[str, Any]:
    """``rows`` have ``vertical``, ``email``, ``edit_status``, ``exam`` and ``subject``."""
    return compute_prepared(
        [prepare(r.vertical, r.email, r.edit_status, r.exam, r.subject) for r in rows]
    )


def compute_prepared(rows: Iterable[Prepared]) -> dict[str, Any]:
    """``compute`` over prepared rows. Each count is one pass of ``Counter`` (counted in C):
    this runs again after every write."""
    named = [row for row in rows if row[0]]
    totals = Counter([row[0] for row in named])  # its keys in first-seen order of verticals
    finals = Counter([row[0] for row in named if row[2]])
    # (vertical, is Final) -> email -> count, each email where first seen in that group.
    tallies: dict[tuple[str, bool], dict[str, int]] = {}
    for (vertical, is_final, email), count in Counter(
        [(row[0], row[2], row[1]) for row in named if row[1]]
    ).items():
        tallies.setdefault((vertical, is_final), {})[email] = count
    exams: dict[str, set[str]] = {}
    for vertical, exam in {(row[0], row[3]) for row in named if row[3]}:
        exams.setdefault(vertical, set()).add(exam)
    subjects: dict[str, set[str]] = {}
    for vertical, subject in {(row[0], row[4]) for row in named if row[4]}:
        subjects.setdefault(vertical, set()).add(subject)

    board = []
    for name, total in totals.items():
        vertical_exams = exams.get(name, set())
        vertical_subjects = subjects.get(name, set())
        board.append(
            {
                "name": name,
                "totalVideos": total,
                "finalVideos": finals[name],
                "reEditVideos": total - finals[name],
                "examsCount": len(vertical_exams),
                "subjectsCount": len(vertical_subjects),
                "exams": sorted(vertical_exams),
                "subjects": sorted(vertical_subjects),
                "topFinalContributors": _top(tallies.get((name, True), {})),
                "topReEditContributors": _top(tallies.get((name, False), {})),
            }
        )
    board.sort(key=lambda v: v["totalVideos"], reverse=True)
    summary = {
        "totalVerticals": len(board),
        "totalVideos": sum(v["totalVideos"] for v in board),
        "totalFinalVideos": sum(v["finalVideos"] for v in board),
        "totalReEditVideos": sum(v["reEditVideos"] for v in board),
    }
    return {"success": True, "leaderboard": board, "summary": summary}
