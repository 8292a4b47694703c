"""Several OS processes, each with its own app, write to one database at once through HTTP.

Afterwards the database must hold exactly what the acknowledged writes imply: every acknowledged
add once, every refused write nowhere, each row equal to its acknowledged updates replayed in
version order, deletes on their target only, one audit record per write, and no server error.
"""

from __future__ import annotations

import multiprocessing
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container
from adda_dashboard.db.models import AuditRecord, Entry
from adda_dashboard.db.repositories.entries import ENTRY_COLUMNS
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.entry_rules import EDITABLE_COLUMNS
from adda_dashboard.domain.records import to_columns
from adda_dashboard.domain.roles import Actor, Role
from tests import factories
from tests.factories import PASSWORD
from tests.integration.concurrency_worker import (
    WorkerPlan,
    new_entry,
    read_log,
    run_worker,
    token,
)

PROCESSES = 4
OPERATIONS = 2000
HOT_ROWS = 60
SEED = 20240607
PROCESS_TIMEOUT_S = 150
MARKER = re.compile(r"w\d+s\d{4}")

ALLOWED_STATUSES = {
    "add": {200},
    "update_versioned_body": {200, 404, 409},
    "update_versioned_header": {200, 404, 412},
    "update_stale_body": {404, 409},
    "update_stale_header": {404, 412},
    "update_legacy_partial": {200, 404},
    "update_legacy_full": {200, 404},
    "delete": {200, 404},
    "delete_versioned": {200, 404, 412},
    "read": {200, 404},
}


def columns(values: dict[str, Any]) -> dict[str, Any]:
    return {col: values[col] for col in EDITABLE_COLUMNS if col in values}


def prepare(container: Container, tmp_path: Path) -> tuple[list[dict[str, Any]], list[WorkerPlan]]:
    """Users for every process and a pool of rows that all processes fight over."""
    user = container.users.create(
        email="setup.admin@adda247.com", role=Role.admin, password=PASSWORD
    )
    actor = Actor(user_id=user.id, email=user.email, role=Role.admin)
    hot = []
    for i in range(1, HOT_ROWS + 1):
        marker = token(0, i)
        data = container.entries.add(actor, new_entry(marker))
        hot.append(
            {
                "kind": "add",
                "status": 200,
                "marker": marker,
                "actor": user.email,
                "id": data["id"],
                "data": data,
            }
        )
    settings = container.settings
    assert settings.jwt_secret is not None
    shared = {
        "database_url": settings.effective_database_url,
        "var_dir": str(settings.var_dir),
        "environment": "test",
        "jwt_secret": settings.jwt_secret.get_secret_value(),
        "db_pool_size": 2,
        "log_level": "WARNING",
        "rate_limits_enabled": False,  # this test measures correctness, not request budgets
    }
    plans = []
    for index in range(1, PROCESSES + 1):
        admin = factories.make_user(container, Role.admin, f"admin{index}@adda247.com")
        contributor = factories.make_user(
            container, Role.contributor, f"contributor{index}@adda247.com"
        )
        plans.append(
            WorkerPlan(
                index=index,
                settings=shared,
                admin_email=admin,
                contributor_email=contributor,
                hot_ids=[h["id"] for h in hot],
                operations=OPERATIONS // PROCESSES,
                seed=SEED + index,
                log_path=str(tmp_path / f"worker{index}.jsonl"),
            )
        )
    return hot, plans


