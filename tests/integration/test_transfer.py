"""File import and export: round trips, all-or-nothing refusal, idempotence and the CLI."""

from __future__ import annotations

import csv
import random
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from adda_dashboard.bootstrap import Container
from adda_dashboard.cli import app
from adda_dashboard.db.repositories import counters
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.roles import SYSTEM
from adda_dashboard.errors import AppError, Invalid
from adda_dashboard.services.demo import demo_record
from tests.backends import reset
from tests.factories import reedit_entry, valid_entry

FORMATS = ("csv", "xlsx")
TEAM = ["rahul.sharma@adda247.com", "priya.verma@studyiq.com", "amit.gupta@addaeducation.com"]
DRIVE = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123{:02d}/view?usp=sharing"
# Editor briefs as people write them: Hindi, emoji, separators, quotes, line breaks, and text
# that a spreadsheet would otherwise run as a formula.
BRIEFS = [
    "हिंदी कैप्शन जोड़ें, और शुरुआत के 2 सेकंड काटें 🎬",
    'Line one\nline two, with a comma and "quotes" 🔥\r\nline three',
    '=HYPERLINK("https://evil.test","click")',
    "'starts with an apostrophe",
    "- cut the intro\n- add Hinglish captions ✂️",
    "  spaces kept around a brief  ",
    "@mention the designer; +1 on the thumbnail",
    "",
]


# Helpers ---------------------------------------------------------------------------------------


def seed_realistic(container: Container) -> None:
    """Final and Re-edit entries with awkward text; one updated, one deleted (a gap in Sr no.)."""
    for index, brief in enumerate(BRIEFS):
        email = TEAM[index % len(TEAM)]
        youtube = f"https://youtube.com/shorts/abcdefghi{index:02d}"
        container.entries.add(
            SYSTEM,
            valid_entry(
                **{
                    "Email": email,
                    "Video Link": youtube,
                    "VideoId": "",
                    "Editor Brief": brief,
                }
            ),
        )
        container.entries.add(
            SYSTEM,
            reedit_entry(
                **{
                    "Email": email,
                    "Vertical Name": "Bank Pre",
                    "Exam Name": "SBI PO",
                    "Subject": "Quants",
                    "Video Link": DRIVE.format(index),
                    "Editor Brief": brief,
                }
            ),
        )
    container.entries.add(
        SYSTEM,
        valid_entry(
            **{
                "Email": TEAM[0],
                "Type of Content": "Motivational_or_Fun",
                "Subject": "",
                "Sub category": "",
                "Final Edited Link": "https://example.com/final?a=1&b=2",
            }
        ),
    )
    first = container.entries.legacy_list()["data"][0]
    container.entries.update(SYSTEM, first["id"], {"Exam Name": "CGL"})
    container.entries.delete(SYSTEM, container.entries.legacy_list()["data"][1]["id"])


def listed(container: Container) -> list[dict[str, Any]]:
    """What /api/data lists, without the database's own id and version."""
    return [
        {k: v for k, v in record.items() if k not in (c.ID_KEY, c.VERSION_KEY)}
        for record in container.entries.legacy_list()["data"]
    ]


def counter(container: Container, name: str) -> int:
    with container.db.read() as session:
        return counters.current(session, name)


def state(container: Container) -> tuple[Any, ...]:
    """Everything an import may change: the entries and both counters."""
    return (
        container.entries.legacy_list()["data"],
        counter(container, counters.SR_NO),
        counter(container, counters.DATASET_VERSION),
    )


def row(record: dict[str, str], columns: tuple[str, ...] = c.MAIN_COLUMNS) -> list[str]:
    return [record.get(col, "") for col in columns]


def write_file(path: Path, header: list[str] | tuple[str, ...], rows: list[list[Any]]) -> Path:
    """A file as a person or Google Sheets makes it: plain UTF-8 CSV, or XLSX with numbers."""
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
    else:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        assert sheet is not None
        for values in [header, *rows]:
            sheet.append(values)
        workbook.save(path)
    return path


def demo_rows(container: Container, count: int, seed: int = 7) -> list[dict[str, str]]:
    """Varied valid rows over every vertical, content type and status."""
    rng = random.Random(seed)
    return [demo_record(rng, container.taxonomy, TEAM) for _ in range(count)]


def api_error(container: Container, record: dict[str, str]) -> AppError:
    """The error the API gives for the same values, to compare with the import's."""
    with pytest.raises(AppError) as caught:
        container.entries.add(SYSTEM, record)
    return caught.value


