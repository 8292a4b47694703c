"""The overview's counts over a hand-built dataset, on SQLite and PostgreSQL.

Every expected number below is counted by hand from the rows the test makes; deleted entries
must count nowhere, and a timestamp one second either side of a week's start must land on its
own side whatever time zone the database connection uses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text, update

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.models import Entry
from adda_dashboard.db.repositories import overview_queries
from adda_dashboard.domain.roles import SYSTEM
from adda_dashboard.services.entries import bump_dataset_version
from adda_dashboard.services.overview import OverviewService, first_week, week_start
from tests.factories import reedit_entry, valid_entry

D = "@adda247.com"
TODAY = date(2025, 3, 12)  # a Wednesday: its week starts on Monday 10 March
FIRST = date(2024, 12, 23)  # the Monday eleven weeks before that
LONG_AGO = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)  # outside the twelve weeks


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type]


def add(
    container: Container,
    who: str,
    *,
    vertical: str = "SSC",
    reedit: bool = False,
    info: bool = False,
) -> int:
    values: dict[str, Any] = {"Email": f"{who}{D}", "Vertical Name": vertical}
    if vertical == "Bank Pre":
        values.update({"Exam Name": "SBI PO", "Subject": "Quants"})
    if info:
        values.update({"Type of Content": "Exam_Information", "Sub category": "", "Subject": ""})
    body = reedit_entry(**values) if reedit else valid_entry(**values)
    return int(container.entries.add(SYSTEM, body)["id"])


@pytest.fixture
def dataset(container: Container) -> dict[str, int]:
    """16 live entries by 12 contributors in two verticals, plus one deleted entry."""
    ids = {
        "asha1": add(container, "asha"),
        "asha2": add(container, "asha"),
        "asha3": add(container, "asha", reedit=True),
        "bala1": add(container, "bala", vertical="Bank Pre"),
        "bala2": add(container, "bala", vertical="Bank Pre", reedit=True),
        "chen1": add(container, "chen"),
        "chen2": add(container, "chen", info=True),
        "dev_deleted": add(container, "dev"),
        "dev1": add(container, "dev", vertical="Bank Pre"),
    }
    for n in range(1, 9):
        ids[f"p0{n}"] = add(container, f"p0{n}")
    container.entries.delete(SYSTEM, ids["dev_deleted"])
    created = {
        "asha1": at(2025, 3, 12, 10, 0),  # this week
        "asha3": at(2025, 3, 10, 0, 0, 0),  # the very start of this week
        "chen1": at(2025, 3, 9, 23, 59, 59),  # the last second of the week before
        "bala1": at(2024, 12, 23, 0, 0, 0),  # the start of the first week shown
        "bala2": at(2024, 12, 22, 23, 59, 59),  # one second too early to be shown
        "dev_deleted": at(2025, 3, 11, 9, 0),  # this week, but deleted
        "p01": at(2025, 2, 5, 15, 30),  # week of 3 February
    }
    with container.db.write() as session:
        session.execute(update(Entry).values(created_at=LONG_AGO))
        for name, moment in created.items():
            session.execute(update(Entry).where(Entry.id == ids[name]).values(created_at=moment))
        bump_dataset_version(session)  # a change behind the services' back, made known
    return ids


def service_on(container: Container, today: date) -> OverviewService:
    return OverviewService(
        container.db, container.reports, container.snapshots, today=lambda: today
    )


def test_weeks_start_on_monday() -> None:
    assert week_start(TODAY) == date(2025, 3, 10)
    assert week_start(date(2025, 3, 10)) == date(2025, 3, 10)
    assert week_start(date(2025, 3, 16)) == date(2025, 3, 10)
    assert first_week(TODAY) == FIRST


def test_counts_by_status_vertical_and_content_type(
    container: Container, dataset: dict[str, int]
) -> None:
    summary = service_on(container, TODAY).summary()
    assert summary["totals"] == {"total": 16, "final": 14, "reedit": 2}
    assert summary["verticals"] == [
        {"name": "SSC", "total": 13, "final": 12, "reedit": 1},
        {"name": "Bank Pre", "total": 3, "final": 2, "reedit": 1},
    ]
    assert summary["content_types"] == [
        {"name": "Content", "total": 15, "final": 13, "reedit": 2},
        {"name": "Exam_Information", "total": 1, "final": 1, "reedit": 0},
    ]


def test_top_ten_contributors_rank_by_entries_then_first_entry(
    container: Container, dataset: dict[str, int]
) -> None:
    contributors = service_on(container, TODAY).summary()["contributors"]
    # bala and chen tie at 2: bala added first. dev has one live entry: counting the deleted
    # one would put dev second. Of the eight with one entry, the first six fill the ten.
    assert [c["email"] for c in contributors] == [
        f"{who}{D}"
        for who in ("asha", "bala", "chen", "dev", "p01", "p02", "p03", "p04", "p05", "p06")
    ]
    assert contributors[0] == {"email": f"asha{D}", "total": 3, "final": 2, "reedit": 1}
    assert contributors[1] == {"email": f"bala{D}", "total": 2, "final": 1, "reedit": 1}
    assert contributors[3] == {"email": f"dev{D}", "total": 1, "final": 1, "reedit": 0}


def test_twelve_weeks_with_empty_weeks_as_zero(
    container: Container, dataset: dict[str, int]
) -> None:
    weeks = service_on(container, TODAY).summary()["weeks"]
    assert len(weeks) == 12
    assert weeks[0]["start"] == "2024-12-23" and weeks[0]["label"] == "23 Dec"
    assert weeks[-1]["start"] == "2025-03-10" and weeks[-1]["label"] == "10 Mar"
    counts = [(w["final"], w["reedit"]) for w in weeks]
    expected = [(0, 0)] * 12
    expected[0] = (1, 0)  # bala1 at the first second; bala2 one second earlier is not shown
    expected[6] = (1, 0)  # p01, week of 3 February
    expected[10] = (1, 0)  # chen1, the last second of that week
    expected[11] = (1, 1)  # asha1 and asha3; the deleted entry of dev is not counted
    assert counts == expected
    assert all(w["total"] == w["final"] + w["reedit"] for w in weeks)


def test_days_are_utc_days_whatever_the_connection_time_zone(
    container: Container, dataset: dict[str, int]
) -> None:
    with container.db.read() as session:
        if not container.db.is_sqlite:
            # 23:59:59 UTC on Sunday is already Monday in India: the day must stay Sunday.
            session.execute(text("SET TIME ZONE 'Asia/Kolkata'"))
        days = overview_queries.daily_status_counts(session, at(2024, 12, 23))
    assert sorted(days) == [
        (date(2024, 12, 23), "Final", 1),
        (date(2025, 2, 5), "Final", 1),
        (date(2025, 3, 9), "Final", 1),
        (date(2025, 3, 10), "Re-edit", 1),
        (date(2025, 3, 12), "Final", 1),
    ]


def test_the_summary_follows_every_write(container: Container, dataset: dict[str, int]) -> None:
    service = container.overview
    assert service is not None
    before = service.summary()
    assert before["totals"]["total"] == 16
    assert service.summary() == before  # read again at the same version: the same answer
    add(container, "asha", vertical="Bank Pre")
    after = service.summary()
    assert after["totals"] == {"total": 17, "final": 15, "reedit": 2}
    assert after["weeks"][-1]["final"] == before["weeks"][-1]["final"] + 1  # added today
    container.entries.delete(SYSTEM, dataset["asha1"])
    assert service.summary()["totals"]["total"] == 16


def test_an_empty_dataset_gives_zeros(container: Container) -> None:
    summary = service_on(container, TODAY).summary()
    assert summary["totals"] == {"total": 0, "final": 0, "reedit": 0}
    assert summary["verticals"] == summary["content_types"] == summary["contributors"] == []
    assert [w["total"] for w in summary["weeks"]] == [0] * 12


def test_the_leaderboard_is_the_apis_answer(container: Container, dataset: dict[str, int]) -> None:
    service = container.overview
    assert service is not None
    board = service.leaderboard()
    assert board == container.reports.leaderboard()
    ssc = next(v for v in board["leaderboard"] if v["name"] == "SSC")
    assert ssc["topFinalContributors"][0] == {"email": f"asha{D}", "count": 2, "earnings": 100}
