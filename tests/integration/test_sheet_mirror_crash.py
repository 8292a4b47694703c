"""A queue worker killed in the middle of a push loses and doubles nothing: a real
``adda-dashboard worker`` process is stopped with SIGKILL while the Sheets stand-in holds one of
its write requests (applied with the answer withheld, or never applied), and the next worker,
once the dead one's lease has run out, leaves every change in the sheet exactly once and the
outbox empty; a worker stalled past its lease writes nothing more once another took over
(SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from adda_dashboard.db.models import Entry, Ticket
from adda_dashboard.db.repositories import sheet_outbox as outbox
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.roles import SYSTEM
from adda_dashboard.domain.sheet_tabs import TICKET_ID
from adda_dashboard.services.tickets import new_ticket_id
from tests import factories
from tests.integration.live_servers import server_env, worker_process
from tests.sheet_mirror_support import MAIN, REEDIT, TICKETS, MirrorStack, mirror_stack, wait_for
from tests.sheets_methods import WRITES
from tests.sheets_standin import SheetsStandIn

pytestmark = pytest.mark.slow

LEASE_S = 3  # ADDA_SHEETS_PUSH_LEASE_SECONDS: how long a dead worker's lease keeps others off
DRAIN_DEADLINE_S = 60.0
EMAIL = "rahul.sharma@adda247.com"
DRIVE_LINK = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view"
Key = tuple[str, str]  # (tab title, Sr no. or Ticket ID)


@pytest.fixture
def mirror(
    database_url: str,
    var_dir: Path,
    sheets_standin: SheetsStandIn,
    sheets_key: Path,
    tmp_path: Path,
) -> Iterator[MirrorStack]:
    settings = {"sheets_push_lease_seconds": LEASE_S, "sheets_pull_seconds": 3600}
    with mirror_stack(
        database_url, var_dir, sheets_standin, sheets_key, tmp_path, **settings
    ) as stack:
        yield stack
        sheets_standin.heal()  # lets go of a request still held


def worker_env(stack: MirrorStack, database_url: str, tmp_path: Path) -> dict[str, str]:
    """``adda-dashboard worker`` with the test container's database, queue and spreadsheet."""
    settings = stack.container.settings
    return server_env(
        database_url,
        settings.var_dir,
        ADDA_LOG_DIR=str(tmp_path / "logs"),
        ADDA_QUEUE_PATH=str(settings.queue_path),
        ADDA_WORKER_POLL_SECONDS="0.1",
        ADDA_SHEETS_MIRROR="true",
        ADDA_SHEETS_SPREADSHEET_ID=settings.sheets_spreadsheet_id,
        ADDA_SHEETS_CREDENTIALS_FILE=str(settings.sheets_credentials_file),
        ADDA_SHEETS_API_URL=settings.sheets_api_url,
        ADDA_SHEETS_PUSH_LEASE_SECONDS=str(LEASE_S),
        ADDA_SHEETS_PULL_SECONDS="3600",
    )


def ticket_body(ticket_id: str) -> dict[str, str]:
    return {
        "Ticket ID": ticket_id,
        "Vertical": "SSC",
        "Exam Name": "CGL",
        "Subject": "Maths",
        "Issue Type": "Wrong Data Entry",
        "Status": "Open",
        "Issue Text": "Row 4 has the wrong exam",
    }


def add_entry(stack: MirrorStack, **overrides: str) -> int:
    entry = stack.container.entries.add(SYSTEM, factories.valid_entry(Email=EMAIL, **overrides))
    return int(entry[c.ID_KEY])


def first_changes(stack: MirrorStack) -> tuple[list[int], list[str]]:
    """Four Final entries, one Re-edit and two tickets."""
    entries = [add_entry(stack) for _ in range(4)]
    entries.append(add_entry(stack, **{c.EDIT: "Re-edit", c.VIDEO_LINK: DRIVE_LINK}))
    tickets = [new_ticket_id() for _ in range(2)]
    for ticket_id in tickets:
        stack.container.tickets.raise_ticket(SYSTEM, ticket_body(ticket_id))
    return entries, tickets


def second_changes(stack: MirrorStack, entries: list[int], tickets: list[str]) -> None:
    """A push of every kind of write: in-place updates (an entry, a ticket's status), row
    removals (a deletion, a move to Drive Links) and appends to all three tabs."""
    updated, moved, deleted = entries[:3]
    service = stack.container.entries
    service.update(SYSTEM, updated, {c.SUBJECT: "Reasoning"})
    service.update(SYSTEM, moved, {c.EDIT: "Re-edit", c.VIDEO_LINK: DRIVE_LINK})
    service.delete(SYSTEM, deleted)
    add_entry(stack)
    add_entry(stack, **{c.SUBJECT: "English"})
    stack.container.tickets.change_status(SYSTEM, tickets[0], {"status": "Resolved"})
    stack.container.tickets.raise_ticket(SYSTEM, ticket_body(new_ticket_id()))


