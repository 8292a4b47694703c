"""The cheap rebuilds of the hot reads give the very bytes of the full computation, whatever
happened to the rows in between, on both backends: ``GET /api/data``, the leaderboard and the
filters from each process's copy of the live entries, which reads only the rows changed since."""

from __future__ import annotations

import gzip
import random
from collections import namedtuple
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.models import Entry
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain import leaderboard
from adda_dashboard.domain.roles import SYSTEM
from adda_dashboard.services.demo import demo_record
from adda_dashboard.services.entries import bump_dataset_version
from adda_dashboard.services.live_entries import LiveEntries
from tests.factories import reedit_entry, valid_entry


def _full(container: Container) -> bytes:
    """What the list serialized to before: every row read, shaped and serialized."""
    return orjson.dumps(container.entries.legacy_list())


def _rebuilt(container: Container) -> bytes:
    return b"".join(container.entries.legacy_list_pieces().parts)


def _seed(container: Container, count: int) -> list[dict[str, Any]]:
    added = []
    for i in range(count):
        email = f"maker{i % 4}@adda247.com"
        if i % 3 == 0:
            brief = f'Cut the intro — take {i} "quoted" ✓'
            body = reedit_entry(**{"Email": email, "Editor Brief": brief})
        else:
            video = f"vid{i:08d}"
            link = f"https://youtube.com/shorts/{video}"
            body = valid_entry(**{"Email": email, "Video Link": link, "VideoId": video})
        added.append(container.entries.add(SYSTEM, body))
    return added


