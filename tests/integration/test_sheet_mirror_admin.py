"""``adda-dashboard sheets push`` and ``sheets status`` from the command line, with the real
container over the test database (SQLite and PostgreSQL) and the Sheets stand-in over HTTP:
the push rewrites the three mirrored tabs whole below their header rows, whatever they held,
and never the credentials tab; the status says what the mirror did last and what waits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner, Result

from adda_dashboard.bootstrap import Container
from adda_dashboard.cli import app
from adda_dashboard.db.base import utcnow
from adda_dashboard.db.models import SheetOutbox
from adda_dashboard.db.repositories import sheet_outbox as outbox
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.roles import SYSTEM
from adda_dashboard.domain.sheet_tabs import CREDENTIAL_COLUMNS
from adda_dashboard.services.tickets import new_ticket_id
from tests import factories
from tests.sheet_mirror_support import MAIN, REEDIT, TICKETS, empty_tabs
from tests.sheet_support import GIDS, sheet_container
from tests.sheets_methods import WRITES
from tests.sheets_standin import SheetsStandIn

CREDENTIALS = "Credentials"
EMAIL = "rahul.sharma@adda247.com"
TEAM_COLUMN = "Team notes"
UNAVAILABLE = "Google Sheets failed (503): The stand-in answers 503; try again shortly"


@pytest.fixture
def stack(
    database_url: str,
    var_dir: Path,
    sheets_standin: SheetsStandIn,
    sheets_key: Path,
    tmp_path: Path,
) -> Iterator[Container]:
    """The mirror on (changes leave outbox rows), no worker: only the commands push."""
    sheets_standin.heal()
    with sheets_standin.lock:
        sheets_standin.calls.clear()
        sheets_standin.sheet.tabs.clear()
    settings = {"sheets_mirror": True, "queue_path": tmp_path / "queue.db"}
    with sheet_container(database_url, var_dir, sheets_standin, sheets_key, **settings) as built:
        yield built
    sheets_standin.heal()


@pytest.fixture
def cli(
    stack: Container, monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> CliRunner:
    """The commands' own container (``open_container``) reads these, as in production."""
    settings = stack.settings
    environment = {
        "ADDA_DATABASE_URL": database_url,
        "ADDA_VAR_DIR": str(tmp_path / "var"),
        "ADDA_LOG_DIR": str(tmp_path / "logs"),
        "ADDA_JWT_SECRET": "cli-test-secret-" + "y" * 40,
        "ADDA_ENVIRONMENT": "test",
        "ADDA_MIGRATE_ON_START": "false",
        "ADDA_QUEUE_PATH": str(settings.queue_path),
        "ADDA_SHEETS_MIRROR": "true",
        "ADDA_SHEETS_SPREADSHEET_ID": settings.sheets_spreadsheet_id,
        "ADDA_SHEETS_CREDENTIALS_FILE": str(settings.sheets_credentials_file),
        "ADDA_SHEETS_API_URL": settings.sheets_api_url,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ADDA_REDIS_URL", raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(app, ["sheets", *args])


def flat(text: str) -> str:
    """The output with its line wrapping undone (the console wraps at its width)."""
    return " ".join(text.split())


def add(stack: Container, **overrides: str) -> int:
    entry = stack.entries.add(SYSTEM, factories.valid_entry(Email=EMAIL, **overrides))
    return int(entry[c.ID_KEY])


def raise_ticket(stack: Container) -> dict[str, str]:
    body = {
        "Ticket ID": new_ticket_id(),
        "Vertical": "SSC",
        "Exam Name": "CGL",
        "Subject": "Maths",
        "Issue Type": "Wrong Data Entry",
        "Status": "Open",
        "Issue Text": "Row 4 has the wrong exam",
    }
    stack.tickets.raise_ticket(SYSTEM, body)
    return body


def pending(stack: Container) -> int:
    with stack.db.read() as session:
        return outbox.depth(session).count


def below_header(standin: SheetsStandIn, title: str, header_row: int) -> list[dict[str, str]]:
    """The tab's rows under its header row, as cells by that header's names."""
    rows = standin.values(title)
    header = rows[header_row - 1]
    return [
        dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
        for row in rows[header_row:]
    ]


def stored(stack: Container, entry_ids: list[int], header: list[str]) -> list[dict[str, str]]:
    """The entries as the database holds them, in ``Sr no.`` order, by ``header``'s names
    (a column of the team's own blank)."""
    records = [stack.entries.editable(SYSTEM, entry_id) for entry_id in entry_ids]
    records.sort(key=lambda record: int(record[c.SR_NO]))
    return [{col: str(record.get(col, "")) for col in header} for record in records]


def stale_rows(columns: tuple[str, ...], count: int, first_sr_no: int) -> list[list[str]]:
    """Rows of entries the database does not have (a sheet edited by hand since)."""
    record = factories.valid_entry(Email="old.member@adda247.com")
    return [
        [str(first_sr_no + n) if col == c.SR_NO else str(record.get(col, "")) for col in columns]
        for n in range(count)
    ]


def writes_named(standin: SheetsStandIn, *names: str) -> list[str]:
    """The write requests whose body or range names any of ``names``."""
    with standin.lock:
        calls = [call for call in standin.calls if call.method in WRITES]
    sent = [(call.method, json.dumps([call.params, call.body])) for call in calls]
    return [method for method, text in sent if any(name in text for name in names)]


def test_sheets_push_rewrites_the_three_tabs_below_their_headers_and_never_the_credentials(
    cli: CliRunner, stack: Container, sheets_standin: SheetsStandIn
) -> None:
    finals = [add(stack, **{c.SUBJECT: subject}) for subject in ("Maths", "English", "Reasoning")]
    link = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view"
    reedits = [add(stack, **{c.EDIT: "Re-edit", c.VIDEO_LINK: link}) for _ in range(2)]
    stack.entries.delete(SYSTEM, add(stack))
    tickets = [raise_ticket(stack) for _ in range(2)]
    # Drive Links: a blank first row, the header on row 2, in the team's order with a column
    # of its own; the main tab holds more rows than the database; the tickets tab is empty.
    team_header = [*reversed(c.REEDIT_COLUMNS)]
    team_header.insert(3, TEAM_COLUMN)
    stale_reedit = [
        [*row[:3], "call the editor", *row[3:]]
        for row in stale_rows(tuple(reversed(c.REEDIT_COLUMNS)), 3, 950)
    ]
    credentials = [
        list(CREDENTIAL_COLUMNS),
        ["member00", "member00@adda247.com", "$2b$04$" + "a" * 53, "$2b$04$" + "a" * 53],
        ["member01", "member01@studyiq.com", "$2b$04$" + "b" * 53, "$2b$04$" + "b" * 53],
    ]
    sheets_standin.add_tab(
        MAIN, GIDS[MAIN], [list(c.MAIN_COLUMNS), *stale_rows(c.MAIN_COLUMNS, 9, 900)]
    )
    sheets_standin.add_tab(REEDIT, GIDS[REEDIT], [[], team_header, *stale_reedit])
    sheets_standin.add_tab(CREDENTIALS, GIDS[CREDENTIALS], credentials)
    sheets_standin.add_tab(TICKETS, GIDS[TICKETS], [])
    assert pending(stack) > 0

    result = run(cli, "push")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["Final: 3 rows", "Drive Links: 2 rows", "Tickets: 2 rows"]
    main = sheets_standin.values(MAIN)
    assert main[0] == list(c.MAIN_COLUMNS)
    assert len(main) == 1 + 3, "the stale rows below are cleared"
    assert below_header(sheets_standin, MAIN, 1) == stored(stack, finals, list(c.MAIN_COLUMNS))
    reedit = sheets_standin.values(REEDIT)
    assert reedit[:2] == [[], team_header], "the team's header row kept where and as it was"
    assert len(reedit) == 2 + 2
    assert below_header(sheets_standin, REEDIT, 2) == stored(stack, reedits, team_header)
    assert sheets_standin.values(TICKETS) == [
        list(c.TICKET_COLUMNS),
        *([ticket[col] for col in c.TICKET_COLUMNS] for ticket in tickets),
    ]
    assert sheets_standin.values(CREDENTIALS) == credentials
    assert writes_named(sheets_standin, CREDENTIALS, str(GIDS[CREDENTIALS])) == []
    assert pending(stack) == 0, "the outbox rows the rewrite covered are settled"


def test_sheets_status_prints_the_last_push_the_changes_waiting_the_last_pull_and_error(
    cli: CliRunner, stack: Container, sheets_standin: SheetsStandIn
) -> None:
    empty_tabs(sheets_standin)
    add(stack)
    before = utcnow()
    pushed = run(cli, "push")
    after = utcnow()
    assert pushed.exit_code == 0, pushed.output
    add(stack)
    add(stack)
    with stack.db.write() as session:  # the older change has waited a quarter of an hour
        oldest = session.execute(select(func.min(SheetOutbox.id))).scalar_one()
        session.execute(
            update(SheetOutbox)
            .where(SheetOutbox.id == oldest)
            .values(created_at=utcnow() - timedelta(minutes=15))
        )
    assert stack.sheet_pull is not None and stack.sheet_pull.run_due() is not None
    sheets_standin.fail(503, seconds=60, on="api")

    failed = run(cli, "push")

    assert failed.exit_code == 1
    assert UNAVAILABLE in flat(failed.stderr)
    sheets_standin.heal()
    result = run(cli, "status")
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert stack.sheet_mirror_admin is not None
    state = stack.sheet_mirror_admin.status()
    assert state.last_push_at is not None and state.last_pull_at is not None
    assert before <= state.last_push_at <= after, "the last push that succeeded"
    expected: dict[str, Any] = {
        "mirror": "on",
        "pending": 2,
        "last_push_at": state.last_push_at.isoformat(),
        "last_push_error": UNAVAILABLE,
        "last_pull_at": state.last_pull_at.isoformat(),
        "last_pull_error": None,
    }
    for name, value in expected.items():
        assert f"{name}: {value}" in text, (name, text)
    age = re.search(r"oldest_pending_age_seconds: ([\d.]+)", text)
    assert age is not None and 15 * 60 <= float(age.group(1)) < 16 * 60, text
    assert "problem: the oldest change has waited 15 minutes" in text
    assert f"problem: the last push failed: {UNAVAILABLE}" in text