def run_processes(plans: list[WorkerPlan]) -> float:
    """Start every process together; fail if one hangs or dies."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(plans))
    processes = [ctx.Process(target=run_worker, args=(plan, barrier)) for plan in plans]
    started = time.perf_counter()
    for process in processes:
        process.start()
    deadline = started + PROCESS_TIMEOUT_S
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.perf_counter()))
    hung = [p for p in processes if p.is_alive()]
    for process in hung:
        process.terminate()
        process.join(5)
    assert not hung, f"{len(hung)} writer process(es) still running after {PROCESS_TIMEOUT_S}s"
    assert [p.exitcode for p in processes] == [0] * len(processes)
    return time.perf_counter() - started


@pytest.mark.slow
def test_concurrent_writers_leave_exactly_the_acknowledged_state(
    container: Container, tmp_path: Path
) -> None:
    hot, plans = prepare(container, tmp_path)
    seconds = run_processes(plans)
    logs = [line for plan in plans for line in read_log(Path(plan.log_path))]
    writes = [line for line in logs if line["kind"] not in ("read", "done")]
    assert len(writes) == OPERATIONS
    assert len({(w["worker"], w["seq"]) for w in writes}) == OPERATIONS

    statuses = Counter((line["kind"], line["status"]) for line in logs if "status" in line)
    print(
        f"\n[{container.db.engine.dialect.name}] {OPERATIONS} writes by {PROCESSES} processes "
        f"in {seconds:.1f}s; outcomes: {dict(sorted(statuses.items()))}"
    )
    server_errors = [line for line in logs if line.get("status", 0) >= 500]
    assert server_errors == []
    unexpected = [
        line
        for line in logs
        if "status" in line and line["status"] not in ALLOWED_STATUSES[line["kind"]]
    ]
    assert unexpected == []
    refused_versions = [w for w in writes if w["status"] in (409, 412)]
    assert all(w["field"] == "version" for w in refused_versions)

    with container.db.read() as session:
        stored = session.execute(select(*ENTRY_COLUMNS, Entry.deleted_at)).all()
        audits = session.execute(
            select(
                AuditRecord.entity,
                AuditRecord.entity_id,
                AuditRecord.action,
                AuditRecord.changes,
                AuditRecord.actor_email,
            ).order_by(AuditRecord.id)
        ).all()
    rows = {row.id: row for row in stored}

    adds = check_adds(hot, writes, rows)
    updates, deletes = check_rows(adds, writes, rows)
    check_audit(adds, updates, deletes, audits)
    check_lists(container, rows, deletes)
    # The mix really contended: refused stale writes, contributors writing their own rows, and
    # rows written by every process.
    assert statuses[("update_stale_body", 409)] + statuses[("update_stale_header", 412)] > 0
    assert any(
        w["role"] == "contributor" and w["kind"] != "add" and w["status"] == 200 for w in writes
    )
    writers_per_row = defaultdict(set)
    for w in writes:
        if w["status"] == 200 and "target" in w:
            writers_per_row[w["target"]].add(w["worker"])
    assert any(len(workers) == PROCESSES for workers in writers_per_row.values())


def check_adds(
    hot: list[dict[str, Any]], writes: list[dict[str, Any]], rows: dict[int, Any]
) -> dict[int, dict[str, Any]]:
    """Every acknowledged add stored once under its id and marker; nothing else stored."""
    acked = hot + [w for w in writes if w["kind"] == "add" and w["status"] == 200]
    by_id: dict[int, dict[str, Any]] = {}
    for add in acked:
        assert add["id"] not in by_id, f"two adds acknowledged with id {add['id']}"
        by_id[add["id"]] = add
    assert set(rows) == set(by_id)
    markers = Counter(MARKER.search(row.video_link).group() for row in rows.values())
    assert all(n == 1 for n in markers.values())
    for entry_id, add in by_id.items():
        assert rows[entry_id].video_link.endswith(add["marker"])
    sr_nos = sorted(row.sr_no for row in rows.values())
    assert sr_nos == list(range(1, len(rows) + 1)), "Sr no. values are not unique and gapless"
    assert all(str(rows[i].sr_no) == a["data"][c.SR_NO] for i, a in by_id.items())
    return by_id


def check_rows(
    adds: dict[int, dict[str, Any]], writes: list[dict[str, Any]], rows: dict[int, Any]
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, dict[str, Any]]]:
    """Each row equals its add followed by its acknowledged updates in version order."""
    updates: dict[int, list[dict[str, Any]]] = defaultdict(list)
    deletes: dict[int, dict[str, Any]] = {}
    for w in writes:
        if w["status"] != 200 or w["kind"] == "add":
            continue
        if w["kind"].startswith("update"):
            assert w["data"]["id"] == w["target"]
            updates[w["target"]].append(w)
        else:
            assert w["target"] not in deletes, f"row {w['target']} deleted twice"
            deletes[w["target"]] = w
    for entry_id, add in adds.items():
        row = rows[entry_id]
        state = columns(add["data"])
        ordered = sorted(updates[entry_id], key=lambda u: u["data"]["version"])
        versions = [u["data"]["version"] for u in ordered]
        assert versions == list(range(2, len(ordered) + 2)), f"row {entry_id}: {versions}"
        for update in ordered:
            if update["sent_version"] is not None:
                assert update["sent_version"] == update["data"]["version"] - 1
            update["before"] = dict(state)
            state.update(columns(update["sent"]))
            update["after"] = dict(state)
            assert columns(update["data"]) == state, f"row {entry_id} v{update['data']['version']}"
        assert to_columns(row) == state, f"row {entry_id} differs from its replayed writes"
        deleted = entry_id in deletes
        assert (row.deleted_at is not None) == deleted
        assert row.version == 1 + len(ordered) + int(deleted)
    return updates, deletes


def check_audit(
    adds: dict[int, dict[str, Any]],
    updates: dict[int, list[dict[str, Any]]],
    deletes: dict[int, dict[str, Any]],
    audits: Sequence[Any],
) -> None:
    """One audit record per acknowledged write: on its entity, by its actor, with its change."""
    actions = Counter((a.entity, a.entity_id, a.action) for a in audits)
    expected = Counter({("entry", i, "create"): 1 for i in adds})
    for entry_id, ups in updates.items():
        expected[("entry", entry_id, "update")] = len(ups)
    for entry_id in deletes:
        expected[("entry", entry_id, "delete")] = 1
    assert actions == expected
    by_entity: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for a in audits:  # writes to one row hold its lock, so their records are in version order
        by_entity[(a.entity_id, a.action)].append(a)
    for entry_id, add in adds.items():
        (created,) = by_entity[(entry_id, "create")]
        assert created.changes[c.VIDEO_LINK].endswith(add["marker"])
        assert created.actor_email == add["actor"]
    for entry_id, delete in deletes.items():
        assert by_entity[(entry_id, "delete")][0].actor_email == delete["actor"]
    for entry_id, ups in updates.items():
        ordered = sorted(ups, key=lambda u: u["data"]["version"])
        for update, record in zip(ordered, by_entity[(entry_id, "update")], strict=True):
            before, after = update["before"], update["after"]
            expected_changes = {
                col: {"from": before[col], "to": after[col]}
                for col in after
                if after[col] != before[col]
            }
            assert record.changes == expected_changes, f"{update['marker']} on row {entry_id}"
            assert record.actor_email == update["actor"]


def check_lists(
    container: Container, rows: dict[int, Any], deletes: dict[int, dict[str, Any]]
) -> None:
    """What clients see: deleted rows gone from /api/data, every other row there once."""
    email = factories.make_user(container, Role.viewer, "final.viewer@adda247.com")
    with TestClient(create_app(container=container)) as client:
        headers = factories.login(client, email)
        listed = [r["id"] for r in client.get("/api/data", headers=headers).json()["data"]]
    assert sorted(listed) == sorted(set(rows) - set(deletes))