# Round trip ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", FORMATS)
def test_export_then_import_into_an_empty_database_then_export_gives_identical_files(
    container: Container, database_url: str, tmp_path: Path, suffix: str
) -> None:
    seed_realistic(container)
    before = listed(container)
    first = tmp_path / f"first.{suffix}"
    assert container.transfer.export_entries(first) == len(before) == 16

    reset(database_url)
    container.taxonomy.load_packaged()
    assert listed(container) == []
    result = container.transfer.import_entries(first)
    assert (result.errors, result.inserted, result.updated) == ([], 16, 0)

    second = tmp_path / f"second.{suffix}"
    container.transfer.export_entries(second)
    assert second.read_bytes() == first.read_bytes()
    if suffix == "xlsx":  # XML has no carriage returns: a line break is always "\n" there
        for record in before:
            if c.EDITOR_BRIEF in record:
                record[c.EDITOR_BRIEF] = record[c.EDITOR_BRIEF].replace("\r\n", "\n")
    assert listed(container) == before


def test_csv_export_has_the_main_tab_header_a_bom_and_escaped_formulas(
    container: Container, tmp_path: Path
) -> None:
    seed_realistic(container)
    path = tmp_path / "out.csv"
    container.transfer.export_entries(path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfSr no.,Email,Vertical Name,")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == list(c.MAIN_COLUMNS)
    briefs = {r[c.MAIN_COLUMNS.index(c.EDITOR_BRIEF)] for r in table[1:]}
    assert '\'=HYPERLINK("https://evil.test","click")' in briefs
    assert "''starts with an apostrophe" in briefs
    assert "हिंदी कैप्शन जोड़ें, और शुरुआत के 2 सेकंड काटें 🎬" in briefs


def test_xlsx_export_writes_every_cell_as_text_and_is_reproducible(
    container: Container, tmp_path: Path
) -> None:
    seed_realistic(container)
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    container.transfer.export_entries(first)
    container.transfer.export_entries(second)
    assert first.read_bytes() == second.read_bytes()
    sheet = openpyxl.load_workbook(first).worksheets[0]
    assert [cell.value for cell in sheet[1]] == list(c.MAIN_COLUMNS)
    assert all(
        cell.data_type == "s" for r in sheet.iter_rows(min_row=2) for cell in r if cell.value
    )
    assert sheet.cell(row=2, column=1).value == "1"
    assert '=HYPERLINK("https://evil.test","click")' in {r[9].value for r in sheet.iter_rows()}
    # Nothing in the file depends on when it was written: zip dates and document times are fixed.
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("1980-01-01T00:00:00Z") == 2


# All or nothing --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_thousand_rows_with_three_bad_ones_are_refused_whole_with_their_line_numbers(
    container: Container, tmp_path: Path, suffix: str
) -> None:
    seed_realistic(container)
    before = state(container)
    records = demo_rows(container, 1000)
    records[99][c.VERTICAL] = "Astrology"
    records[499][c.SR_NO] = "12a"
    records[999][c.EMAIL] = "someone@gmail.com"
    path = write_file(tmp_path / f"big.{suffix}", c.MAIN_COLUMNS, [row(r) for r in records])

    result = container.transfer.import_entries(path)

    assert [(e.line, e.field) for e in result.errors] == [
        (101, c.VERTICAL),
        (501, c.SR_NO),
        (1001, c.EMAIL),
    ]
    assert result.errors[0].message == api_error(container, records[99]).message
    assert result.errors[2].message == api_error(container, records[999]).message
    assert "'12a'" in result.errors[1].message
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 0)
    assert state(container) == before


def test_every_bad_row_is_listed_including_duplicate_and_deleted_serial_numbers(
    container: Container, tmp_path: Path
) -> None:
    kept = container.entries.add(SYSTEM, valid_entry(Email=TEAM[0]))
    gone = container.entries.add(SYSTEM, valid_entry(Email=TEAM[1]))
    container.entries.delete(SYSTEM, gone["id"])
    before = state(container)
    good = valid_entry(Email=TEAM[2])
    rows = [
        row({**good, c.SR_NO: "40"}),
        row({**good, c.SR_NO: "40"}),
        row({**good, c.SR_NO: gone[c.SR_NO]}),
        row({**good, c.SR_NO: kept[c.SR_NO], c.CONTENT_TYPE: "Content", c.SUB_CATEGORY: ""}),
        row({**good, c.SR_NO: "0"}),
    ]
    result = container.transfer.import_entries(write_file(tmp_path / "d.csv", c.MAIN_COLUMNS, rows))
    assert [(e.line, e.field) for e in result.errors] == [
        (3, c.SR_NO),
        (4, c.SR_NO),
        (5, c.SUB_CATEGORY),
        (6, c.SR_NO),
    ]
    assert "already used on line 2" in result.errors[0].message
    assert "deleted entry" in result.errors[1].message
    assert state(container) == before


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ([*c.MAIN_COLUMNS[:-1], "Video Id"], "unknown column 'Video Id'"),
        (["Sr No.", *c.MAIN_COLUMNS[1:]], "unknown column 'Sr No.'"),
        (list(c.MAIN_COLUMNS[:-1]), "missing column(s): VideoId"),
        ([*c.MAIN_COLUMNS, c.EMAIL], "column 'Email' appears twice"),
    ],
)
def test_a_file_with_a_wrong_header_row_is_refused_before_any_row(
    container: Container, tmp_path: Path, header: list[str], fragment: str
) -> None:
    path = write_file(tmp_path / "h.csv", header, [row(valid_entry(Email=TEAM[0]))])
    with pytest.raises(Invalid) as caught:
        container.transfer.import_entries(path)
    assert fragment in caught.value.message
    assert listed(container) == []


