"""The spreadsheet import over real HTTP: Google's client reads the four tabs from the Sheets
stand-in, and the rows land in the real database (SQLite and PostgreSQL), all or nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from adda_dashboard.adapters.sheets import RetryPolicy, SheetsClient, SheetsUnavailable
from adda_dashboard.app import create_app
from adda_dashboard.bootstrap import Container
from adda_dashboard.db.models import AuditRecord, Entry, Ticket, User
from adda_dashboard.db.repositories import counters
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.roles import SYSTEM, Role
from adda_dashboard.domain.sheet_tabs import TabKind
from adda_dashboard.errors import Conflict, Forbidden, Invalid
from adda_dashboard.services.sheet_import import SheetImportReport, SheetImportService
from tests import factories
from tests.sheet_support import GIDS, TeamSheet, load, sheet_container, team_sheet, write_workbook
from tests.sheets_standin import SheetsStandIn


@pytest.fixture(scope="module")
def standin() -> Iterator[SheetsStandIn]:
    with SheetsStandIn(spreadsheet_id="1TeamSheetId") as server:
        yield server


@pytest.fixture(scope="module")
def key(standin: SheetsStandIn, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standin.key_file(tmp_path_factory.mktemp("sheets") / "service-account.json")


@pytest.fixture(scope="module")
def big_sheet() -> TeamSheet:
    return team_sheet()  # 1,500 Final + 500 Re-edit entries, 25 accounts, 30 tickets


@pytest.fixture
def stack(
    database_url: str, var_dir: Path, standin: SheetsStandIn, key: Path
) -> Iterator[Container]:
    standin.heal()
    with standin.lock:
        standin.calls.clear()
    with sheet_container(database_url, var_dir, standin, key) as container:
        yield container


def counts(report: SheetImportReport) -> dict[str, tuple[int, int, int]]:
    return {t.title: (t.inserted, t.updated, t.unchanged) for t in report.tabs}


def stored(container: Container) -> dict[str, int]:
    with container.db.read() as session:
        return {
            model.__tablename__: int(
                session.execute(select(func.count()).select_from(model)).scalar_one()
            )
            for model in (Entry, User, Ticket, AuditRecord)
        }


def entry_by_sr_no(container: Container, sr_no: int) -> Any:
    with container.db.read() as session:
        row = entries_repo.get_by_sr_no(session, sr_no)
    assert row is not None, sr_no
    return row


# The whole spreadsheet ----------------------------------------------------------------------------


def test_the_whole_spreadsheet_imports_once_and_a_second_run_changes_nothing(
    stack: Container, standin: SheetsStandIn, big_sheet: TeamSheet
) -> None:
    load(standin, big_sheet)
    started = time.monotonic()
    dry = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=True)
    assert dry.ok and not dry.committed, dry.errors[:3]
    assert counts(dry) == {
        "Final": (1500, 0, 0),
        "Drive Links": (500, 0, 0),
        "Credentials": (25, 0, 0),
        "Tickets": (30, 0, 0),
    }
    assert stored(stack) == {"entries": 0, "users": 0, "tickets": 0, "audit_log": 0}

    report = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False)
    assert report.committed and counts(report) == counts(dry)
    assert report.digest == dry.digest
    listed = stack.entries.legacy_list()
    assert (listed["finalCount"], listed["reEditCount"]) == (1500, 500)
    with stack.db.read() as session:
        assert counters.current(session, counters.SR_NO) == 2000
    assert stored(stack) == {"entries": 2000, "users": 25, "tickets": 30, "audit_log": 2055}

    again = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False)
    assert counts(again) == {
        "Final": (0, 0, 1500),
        "Drive Links": (0, 0, 500),
        "Credentials": (0, 0, 25),
        "Tickets": (0, 0, 30),
    }
    assert stack.entries.legacy_list()["data"] == listed["data"]
    assert stored(stack)["audit_log"] == 2055
    assert time.monotonic() - started < 20
    # Each run read the spreadsheet twice: the tabs' titles by gid, then the four tabs at once.
    assert standin.methods() == ["spreadsheets.get", "values.batchGet"] * 3
    [read] = [call for call in standin.calls if call.method == "values.batchGet"][:1]
    assert read.params["ranges"] == ["'Final'", "'Drive Links'", "'Credentials'", "'Tickets'"]
    check_sampled_rows(stack, big_sheet)
    by_status = check_tickets(stack, big_sheet)
    assert by_status == {"Open": 8, "In Progress": 8, "Resolved": 7, "Closed": 7}


def check_sampled_rows(container: Container, sheet: TeamSheet) -> None:
    for title in ("Final", "Drive Links"):
        records = sheet.records(title)
        for record in (records[0], records[len(records) // 2], records[-1]):
            entry = entry_by_sr_no(container, int(record[c.SR_NO]))
            data = container.entries.editable(SYSTEM, entry.id)
            for column in c.MAIN_COLUMNS:
                expected = record.get(column, "")
                if column == c.EDIT:
                    expected = "Final" if title == "Final" else "Re-edit"
                assert data[column] == expected, (title, record[c.SR_NO], column)
            assert entry.deleted_at is None and entry.version == 1


def check_tickets(container: Container, sheet: TeamSheet) -> dict[str, int]:
    """Every ticket as the sheet has it; returns how many are in each status."""
    with container.db.read() as session:
        tickets = {t.ticket_id: t for t in session.execute(select(Ticket)).scalars()}
        session.expunge_all()  # kept as read, past the session's end
    for record in sheet.records("Tickets"):
        ticket = tickets[record["Ticket ID"]]
        assert (ticket.status, ticket.issue_type, ticket.issue_text) == (
            record["Status"],
            record["Issue Type"],
            record["Issue Text"],
        )
        raised = int(record["Ticket ID"].split("-")[1]) / 1000  # TKT-<epoch ms>-<n>
        created = ticket.created_at
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        assert abs(created.timestamp() - raised) < 0.01 and ticket.reporter_email is None
    assert len(tickets) == len(sheet.records("Tickets"))
    return {s: sum(1 for t in tickets.values() if t.status == s) for s in c.TICKET_STATUSES}


def test_an_imported_account_signs_in_with_its_sheet_password_and_is_rehashed(
    stack: Container, standin: SheetsStandIn
) -> None:
    sheet = team_sheet(finals=3, reedits=2, users=3, tickets=1)
    load(standin, sheet)
    assert stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False).committed
    email, password = next(iter(sheet.passwords.items()))
    with TestClient(create_app(container=stack)) as client:
        response = client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        assert response.json()["user"]["role"] == "contributor"
        wrong = client.post("/api/auth/login", json={"email": email, "password": "not it at all"})
        assert wrong.status_code == 401
    with stack.db.read() as session:
        user = session.execute(select(User).where(User.email == email)).scalar_one()
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        assert user.email_verified_at is not None and user.username == "member00"
        assert user.role == Role.contributor.value


# Refusals: all or nothing --------------------------------------------------------------------


def test_a_tab_with_two_bad_rows_is_refused_whole_with_both_rows_named(
    stack: Container, standin: SheetsStandIn
) -> None:
    sheet = team_sheet(finals=20, reedits=10, users=3, tickets=3)
    header = sheet.header("Drive Links")
    rows = sheet.tabs["Drive Links"]
    rows[3][header.index(c.VERTICAL)] = "Astrology"  # sheet row 4
    rows[7][header.index(c.VIDEO_LINK)] = "not a link"  # sheet row 8
    load(standin, sheet)
    for dry_run in (True, False):
        report = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=dry_run)
        assert not report.ok and not report.committed
        assert [(e.tab, e.row, e.field) for e in report.errors] == [
            ("Drive Links", 4, c.VERTICAL),
            ("Drive Links", 8, c.VIDEO_LINK),
        ]
        assert "'Vertical Name' must be one of:" in report.errors[0].message
        assert report.errors[1].message == "'Video Link' must be an http(s) URL"
        assert report.tab(TabKind.reedit).refused == 2
        assert report.tab(TabKind.main).inserted == 20  # what the good rows would do
    assert stored(stack) == {"entries": 0, "users": 0, "tickets": 0, "audit_log": 0}
    with stack.db.read() as session:
        assert counters.current(session, counters.SR_NO) == 0
        assert counters.current(session, counters.DATASET_VERSION) == 0


def test_every_bad_row_of_every_tab_is_reported_in_sheet_order(
    stack: Container, standin: SheetsStandIn
) -> None:
    sheet = team_sheet(finals=6, reedits=4, users=4, tickets=3)
    final, reedit = sheet.tabs["Final"], sheet.tabs["Drive Links"]
    reedit[2][0] = final[3][0]  # the Sr no. of Final row 4, again on Drive Links row 3
    final[5][0] = ""  # no Sr no.
    final[6][final[0].index(c.EDIT)] = "Done"
    sheet.tabs["Credentials"][2][2] = "plain password"
    sheet.tabs["Credentials"][4][1] = sheet.tabs["Credentials"][1][1]  # the same email twice
    sheet.tabs["Tickets"][3][5] = "Fixed"
    load(standin, sheet)
    factories.make_user(stack, Role.viewer, email="someone.else@adda247.com")
    with stack.db.write() as session:  # another account holds member02's username
        user = session.execute(select(User)).scalar_one()
        user.username = "member02"
    report = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=True)
    assert [(e.tab, e.row, e.field) for e in report.errors] == [
        ("Final", 6, c.SR_NO),
        ("Final", 7, c.EDIT),
        ("Drive Links", 3, c.SR_NO),
        ("Credentials", 3, "New Password"),
        ("Credentials", 4, "Username"),  # found against the database, when rows are planned
        ("Credentials", 5, c.EMAIL),
        ("Tickets", 4, "Status"),
    ]
    messages = [e.message for e in report.errors]
    assert messages[0] == "'Sr no.' is empty: every entry needs its number"
    assert messages[2] == f"'Sr no.' {final[3][0]} is already used on 'Final' row 4"
    assert "bcrypt hash" in messages[3]
    assert "'member02' belongs to another account (someone.else@adda247.com)" in messages[4]
    assert "already on row 2" in messages[5]
    assert [t.refused for t in report.tabs] == [2, 1, 3, 1]


def test_a_tab_without_its_required_columns_or_a_gid_the_sheet_lacks_is_named(
    stack: Container, standin: SheetsStandIn
) -> None:
    sheet = team_sheet(finals=2, reedits=1, users=1, tickets=1)
    sheet.tabs["Tickets"] = [[h for h in sheet.tabs["Tickets"][0] if h != "Status"]]
    load(standin, sheet)
    report = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=True)
    [error] = report.errors
    assert (error.tab, error.row, error.field) == ("Tickets", 1, "Status")
    assert "lacks the column(s) 'Status'" in error.message
    with standin.lock:
        standin.sheet.tabs = [t for t in standin.sheet.tabs if t.title != "Credentials"]
    with pytest.raises(Invalid) as caught:
        stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=True)
    assert "no tab with gid 1409173850 for its credentials tab" in caught.value.message
    assert caught.value.field == "ADDA_SHEETS_CREDENTIALS_GID"


def test_a_tickets_tab_kept_without_a_header_row_is_read_in_the_originals_order(
    stack: Container, standin: SheetsStandIn
) -> None:
    sheet = team_sheet(finals=2, reedits=1, users=1, tickets=4)
    tickets = sheet.tabs["Tickets"]
    sheet.tabs["Tickets"] = [[], *tickets[1:]]  # no header; a blank first row
    load(standin, sheet)
    report = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False)
    assert report.committed and report.tab(TabKind.tickets).inserted == 4
    check_tickets(stack, TeamSheet({"Tickets": tickets}))


def test_only_an_admin_may_import(stack: Container) -> None:
    from adda_dashboard.domain.roles import Actor

    editor = Actor(user_id=None, email="ed@adda247.com", role=Role.editor)
    with pytest.raises(Forbidden, match="Only an admin may import"):
        stack.sheet_import.from_spreadsheet(editor, dry_run=True)


# Layout: the sheet as the team has it ---------------------------------------------------------


def shuffled(rows: list[list[Any]], order: list[int], extra: str) -> list[list[Any]]:
    """The tab with its columns in ``order``, an extra column first and a blank row on top."""
    width = len(rows[0])
    moved = [
        [extra if i == 0 else f"{extra} {i}"] + [r[k] if k < len(r) else "" for k in order]
        for i, r in enumerate(rows)
    ]
    assert sorted(order) == list(range(width))
    return [[], *moved]


def test_reordered_and_extra_columns_import_the_same_values(
    stack: Container, standin: SheetsStandIn
) -> None:
    sheet = team_sheet(finals=30, reedits=10, users=4, tickets=5)
    load(standin, sheet)
    assert stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False).committed
    expected = stack.entries.legacy_list()["data"]
    for title, rows in sheet.tabs.items():
        order = list(reversed(range(len(rows[0]))))
        sheet.tabs[title] = shuffled(rows, order, "Notes")
        sheet.tabs[title][1] = [
            str(h).upper() if i % 2 else h for i, h in enumerate(sheet.tabs[title][1])
        ]
    load(standin, sheet)
    report = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False)
    assert report.ok, report.errors[:3]
    assert counts(report) == {
        "Final": (0, 0, 30),
        "Drive Links": (0, 0, 10),
        "Credentials": (0, 0, 4),
        "Tickets": (0, 0, 5),
    }
    assert stack.entries.legacy_list()["data"] == expected


def test_a_changed_sheet_updates_what_changed_and_keeps_accounts_as_they_are(
    stack: Container, standin: SheetsStandIn
) -> None:
    sheet = team_sheet(finals=5, reedits=3, users=3, tickets=3)
    load(standin, sheet)
    stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False)
    final = sheet.tabs["Final"]
    final[2][final[0].index(c.EDITOR_BRIEF)] = "अब नया ब्रीफ़"
    sheet.tabs["Tickets"][1][5] = "Closed" if sheet.tabs["Tickets"][1][5] != "Closed" else "Open"
    email = sheet.tabs["Credentials"][1][1]
    other = team_sheet(users=1, finals=0, reedits=0, tickets=0, seed=99)
    sheet.tabs["Credentials"][1][2] = other.tabs["Credentials"][1][2]  # another password's hash
    load(standin, sheet)
    report = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False)
    assert counts(report) == {
        "Final": (0, 1, 4),
        "Drive Links": (0, 0, 3),
        "Credentials": (0, 0, 3),
        "Tickets": (0, 1, 2),
    }
    entry = entry_by_sr_no(stack, int(final[2][0]))
    assert (entry.editor_brief, entry.version) == ("अब नया ब्रीफ़", 2)
    history = stack.entries.history(SYSTEM, entry.id)
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["changes"][c.EDITOR_BRIEF]["to"] == "अब नया ब्रीफ़"
    with TestClient(create_app(container=stack)) as client:
        factories.login(client, email, sheet.passwords[email])  # the first hash still holds


# Where the tabs come from ------------------------------------------------------------------------


def test_transient_errors_while_reading_are_retried(
    stack: Container, standin: SheetsStandIn
) -> None:
    load(standin, team_sheet(finals=4, reedits=2, users=2, tickets=2))
    standin.fail(503, times=1, on="reads")
    assert stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False).committed
    assert standin.methods() == ["spreadsheets.get", "values.batchGet"]


def test_a_spreadsheet_that_stays_unavailable_is_said_and_nothing_written(
    stack: Container, standin: SheetsStandIn
) -> None:
    load(standin, team_sheet(finals=4, reedits=2, users=2, tickets=2))
    quick = SheetsClient.from_settings(stack.settings, retry=RetryPolicy(3, 0.01, 0.02))
    service = SheetImportService(
        stack.db,
        stack.taxonomy,
        stack.transfer,
        lambda: quick,
        gids=dict(zip(TabKind, GIDS.values(), strict=True)),
    )
    standin.fail(429, seconds=30, on="reads")
    with pytest.raises(SheetsUnavailable, match=r"limiting requests \(429\)"):
        service.from_spreadsheet(SYSTEM, dry_run=False)
    assert stored(stack)["entries"] == 0


def test_a_sheet_changed_since_its_check_is_not_imported(
    stack: Container, standin: SheetsStandIn
) -> None:
    sheet = team_sheet(finals=4, reedits=2, users=2, tickets=2)
    load(standin, sheet)
    checked = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=True)
    sheet.tabs["Tickets"][1][6] = "edited meanwhile"
    load(standin, sheet)
    with pytest.raises(Conflict, match="changed since it was checked"):
        stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False, expected_digest=checked.digest)
    assert stored(stack)["tickets"] == 0


def test_a_workbook_of_the_four_tabs_imports_as_the_spreadsheet_does(
    stack: Container, standin: SheetsStandIn, tmp_path: Path
) -> None:
    sheet = team_sheet(finals=40, reedits=15, users=5, tickets=6)
    titles = {"Final": "Sheet1", "Credentials": "User credentials", "Tickets": "tickets"}
    path = write_workbook(tmp_path / "team.xlsx", sheet, titles)
    dry = stack.sheet_import.from_workbook(SYSTEM, path, dry_run=True)
    assert [(t.kind, t.title) for t in dry.tabs] == [
        (TabKind.main, "Sheet1"),
        (TabKind.reedit, "Drive Links"),
        (TabKind.credentials, "User credentials"),
        (TabKind.tickets, "tickets"),
    ]
    assert stored(stack)["entries"] == 0
    report = stack.sheet_import.from_workbook(SYSTEM, path, dry_run=False)
    assert report.committed and counts(report)["Sheet1"] == (40, 0, 0)
    from_workbook = stack.entries.legacy_list()["data"]
    load(standin, sheet)  # the same rows through the API: nothing to change
    again = stack.sheet_import.from_spreadsheet(SYSTEM, dry_run=False)
    assert [t.inserted + t.updated for t in again.tabs] == [0, 0, 0, 0]
    assert stack.entries.legacy_list()["data"] == from_workbook


def test_a_workbook_lacking_a_tab_is_refused_naming_it(stack: Container, tmp_path: Path) -> None:
    sheet = team_sheet(finals=2, reedits=1, users=1, tickets=1)
    del sheet.tabs["Tickets"]
    path = write_workbook(tmp_path / "three.xlsx", sheet)
    with pytest.raises(Invalid) as caught:
        stack.sheet_import.from_workbook(SYSTEM, path, dry_run=True)
    assert "lacks the Tickets tab (a worksheet titled 'Tickets')" in caught.value.message
    assert "'Final', 'Drive Links', 'Credentials'" in caught.value.message


# The command line --------------------------------------------------------------------------------


@pytest.fixture
def cli(
    stack: Container, monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path
) -> Any:
    from typer.testing import CliRunner

    settings = stack.settings
    monkeypatch.setenv("ADDA_DATABASE_URL", database_url)
    monkeypatch.setenv("ADDA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ADDA_JWT_SECRET", "cli-test-secret-" + "y" * 40)
    monkeypatch.setenv("ADDA_ENVIRONMENT", "test")
    monkeypatch.setenv("ADDA_SHEETS_SPREADSHEET_ID", settings.sheets_spreadsheet_id)
    monkeypatch.setenv("ADDA_SHEETS_CREDENTIALS_FILE", str(settings.sheets_credentials_file))
    monkeypatch.setenv("ADDA_SHEETS_API_URL", settings.sheets_api_url)
    monkeypatch.delenv("ADDA_REDIS_URL", raising=False)
    return CliRunner()


def test_cli_dry_run_writes_nothing_and_the_import_then_writes_it_all(
    cli: Any, stack: Container, standin: SheetsStandIn, tmp_path: Path
) -> None:
    from adda_dashboard.cli import app

    sheet = team_sheet(finals=12, reedits=4, users=3, tickets=2)
    load(standin, sheet)
    dry = cli.invoke(app, ["sheets", "import", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing was written" in dry.stdout
    assert "Final (main tab)" in dry.stdout and "12" in dry.stdout
    assert stored(stack) == {"entries": 0, "users": 0, "tickets": 0, "audit_log": 0}
    done = cli.invoke(app, ["sheets", "import"])
    assert done.exit_code == 0, done.output
    assert "Imported the Google spreadsheet" in done.stdout
    assert stored(stack)["entries"] == 16 and stored(stack)["users"] == 3
    path = write_workbook(tmp_path / "team.xlsx", sheet)
    xlsx = cli.invoke(app, ["sheets", "import", "--xlsx", str(path), "--dry-run"])
    assert xlsx.exit_code == 0, xlsx.output
    assert "workbook 'team.xlsx'" in xlsx.stdout


def test_cli_names_every_bad_row_and_exits_1(
    cli: Any, stack: Container, standin: SheetsStandIn
) -> None:
    from adda_dashboard.cli import app

    sheet = team_sheet(finals=3, reedits=2, users=1, tickets=1)
    sheet.tabs["Final"][2][sheet.header("Final").index(c.EXAM)] = "Nope"
    load(standin, sheet)
    result = cli.invoke(app, ["sheets", "import"])
    assert result.exit_code == 1
    assert "'Final' row 3: Exam Name: 'Exam Name' is not an exam of" in result.stderr
    assert "1 bad row(s); nothing was imported" in result.stderr
    assert stored(stack)["entries"] == 0


def test_cli_without_a_spreadsheet_says_which_setting_is_missing(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adda_dashboard.cli import app

    monkeypatch.setenv("ADDA_SHEETS_SPREADSHEET_ID", "")
    result = cli.invoke(app, ["sheets", "import", "--dry-run"])
    assert result.exit_code == 1
    assert "ADDA_SHEETS_SPREADSHEET_ID is not set" in result.stderr
