"""The leaderboard rules of columns.md §5 as a pure function, over a hand-built list of rows.

Rows arrive in the legacy order (Final ones, then Re-edit ones), which is what "first seen"
means for every tie. Every expected value below was counted by hand from ROWS.
"""

from __future__ import annotations

import random
from dataclasses import astuple, dataclass

from adda_dashboard.domain import leaderboard


@dataclass(frozen=True)
class Row:
    vertical: str
    email: str
    edit_status: str
    exam: str
    subject: str


def final(vertical: str, email: str, exam: str, subject: str) -> Row:
    return Row(vertical, email, "Final", exam, subject)


def reedit(vertical: str, email: str, exam: str, subject: str) -> Row:
    return Row(vertical, email, "Re-edit", exam, subject)


P = "@adda247.com"
ROWS = [
    final("Police", f"p1{P}", "UP Police", "Maths"),
    final("Police", f"p2{P}", "UP SI", "Reasoning"),
    final(" Police ", f"p3{P}", "UP Police", " Maths "),  # trimmed: same vertical and subject
    final("Police", f"p2{P}", "UP Homeguard", ""),  # an empty subject is not a subject
    final("Railway", f"r1{P}", "ALP", "Maths"),
    final("Police", f"p4{P}", "UP Police", "Hindi"),
    final("Police", f"p5{P}", "UP Police", "Hindi"),
    final("Police", f"p6{P}", "UP SI", "English"),
    final("Police", f"p7{P}", "UP SI", "English"),
    final("Police", f"p7{P}", "UP SI", "GK/GS"),
    final("  ", f"p1{P}", "UP SI", "Maths"),  # no vertical: ignored entirely
    final("Railway", "", "RPF", "Science"),  # counted, but credited to nobody
    final("Police", f" p3{P} ", "UP SI", "Maths"),  # trimmed: the same contributor
    reedit("SSC", f"s1{P}", "CGL", "Maths"),
    reedit("Railway", f"r1{P}", "ALP", "Maths"),
    reedit("SSC", f"s1{P}", "GD", "English"),
    reedit("Police", f"p1{P}", "UP Police", "Maths"),
    reedit("Railway", f"r2{P}", "", ""),
    reedit("Bihar", f"b1{P}", "BPSC AEDO", "Hindi"),
    reedit("Bihar", f"b1{P}", "BPSC AEDO", "Hindi"),
]


def contributor(email: str, count: int) -> dict[str, object]:
    return {"email": email, "count": count, "earnings": count * 50}


EXPECTED = {
    "success": True,
    "leaderboard": [
        {
            "name": "Police",
            "totalVideos": 11,
            "finalVideos": 10,
            "reEditVideos": 1,
            "examsCount": 3,
            "subjectsCount": 5,
            "exams": ["UP Homeguard", "UP Police", "UP SI"],
            "subjects": ["English", "GK/GS", "Hindi", "Maths", "Reasoning"],
            # p2, p3 and p7 tie at 2 and p1, p4, p5, p6 at 1: first seen wins; p5, p6 are cut.
            "topFinalContributors": [
                contributor(f"p2{P}", 2),
                contributor(f"p3{P}", 2),
                contributor(f"p7{P}", 2),
                contributor(f"p1{P}", 1),
                contributor(f"p4{P}", 1),
            ],
            "topReEditContributors": [contributor(f"p1{P}", 1)],
        },
        {
            "name": "Railway",
            "totalVideos": 4,
            "finalVideos": 2,
            "reEditVideos": 2,
            "examsCount": 2,
            "subjectsCount": 2,
            "exams": ["ALP", "RPF"],
            "subjects": ["Maths", "Science"],
            "topFinalContributors": [contributor(f"r1{P}", 1)],
            "topReEditContributors": [contributor(f"r1{P}", 1), contributor(f"r2{P}", 1)],
        },
        {  # ties with Bihar at 2 and was seen first
            "name": "SSC",
            "totalVideos": 2,
            "finalVideos": 0,
            "reEditVideos": 2,
            "examsCount": 2,
            "subjectsCount": 2,
            "exams": ["CGL", "GD"],
            "subjects": ["English", "Maths"],
            "topFinalContributors": [],
            "topReEditContributors": [contributor(f"s1{P}", 2)],
        },
        {
            "name": "Bihar",
            "totalVideos": 2,
            "finalVideos": 0,
            "reEditVideos": 2,
            "examsCount": 1,
            "subjectsCount": 1,
            "exams": ["BPSC AEDO"],
            "subjects": ["Hindi"],
            "topFinalContributors": [],
            "topReEditContributors": [contributor(f"b1{P}", 2)],
        },
    ],
    "summary": {
        "totalVerticals": 4,
        "totalVideos": 19,
        "totalFinalVideos": 12,
        "totalReEditVideos": 7,
    },
}