def test_a_file_that_is_not_csv_or_xlsx_is_refused(container: Container, tmp_path: Path) -> None:
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(Invalid, match="not a readable XLSX"):
        container.transfer.import_entries(tmp_path / "broken.xlsx")
    (tmp_path / "latin1.csv").write_bytes(",".join(c.MAIN_COLUMNS).encode() + b"\nPr\xe9\n")
    with pytest.raises(Invalid, match="not UTF-8"):
        container.transfer.import_entries(tmp_path / "latin1.csv")
    with pytest.raises(Invalid, match=r"neither a \.csv nor a \.xlsx"):
        container.transfer.export_entries(tmp_path / "entries.xls")


# Idempotence and keys --------------------------------------------------------------------------


def test_importing_the_same_file_twice_does_not_duplicate_and_a_changed_row_updates(
    container: Container, tmp_path: Path
) -> None:
    records = [{**r, c.SR_NO: str(10 + i)} for i, r in enumerate(demo_rows(container, 5, seed=3))]
    path = write_file(tmp_path / "same.csv", c.MAIN_COLUMNS, [row(r) for r in records])
    first = container.transfer.import_entries(path)
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    after_first = state(container)

    again = container.transfer.import_entries(path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert state(container) == after_first

    old_email = records[2][c.EMAIL]
    new_email = next(email for email in TEAM if email != old_email)
    records[2][c.EMAIL] = new_email.upper()  # stored lower-cased, as the API stores it
    write_file(path, c.MAIN_COLUMNS, [row(r) for r in records])
    changed = container.transfer.import_entries(path)
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 4)
    entry = next(e for e in container.entries.legacy_list()["data"] if e[c.SR_NO] == "12")
    assert (entry[c.EMAIL], entry[c.VERSION_KEY]) == (new_email, 2)
    history = container.entries.history(SYSTEM, entry[c.ID_KEY])
    assert [(h["action"], h["actor_email"]) for h in history] == [
        ("create", SYSTEM.email),
        ("update", SYSTEM.email),
    ]
    assert history[1]["changes"] == {c.EMAIL: {"from": old_email, "to": new_email}}
    assert counter(container, counters.DATASET_VERSION) == after_first[2] + 1


def test_rows_without_sr_no_are_numbered_after_the_files_highest_and_the_counter_is_raised(
    container: Container, tmp_path: Path
) -> None:
    good = valid_entry(Email=TEAM[0])
    rows = [row({**good, c.SR_NO: ""}), row({**good, c.SR_NO: "500"}), row({**good, c.SR_NO: ""})]
    result = container.transfer.import_entries(write_file(tmp_path / "n.csv", c.MAIN_COLUMNS, rows))
    assert result.inserted == 3
    added = container.entries.add(SYSTEM, valid_entry(Email=TEAM[1]))
    assert [e[c.SR_NO] for e in container.entries.legacy_list()["data"]] == [
        "501",
        "500",
        "502",
        "503",
    ]
    assert added[c.SR_NO] == "503"


def test_blank_rows_are_skipped_as_the_original_skips_them(
    container: Container, tmp_path: Path
) -> None:
    good = valid_entry(Email=TEAM[0])
    only_serial = {c.SR_NO: "77", c.VIDEO_ID: "abcdefghijk"}  # a sheet's pre-filled row
    rows = [[""] * 12, row(good), [], row(only_serial), ["  "] * 12]
    result = container.transfer.import_entries(write_file(tmp_path / "b.csv", c.MAIN_COLUMNS, rows))
    assert (result.errors, result.inserted, result.skipped_blank) == ([], 1, 4)


