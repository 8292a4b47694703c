"""The team's spreadsheet as tests build it: four tabs of valid rows (entries over the whole
taxonomy, accounts with real bcrypt hashes, tickets), loaded into the Sheets stand-in or written
as a four-worksheet XLSX, and a container whose settings point at the stand-in."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import bcrypt
import openpyxl

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.sheet_tabs import CREDENTIAL_COLUMNS
from adda_dashboard.domain.taxonomy import packaged_taxonomy
from adda_dashboard.domain.video_ids import video_id_for
from adda_dashboard.services.demo import demo_record
from tests.backends import reset
from tests.http.auth_support import own_container
from tests.sheets_standin import SheetsStandIn

GIDS = {"Final": 0, "Drive Links": 1507772277, "Credentials": 1409173850, "Tickets": 699848763}
TEAM = [
    "rahul.sharma@adda247.com",
    "priya.verma@studyiq.com",
    "amit.gupta@addaeducation.com",
    "neha.singh@adda247.com",
]
BCRYPT_ROUNDS = 4  # the lowest bcrypt allows: these tests are about importing, not hashing


@dataclass
class TeamSheet:
    """Rows of each tab, header first, by tab title; the accounts' passwords in the clear."""

    tabs: dict[str, list[list[Any]]]
    passwords: dict[str, str] = field(default_factory=dict)

    def header(self, title: str) -> list[str]:
        return [str(cell) for cell in self.tabs[title][0]]

    def records(self, title: str) -> list[dict[str, str]]:
        header = self.header(title)
        return [
            {name: str(value) for name, value in zip(header, row, strict=False)}
            for row in self.tabs[title][1:]
        ]


def team_sheet(
    finals: int = 1500,
    reedits: int = 500,
    users: int = 25,
    tickets: int = 30,
    seed: int = 11,
    *,
    first_serial: int = 1,
    tag: str = "",
) -> TeamSheet:
    """``first_serial`` and ``tag`` (in account names and ticket ids) keep the rows apart from
    those of other tests sharing a database."""
    rng = random.Random(seed)
    taxonomy = SimpleNamespace(current=packaged_taxonomy())
    wanted = {c.EditStatus.final: finals, c.EditStatus.reedit: reedits}
    chosen: dict[str, list[dict[str, str]]] = {status: [] for status in wanted}
    while any(len(chosen[s]) < n for s, n in wanted.items()):
        record = demo_record(rng, taxonomy, TEAM)  # type: ignore[arg-type]
        if len(chosen[record[c.EDIT]]) < wanted[record[c.EDIT]]:
            record[c.VIDEO_ID] = video_id_for(record[c.VIDEO_LINK], record[c.EDIT])
            chosen[record[c.EDIT]].append(record)
    serials = list(range(first_serial, first_serial + finals + reedits))
    main, reedit = sorted(rng.sample(serials, finals)), []
    reedit = sorted(set(serials) - set(main))
    sheet = TeamSheet(
        {
            "Final": [list(c.MAIN_COLUMNS)]
            + [_row(r, n, c.MAIN_COLUMNS) for r, n in zip(chosen["Final"], main, strict=True)],
            "Drive Links": [list(c.REEDIT_COLUMNS)]
            + [
                _row(r, n, c.REEDIT_COLUMNS) for r, n in zip(chosen["Re-edit"], reedit, strict=True)
            ],
        }
    )
    sheet.tabs["Credentials"], sheet.passwords = _accounts(rng, users, tag)
    sheet.tabs["Tickets"] = _tickets(rng, tickets, tag)
    return sheet


def _row(record: dict[str, str], serial: int, columns: tuple[str, ...]) -> list[Any]:
    return [serial if col == c.SR_NO else record.get(col, "") for col in columns]


def _accounts(rng: random.Random, count: int, tag: str) -> tuple[list[list[Any]], dict[str, str]]:
    rows: list[list[Any]] = [list(CREDENTIAL_COLUMNS)]
    passwords = {}
    domains = ("adda247.com", "addaeducation.com", "studyiq.com")
    for n in range(count):
        email = f"member{n:02d}{tag}@{domains[n % 3]}"
        password = f"sheet password {n} {rng.randrange(10**6)}"
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()
        rows.append([f"member{n:02d}{tag}", email, hashed, hashed])
        passwords[email] = password
    return rows, passwords


def _tickets(rng: random.Random, count: int, tag: str) -> list[list[Any]]:
    taxonomy = packaged_taxonomy()
    rows: list[list[Any]] = [list(c.TICKET_COLUMNS)]
    for n in range(count):
        vertical_name = rng.choice(taxonomy.verticals)
        vertical = taxonomy.vertical(vertical_name) or {"exams": [], "subjects": []}
        rows.append(
            [
                f"TKT-{1_712_000_000_000 + n * 3_600_000}-{rng.randrange(1000)}{tag}",
                vertical_name,
                rng.choice(vertical["exams"]),
                rng.choice(vertical["subjects"]),
                rng.choice(c.ISSUE_TYPES),
                c.TICKET_STATUSES[n % len(c.TICKET_STATUSES)],
                f"Row {n} needs a look: लिंक गलत है",
            ]
        )
    return rows


def load(standin: SheetsStandIn, sheet: TeamSheet) -> None:
    """The sheet's tabs into the stand-in, replacing any it holds."""
    with standin.lock:
        standin.sheet.tabs.clear()
    for title, rows in sheet.tabs.items():
        standin.add_tab(title, GIDS[title], rows)


def write_workbook(path: Path, sheet: TeamSheet, titles: dict[str, str] | None = None) -> Path:
    """Every tab as a worksheet (numbers as numbers, as Google's XLSX download has them)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheet.tabs.items():
        worksheet = workbook.create_sheet((titles or {}).get(title, title))
        for row in rows:
            worksheet.append(row)
    workbook.save(path)
    return path


@contextmanager
def sheet_container(
    database_url: str, var_dir: Path, standin: SheetsStandIn, key: Path, **settings: Any
) -> Iterator[Container]:
    """A container over the emptied test database whose spreadsheet is the stand-in's."""
    reset(database_url)
    with own_container(
        database_url,
        var_dir,
        sheets_spreadsheet_id=standin.spreadsheet_id,
        sheets_credentials_file=key,
        sheets_api_url=standin.endpoint,
        **settings,
    ) as container:
        yield container