@pytest.fixture
def reads_of_changed_rows(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The ids each rebuild read, one list per read of changed rows."""
    reads: list[list[int]] = []
    original = entries_repo.rows_changed_since

    def recording(engine: Any, version: int) -> list[tuple[Any, ...]]:
        rows = original(engine, version)
        reads.append(sorted(row[0] for row in rows))
        return rows

    monkeypatch.setattr(entries_repo, "rows_changed_since", recording)
    return reads


def test_an_empty_list_is_the_same_bytes(container: Container) -> None:
    assert _rebuilt(container) == _full(container)
    assert orjson.loads(_rebuilt(container))["count"] == 0


def test_rebuilds_after_adds_updates_deletes_and_restores_match_the_full_computation(
    container: Container, reads_of_changed_rows: list[list[int]]
) -> None:
    rows = _seed(container, 24)
    assert _rebuilt(container) == _full(container)  # the first build reads everything at once

    reads_of_changed_rows.clear()
    container.entries.update(SYSTEM, rows[1]["id"], {"Editor Brief": "now with a brief"})
    assert _rebuilt(container) == _full(container)
    assert reads_of_changed_rows == [[rows[1]["id"]]], "only the changed row is read"

    # Final -> Re-edit moves the row to the other half of the list and changes its columns.
    to_reedit = {k: v for k, v in reedit_entry().items() if k not in ("Email", "Sr no.")}
    container.entries.update(SYSTEM, rows[2]["id"], to_reedit)
    # Re-edit -> Final the other way round.
    video = "zyxwvutsrqp"
    container.entries.update(
        SYSTEM,
        rows[3]["id"],
        {"Edit": "Final", "Video Link": f"https://youtube.com/shorts/{video}", "VideoId": video},
    )
    container.entries.delete(SYSTEM, rows[4]["id"])
    container.entries.delete(SYSTEM, rows[6]["id"])
    assert _rebuilt(container) == _full(container)
    body = orjson.loads(_rebuilt(container))
    assert body["count"] == 22
    assert body["finalCount"] + body["reEditCount"] == 22
    assert rows[4]["id"] not in {r["id"] for r in body["data"]}

    container.entries.restore(SYSTEM, rows[4]["id"])
    extra = container.entries.add(
        SYSTEM, reedit_entry(**{"Email": "late@adda247.com", "Editor Brief": "late"})
    )
    assert _rebuilt(container) == _full(container)
    ids = {r["id"] for r in orjson.loads(_rebuilt(container))["data"]}
    assert rows[4]["id"] in ids and extra["id"] in ids and rows[6]["id"] not in ids

    reads_of_changed_rows.clear()
    assert _rebuilt(container) == _full(container)
    assert reads_of_changed_rows == [], "the version did not move: no rows read"


def test_a_row_changed_between_the_two_reads_is_served_as_it_is_now(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _seed(container, 12)
    _rebuilt(container)
    container.entries.update(SYSTEM, rows[1]["id"], {"Editor Brief": "first"})
    original = entries_repo.rows_changed_since

    def racing(engine: Any, version: int) -> list[tuple[Any, ...]]:
        monkeypatch.setattr(entries_repo, "rows_changed_since", original)
        container.entries.update(SYSTEM, rows[1]["id"], {"Editor Brief": "second"})
        container.entries.update(SYSTEM, rows[2]["id"], {"Editor Brief": "third"})
        return original(engine, version)

    monkeypatch.setattr(entries_repo, "rows_changed_since", racing)
    rebuilt = _rebuilt(container)
    assert rebuilt == _full(container)
    brief = {r["id"]: r.get("Editor Brief") for r in orjson.loads(rebuilt)["data"]}
    assert brief[rows[1]["id"]] == "second"
    # Written after the counter was read, so read again next time: still the same answer.
    assert _rebuilt(container) == _full(container)
    container.entries.update(SYSTEM, rows[3]["id"], {"Editor Brief": "fourth"})
    assert _rebuilt(container) == _full(container)


def test_a_change_made_behind_the_services_back_is_seen_after_clearing_the_caches(
    container: Container,
) -> None:
    """Only rows stamped by a write are read again; clearing the caches re-stamps them all."""
    rows = _seed(container, 5)
    _rebuilt(container)
    with container.db.write() as session:
        session.execute(
            update(Entry).where(Entry.id == rows[1]["id"]).values(editor_brief="behind")
        )
        bump_dataset_version(session)
    assert _rebuilt(container) != _full(container)
    container.operations.clear_caches(SYSTEM)
    assert _rebuilt(container) == _full(container)


def test_a_full_read_at_least_every_period(container: Container) -> None:
    rows = _seed(container, 4)
    live = LiveEntries(container.versions.reads, full_read_every_s=0)
    live.leaderboard()
    with container.db.write() as session:
        session.execute(update(Entry).where(Entry.id == rows[1]["id"]).values(exam="Behind"))
    vertical = rows[1]["Vertical Name"]
    board = {v["name"]: v for v in live.leaderboard()["leaderboard"]}
    assert "Behind" in board[vertical]["exams"]


def test_the_gzip_of_the_list_is_the_list(container: Container) -> None:
    """The gzip assembled from kept pieces decompresses to the served bytes after each write."""
    rows = _seed(container, 300)
    for entry in rows[::50]:
        container.entries.update(SYSTEM, entry["id"], {"Editor Brief": "changed"})
        snapshot = container.snapshots.get("data", container.entries.legacy_list_pieces)
        assert snapshot.body == _full(container)
        assert gzip.decompress(snapshot.gzip_body) == snapshot.body


def test_a_table_emptied_and_filled_again_is_not_served_from_kept_records(
    container: Container, database_url: str
) -> None:
    from tests.backends import reset

    _seed(container, 6)
    before = _rebuilt(container)
    reset(database_url)  # ids restart at 1 with version 1
    _seed(container, 3)
    container.entries.update(SYSTEM, 2, {"Editor Brief": "different"})
    assert _rebuilt(container) == _full(container)
    assert _rebuilt(container) != before


def test_the_served_list_is_the_full_computation_after_each_write(
    client: TestClient, container: Container, editor: dict[str, str]
) -> None:
    rows = _seed(container, 9)
    for step, entry in enumerate(rows[:4]):
        if step % 2:
            container.entries.delete(SYSTEM, entry["id"])
        else:
            container.entries.update(SYSTEM, entry["id"], {"Editor Brief": f"step {step}"})
        response = client.get("/api/data", headers=editor)
        assert response.status_code == 200
        assert response.content == _full(container)


# The leaderboard and the filters read less than the whole listing; the answers stay the same.


def _leaderboard_as_before(container: Container) -> dict[str, Any]:
    """Every column of every live row in the legacy order, walked by the domain rules."""
    fields = namedtuple("_Row", entries_repo.LISTING_ATTRIBUTES)  # type: ignore[misc]
    rows = entries_repo.listing_tuples(container.db.engine)
    return leaderboard.compute(map(fields._make, rows))


def _filters_as_before(container: Container) -> dict[str, Any]:
    """One DISTINCT read per column, through the ORM."""

    def distinct_values(column: Any) -> list[str]:
        stmt = (
            select(column)
            .distinct()
            .where(Entry.deleted_at.is_(None), Entry.edit_status == "Final", column != "")
        )
        return sorted(v for (v,) in session.execute(stmt))

    with container.db.read() as session:
        return {
            "success": True,
            "filters": {
                "types": distinct_values(Entry.content_type),
                "subcategories": distinct_values(Entry.sub_category),
                "subjects": distinct_values(Entry.subject),
            },
        }


def _same_reports(container: Container) -> None:
    assert orjson.dumps(container.reports.leaderboard()) == orjson.dumps(
        _leaderboard_as_before(container)
    )
    assert orjson.dumps(container.reports.filters()) == orjson.dumps(_filters_as_before(container))


def test_leaderboard_and_filters_equal_the_full_walk_through_writes(container: Container) -> None:
    rng = random.Random(5)
    team = [f"member{i}@adda247.com" for i in range(4)]  # few people: many tied counts
    _same_reports(container)
    added = [
        container.entries.add(SYSTEM, demo_record(rng, container.taxonomy, team)) for _ in range(90)
    ]
    board = container.reports.leaderboard()
    assert board["summary"]["totalVideos"] == 90
    assert board["summary"]["totalReEditVideos"] > 0
    _same_reports(container)
    for entry in added[1::9]:
        container.entries.update(SYSTEM, entry["id"], {"Email": team[0]})
    for entry in added[::7]:
        container.entries.delete(SYSTEM, entry["id"])
    container.entries.restore(SYSTEM, added[0]["id"])
    _same_reports(container)
    for entry in added[1::2]:
        if added.index(entry) % 7:
            container.entries.delete(SYSTEM, entry["id"])
    _same_reports(container)
