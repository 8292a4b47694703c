"""The leaderboard rules of columns.md §5, over the stored entries.

Entries arrive in the legacy order (Final ones, then Re-edit ones, each by id), which stands for
"main tab first, then re-edit tab": first-seen order breaks every tie. Because this service keeps
Edit to exactly Final or Re-edit and stores emails lower-cased, the original's quirks (``'final'
in status``, unknown statuses, case-split contributors) cannot arise; exams and subjects are
returned sorted so the answer is deterministic.
"""

from __future__ import annotations

import heapq
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


class Tally:
    """The leaderboard's counts, kept up to date row by row.

    Each row comes with its place in the legacy order (any comparable value: an index, or
    ``(edit_status, id)``); first-seen order is the order of the lowest place of each vertical
    and of each contributor in a (vertical, status) group. Adding rows, in any order, keeps
    every count and lowest place exact. Removing the row that held a lowest place would need
    the rows behind it, which are not kept: the tally then says ``stale`` and is built anew.
    """

    def __init__(self) -> None:
        self.stale = False
        self._verticals: dict[str, list[Any]] = {}  # name -> [total, final, lowest place]
        self._exams: dict[str, Counter[str]] = {}
        self._subjects: dict[str, Counter[str]] = {}
        # (vertical, is Final) -> email -> [count, lowest place]
        self._contributors: dict[tuple[str, bool], dict[str, list[Any]]] = {}

    def add(self, place: Any, row: Prepared) -> None:
        vertical, email, is_final, exam, subject = row
        if not vertical:
            return
        held = self._verticals.get(vertical)
        if held is None:
            self._verticals[vertical] = [1, int(is_final), place]
        else:
            held[0] += 1
            held[1] += is_final
            if place < held[2]:
                held[2] = place
        if exam:
            self._exams.setdefault(vertical, Counter())[exam] += 1
        if subject:
            self._subjects.setdefault(vertical, Counter())[subject] += 1
        if email:
            group = self._contributors.setdefault((vertical, is_final), {})
            counted = group.get(email)
            if counted is None:
                group[email] = [1, place]
            else:
                counted[0] += 1
                if place < counted[1]:
                    counted[1] = place

    def remove(self, place: Any, row: Prepared) -> None:
        vertical, email, is_final, exam, subject = row
        if not vertical:
            return
        held = self._verticals[vertical]
        held[0] -= 1
        held[1] -= is_final
        if held[0] == 0:
            del self._verticals[vertical]
        elif place == held[2]:
            self.stale = True
        if exam:
            _discount(self._exams[vertical], exam)
        if subject:
            _discount(self._subjects[vertical], subject)
        if email:
            group = self._contributors[(vertical, is_final)]
            counted = group[email]
            counted[0] -= 1
            if counted[0] == 0:
                del group[email]
            elif place == counted[1]:
                self.stale = True

    def board(self) -> dict[str, Any]:
        """The leaderboard answer: verticals by total (ties in first-seen order), each with its
        top contributors per status (ties likewise), exams and subjects sorted."""
        ranked = sorted(self._verticals.items(), key=lambda item: (-item[1][0], item[1][2]))
        board = []
        for name, (total, final, _place) in ranked:
            exams = sorted(self._exams.get(name, ()))
            subjects = sorted(self._subjects.get(name, ()))
            board.append(
                {
                    "name": name,
                    "totalVideos": total,
                    "finalVideos": final,
                    "reEditVideos": total - final,
                    "examsCount": len(exams),
                    "subjectsCount": len(subjects),
                    "exams": exams,
                    "subjects": subjects,
                    "topFinalContributors": self._top(name, True),
                    "topReEditContributors": self._top(name, False),
                }
            )
        summary = {
            "totalVerticals": len(board),
            "totalVideos": sum(v["totalVideos"] for v in board),
            "totalFinalVideos": sum(v["finalVideos"] for v in board),
            "totalReEditVideos": sum(v["reEditVideos"] for v in board),
        }
        return {"success": True, "leaderboard": board, "summary": summary}

    def _top(self, vertical: str, is_final: bool) -> list[dict[str, Any]]:
        group = self._contributors.get((vertical, is_final), {})
        ranked = heapq.nsmallest(
            TOP_CONTRIBUTORS, group.items(), key=lambda item: (-item[1][0], item[1][1])
        )
        return [
            {"email": email, "count": count, "earnings": count * EARNINGS_PER_VIDEO}
            for email, (count, _place) in ranked
        ]


def _discount(counts: Counter[str], value: str) -> None:
    counts[value] -= 1
    if counts[value] == 0:
        del counts[value]


def compute(rows: Iterable[Any]) -> dict[str, Any]:
    """``rows`` have ``vertical``, ``email``, ``edit_status``, ``exam`` and ``subject``, in the
    legacy order."""
    tally = Tally()
    for place, r in enumerate(rows):
        tally.add(place, prepare(r.vertical, r.email, r.edit_status, r.exam, r.subject))
    return tally.board()
