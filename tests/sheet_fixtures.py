"""Fixtures for the dashboard's spreadsheet pages: the Sheets stand-in (one per test process)
and an app whose spreadsheet is the stand-in's, over the emptied test database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.roles import Role
from tests.http.auth_support import client_of, headers_of
from tests.sheet_support import TeamSheet, load, sheet_container
from tests.sheets_standin import SheetsStandIn


@dataclass
class SheetStack:
    container: Container
    client: TestClient
    standin: SheetsStandIn

    def headers(self, role: Role = Role.admin) -> dict[str, str]:
        return headers_of(self.container, role)

    def load(self, sheet: TeamSheet) -> None:
        load(self.standin, sheet)


@pytest.fixture(scope="session")
def sheets_standin() -> Iterator[SheetsStandIn]:
    with SheetsStandIn(spreadsheet_id="1AddaTeamSpreadsheet") as standin:
        yield standin


@pytest.fixture(scope="session")
def sheets_key(sheets_standin: SheetsStandIn, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sheets_standin.key_file(tmp_path_factory.mktemp("sheets-key") / "key.json")


@pytest.fixture
def sheet_stack(
    database_url: str, var_dir: Path, sheets_standin: SheetsStandIn, sheets_key: Path
) -> Iterator[SheetStack]:
    sheets_standin.heal()
    with sheets_standin.lock:
        sheets_standin.calls.clear()
        sheets_standin.sheet.tabs.clear()
    with (
        sheet_container(database_url, var_dir, sheets_standin, sheets_key) as container,
        client_of(container) as client,
    ):
        yield SheetStack(container, client, sheets_standin)
