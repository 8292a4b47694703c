"""The Google Sheets v4 API for one spreadsheet (see ``client``), and what it hands back."""

from __future__ import annotations

from adda_dashboard.adapters.sheets.client import SheetsClient, sheets_client_factory
from adda_dashboard.adapters.sheets.types import (
    AppendedRows,
    RetryPolicy,
    SheetsError,
    SheetsNotConfigured,
    SheetsRefused,
    SheetsUnavailable,
    SpreadsheetInfo,
    TabInfo,
    a1,
    column_letters,
)

__all__ = [
    "AppendedRows",
    "RetryPolicy",
    "SheetsClient",
    "SheetsError",
    "SheetsNotConfigured",
    "SheetsRefused",
    "SheetsUnavailable",
    "SpreadsheetInfo",
    "TabInfo",
    "a1",
    "column_letters",
    "sheets_client_factory",
]