def test_an_xlsx_exported_by_google_sheets_with_numeric_cells_imports(
    container: Container, tmp_path: Path
) -> None:
    good = row(valid_entry(Email=TEAM[0]))
    rows: list[list[Any]] = [[7, *good[1:]], [8.0, *good[1:]]]
    rows[1][c.MAIN_COLUMNS.index(c.VIDEO_ID)] = None
    result = container.transfer.import_entries(
        write_file(tmp_path / "g.xlsx", c.MAIN_COLUMNS, rows)
    )
    assert (result.errors, result.inserted) == ([], 2)
    assert [e[c.SR_NO] for e in container.entries.legacy_list()["data"]] == ["7", "8"]


# The re-edit tab's shape -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_file_shaped_like_the_reedit_tab_imports_as_reedit_entries(
    container: Container, tmp_path: Path, suffix: str
) -> None:
    records = [
        reedit_entry(**{"Sr no.": str(n), "Email": TEAM[n % 3], "Video Link": DRIVE.format(n)})
        for n in (1, 2, 3)
    ]
    path = write_file(
        tmp_path / f"drive-links.{suffix}",
        c.REEDIT_COLUMNS,
        [row(r, c.REEDIT_COLUMNS) for r in records],
    )
    result = container.transfer.import_entries(path)
    assert (result.errors, result.inserted) == ([], 3)
    body = container.entries.legacy_list()
    assert (body["finalCount"], body["reEditCount"]) == (0, 3)
    assert all(list(r)[:10] == list(c.REEDIT_COLUMNS) for r in body["data"])
    assert body["data"][0][c.VIDEO_ID] == "1AbCdEfGhIjKlMnOpQrStUvWxYz012301"


def test_a_reedit_tab_file_keeps_the_editor_columns_it_does_not_have(
    container: Container, tmp_path: Path
) -> None:
    entry = container.entries.add(
        SYSTEM, reedit_entry(Email=TEAM[0], **{"Editor Brief": "keep this brief"})
    )
    record = {**reedit_entry(Email=TEAM[0]), c.SR_NO: entry[c.SR_NO], c.EXAM: "CGL"}
    path = write_file(tmp_path / "r.csv", c.REEDIT_COLUMNS, [row(record, c.REEDIT_COLUMNS)])
    assert container.transfer.import_entries(path).updated == 1
    stored = container.entries.get(entry["id"])
    assert stored[c.EXAM] == "CGL"
    with container.db.read() as session:
        stored_row = entries_repo.get_by_id(session, entry["id"])
    assert stored_row is not None and stored_row.editor_brief == "keep this brief"


# The command line ------------------------------------------------------------------------------


@pytest.fixture
def cli_env(
    container: Container, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("ADDA_DATABASE_URL", database_url)
    monkeypatch.setenv("ADDA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ADDA_JWT_SECRET", "cli-test-secret-" + "y" * 40)
    monkeypatch.setenv("ADDA_ENVIRONMENT", "test")
    monkeypatch.delenv("ADDA_REDIS_URL", raising=False)
    return CliRunner()


def test_cli_export_and_import_round_trip(
    cli_env: CliRunner, container: Container, database_url: str, tmp_path: Path
) -> None:
    seed_realistic(container)
    before = listed(container)
    exported = cli_env.invoke(app, ["export", str(tmp_path / "all.xlsx")])
    assert exported.exit_code == 0, exported.output
    assert "Exported 16 entries" in exported.stdout

    reset(database_url)
    container.taxonomy.load_packaged()
    imported = cli_env.invoke(app, ["import", str(tmp_path / "all.xlsx")])
    assert imported.exit_code == 0, imported.output
    assert "inserted" in imported.stdout and "16" in imported.stdout
    assert len(listed(container)) == len(before)


def test_cli_import_of_a_file_with_bad_rows_prints_each_and_writes_nothing(
    cli_env: CliRunner, container: Container, tmp_path: Path
) -> None:
    good = valid_entry(Email=TEAM[0])
    rows = [row(good), row({**good, c.VERTICAL: "Astrology"}), row({**good, c.SR_NO: "x1"})]
    path = write_file(tmp_path / "bad.csv", c.MAIN_COLUMNS, rows)
    result = cli_env.invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    assert "line 3: Vertical Name: 'Vertical Name' must be one of:" in result.stderr
    assert "line 4: Sr no.: 'Sr no.' must be a whole number" in result.stderr
    assert "2 bad row(s) in bad.csv; nothing was imported" in result.stderr
    assert listed(container) == []


def test_cli_refuses_a_file_with_an_unknown_column(
    cli_env: CliRunner, container: Container, tmp_path: Path
) -> None:
    path = write_file(tmp_path / "cols.csv", ["Sr No.", *c.MAIN_COLUMNS[1:]], [])
    result = cli_env.invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    assert "unknown column 'Sr No.'" in result.stderr