def test_hand_built_rows_give_the_hand_counted_leaderboard() -> None:
    assert leaderboard.compute(ROWS) == EXPECTED


def test_vertical_keys_are_in_the_order_the_frontend_reads() -> None:
    board = leaderboard.compute(ROWS)
    assert list(board) == ["success", "leaderboard", "summary"]
    assert list(board["leaderboard"][0]) == [
        "name",
        "totalVideos",
        "finalVideos",
        "reEditVideos",
        "examsCount",
        "subjectsCount",
        "exams",
        "subjects",
        "topFinalContributors",
        "topReEditContributors",
    ]


def test_no_rows_give_an_empty_board_with_zero_totals() -> None:
    assert leaderboard.compute([]) == {
        "success": True,
        "leaderboard": [],
        "summary": {
            "totalVerticals": 0,
            "totalVideos": 0,
            "totalFinalVideos": 0,
            "totalReEditVideos": 0,
        },
    }


def test_only_the_first_five_seen_survive_a_tie_at_the_cut() -> None:
    emails = [f"{name}{P}" for name in ("g", "f", "e", "d", "c", "b", "a")]
    rows = [final("SSC", email, "CGL", "Maths") for email in emails]
    board = leaderboard.compute(rows)["leaderboard"][0]
    assert board["topFinalContributors"] == [contributor(e, 1) for e in emails[:5]]
    assert board["finalVideos"] == 7


def test_a_later_higher_count_outranks_an_earlier_lower_one() -> None:
    rows = [
        final("SSC", f"early{P}", "CGL", "Maths"),
        final("SSC", f"late{P}", "CGL", "Maths"),
        final("SSC", f"late{P}", "CGL", "Maths"),
    ]
    top = leaderboard.compute(rows)["leaderboard"][0]["topFinalContributors"]
    assert top == [contributor(f"late{P}", 2), contributor(f"early{P}", 1)]


def test_final_and_reedit_tallies_are_kept_apart() -> None:
    rows = [
        final("SSC", f"same{P}", "CGL", "Maths"),
        reedit("SSC", f"same{P}", "CGL", "Maths"),
        reedit("SSC", f"same{P}", "CGL", "Maths"),
    ]
    board = leaderboard.compute(rows)["leaderboard"][0]
    assert board["topFinalContributors"] == [contributor(f"same{P}", 1)]
    assert board["topReEditContributors"] == [contributor(f"same{P}", 2)]
    assert (board["totalVideos"], board["finalVideos"], board["reEditVideos"]) == (3, 1, 2)


def test_exams_and_subjects_are_sorted_by_code_point() -> None:
    rows = [
        final("Teaching", f"t{P}", exam, subject)
        for exam, subject in (("LT Grade", "Hindi"), ("CTET", "English"), ("CTET", "EVS"))
    ]
    board = leaderboard.compute(rows)["leaderboard"][0]
    assert board["exams"] == ["CTET", "LT Grade"]
    assert board["subjects"] == ["EVS", "English", "Hindi"]  # 'V' sorts before 'n'


def test_a_tally_kept_row_by_row_equals_the_count_of_the_rows_left() -> None:
    """Rows added in any order and removed at random: the kept counts always give the answer
    of counting the rows that are left in the legacy order (rebuilt when they say stale)."""
    rng = random.Random(11)
    kinds = [final, reedit]
    rows = {
        place: rng.choice(kinds)(
            rng.choice(["SSC", "Banking", " Teaching ", ""]),
            rng.choice(["a@adda247.com", "b@adda247.com", "c@adda247.com", "", " d@x.com"]),
            rng.choice(["All", "CGL", ""]),
            rng.choice(["Maths", "GK", " "]),
        )
        for place in range(300)
    }
    tally = leaderboard.Tally()
    order = list(rows)
    rng.shuffle(order)
    kept: dict[int, Row] = {}
    for step, place in enumerate(order):
        row = rows[place]
        tally.add(place, leaderboard.prepare(*astuple(row)))
        kept[place] = row
        if step % 3 == 2:
            gone = rng.choice(list(kept))
            tally.remove(gone, leaderboard.prepare(*astuple(kept.pop(gone))))
        if tally.stale:
            tally = leaderboard.Tally()
            for at, left in kept.items():
                tally.add(at, leaderboard.prepare(*astuple(left)))
        assert tally.board() == leaderboard.compute(kept[p] for p in sorted(kept))