def in_database(stack: MirrorStack) -> dict[Key, dict[str, str]]:
    """Where each live entry and ticket belongs, with some of its cells, read from the tables."""
    wanted: dict[Key, dict[str, str]] = {}
    with stack.container.db.read() as session:
        for entry in session.execute(select(Entry).where(Entry.deleted_at.is_(None))).scalars():
            tab = REEDIT if entry.edit_status == "Re-edit" else MAIN
            wanted[(tab, str(entry.sr_no))] = {
                c.SUBJECT: entry.subject,
                c.VIDEO_LINK: entry.video_link,
                c.EDIT: entry.edit_status,
            }
        for ticket in session.execute(select(Ticket)).scalars():
            wanted[(TICKETS, ticket.ticket_id)] = {"Status": ticket.status}
    return wanted


def in_sheet(stack: MirrorStack) -> tuple[Counter[Key], dict[Key, dict[str, str]]]:
    """How many rows of each tab hold each key, and the cells of the last such row."""
    counts: Counter[Key] = Counter()
    cells: dict[Key, dict[str, str]] = {}
    for title, key in ((MAIN, c.SR_NO), (REEDIT, c.SR_NO), (TICKETS, TICKET_ID)):
        for row in stack.records(title):
            counts[(title, row[key])] += 1
            cells[(title, row[key])] = row
    return counts, cells


def pending(stack: MirrorStack) -> int:
    with stack.container.db.read() as session:
        return outbox.depth(session).count


def assert_sheet_is_the_database_once(stack: MirrorStack) -> None:
    wanted = in_database(stack)
    counts, cells = in_sheet(stack)
    assert counts == Counter(dict.fromkeys(wanted, 1)), "each row exactly once, in its tab"
    for key, values in wanted.items():
        assert {col: cells[key][col] for col in values} == values, key


@pytest.mark.parametrize(
    ("method", "applied"),
    [
        pytest.param("values.batchUpdate", True, id="after-the-updates-were-applied"),
        pytest.param("values.append", True, id="after-an-append-was-applied"),
        pytest.param("values.batchUpdate", False, id="before-any-write-arrived"),
        pytest.param("spreadsheets.batchUpdate", False, id="before-the-removals-arrived"),
    ],
)
def test_a_worker_killed_mid_push_leaves_every_change_in_the_sheet_exactly_once(
    mirror: MirrorStack, database_url: str, tmp_path: Path, method: str, applied: bool
) -> None:
    assert mirror.container.sheet_mirror is not None
    entries, tickets = first_changes(mirror)
    assert mirror.container.sheet_mirror.push_pending() == 7
    assert_sheet_is_the_database_once(mirror)
    second_changes(mirror, entries, tickets)
    waiting = pending(mirror)
    assert waiting == 7
    held = mirror.standin.hold(method, applied=applied)
    env = worker_env(mirror, database_url, tmp_path)

    sent_before = len(mirror.standin.methods())
    with worker_process(env, tmp_path / "killed-worker.log") as worker:
        assert held.arrived.wait(60), (tmp_path / "killed-worker.log").read_text()[-3000:]
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    assert (method in mirror.standin.methods()[sent_before:]) is applied
    assert pending(mirror) == waiting, "the dead worker marked nothing done"
    held.released.set()

    started = time.monotonic()
    with worker_process(env, tmp_path / "next-worker.log"):
        wait_for(
            lambda: pending(mirror) == 0,
            deadline_s=DRAIN_DEADLINE_S,
            what="the next worker to drain the outbox",
        )
        drained_s = time.monotonic() - started
        assert_sheet_is_the_database_once(mirror)
        time.sleep(1)  # nothing arrives late either
        assert_sheet_is_the_database_once(mirror)
    print(f"\nkilled at {method} (applied: {applied}); drained {drained_s:.1f} s later")


def test_a_worker_stalled_past_its_lease_writes_nothing_more_once_another_took_over(
    mirror: MirrorStack, database_url: str, tmp_path: Path
) -> None:
    """Its lease ran out while Google held its first write: the worker that took over pushed
    the batch, so the stalled one's later writes (row numbers as it read them, appends) would
    remove other rows and double its own."""
    assert mirror.container.sheet_mirror is not None
    entries, tickets = first_changes(mirror)
    mirror.container.sheet_mirror.push_pending()
    second_changes(mirror, entries, tickets)
    held = mirror.standin.hold("values.batchUpdate", applied=True)
    env = worker_env(mirror, database_url, tmp_path)

    with worker_process(env, tmp_path / "stalled-worker.log") as stalled:
        assert held.arrived.wait(60), (tmp_path / "stalled-worker.log").read_text()[-3000:]
        with worker_process(env, tmp_path / "next-worker.log"):
            wait_for(
                lambda: pending(mirror) == 0,
                deadline_s=DRAIN_DEADLINE_S,
                what="the next worker to take the lease over and drain the outbox",
            )
            assert_sheet_is_the_database_once(mirror)
            released_at = time.monotonic()
            held.released.set()
            time.sleep(2)  # the stalled worker has its answer and goes on at once
            assert stalled.poll() is None, "still running"
            with mirror.standin.lock:
                late = [
                    call.method
                    for call in mirror.standin.calls
                    if call.at > released_at and call.method in WRITES
                ]
            assert late == [], "the stalled worker wrote after another took over"
            assert_sheet_is_the_database_once(mirror)
