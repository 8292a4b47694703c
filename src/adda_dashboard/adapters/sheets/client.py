"""One Google spreadsheet through the Sheets v4 API, with Google's own client and a service account.

The import reads through it, and the mirror writes through it; every call names tabs by title in
A1 notation (``'Drive Links'!A1:Z``), which is what the API wants, so callers first look titles
up by gid in ``metadata()``.

* The googleapiclient service object and its httplib2 transport are not thread-safe: each thread
  builds its own once and keeps it (a pool of one per thread), and one whose connection failed is
  dropped so the thread builds a fresh one next time. The service-account credentials are shared;
  their token is fetched from the key's ``token_uri`` (tests point it at a local server) and
  refreshed by the transport on expiry or a 401.
* Errors reach callers as two kinds, in plain words: ``SheetsUnavailable`` (429, 5xx, no
  connection: worth trying again later) and ``SheetsRefused`` (anything else: a wrong id, a sheet
  not shared with the service account, a bad range). Reads are retried with exponential backoff
  and jitter (``RetryPolicy``); writes never are, since an append sent twice appends twice: the
  caller decides.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from adda_dashboard.adapters.sheets.types import (
    UPDATED_RANGE,
    AppendedRows,
    RetryPolicy,
    SheetsError,
    SheetsNotConfigured,
    SheetsRefused,
    SheetsUnavailable,
    SpreadsheetInfo,
    TabInfo,
    a1,
    not_configured,
    row_runs,
    rows_of,
)
from adda_dashboard.settings import Settings

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
HTTP_TIMEOUT_S = 60
# What the import reads: the text each cell shows, row by row.
READ_OPTIONS = {"majorDimension": "ROWS", "valueRenderOption": "FORMATTED_VALUE"}
METADATA_FIELDS = (
    "spreadsheetId,properties.title,"
    "sheets.properties(sheetId,title,index,gridProperties(rowCount,columnCount))"
)


class SheetsClient:
    def __init__(
        self,
        credentials: Any,
        spreadsheet_id: str,
        *,
        api_url: str = "https://sheets.googleapis.com/",
        retry: RetryPolicy | None = None,
        account: str = "",
    ) -> None:
        if not spreadsheet_id:
            raise not_configured()
        self.spreadsheet_id = spreadsheet_id
        self.api_url = api_url
        self.retry = retry or RetryPolicy()
        self.account = account  # the service account's address, for messages about sharing
        self._credentials = credentials
        self._local = threading.local()

    @classmethod
    def from_settings(cls, settings: Settings, retry: RetryPolicy | None = None) -> SheetsClient:
        if not settings.sheets_spreadsheet_id:
            raise not_configured()
        if settings.sheets_credentials_file is None:
            raise SheetsNotConfigured(
                "ADDA_SHEETS_CREDENTIALS_FILE (a service-account key file) is not set"
            )
        from google.oauth2 import service_account

        try:
            credentials = service_account.Credentials.from_service_account_file(
                str(settings.sheets_credentials_file), scopes=[SHEETS_SCOPE]
            )
        except (OSError, ValueError) as exc:
            raise SheetsNotConfigured(
                f"ADDA_SHEETS_CREDENTIALS_FILE {str(settings.sheets_credentials_file)!r} is not a "
                f"readable service-account key: {exc}"
            ) from None
        return cls(
            credentials,
            settings.sheets_spreadsheet_id,
            api_url=settings.sheets_api_url,
            retry=retry,
            account=credentials.service_account_email,
        )

    # The client, one per thread -----------------------------------------------------------------

    @property
    def service(self) -> Any:
        return self._resources()[0]

    def _resources(self) -> tuple[Any, Any, Any]:
        """This thread's service and its ``spreadsheets()`` and ``values()`` resources, kept:
        the library builds a resource's methods (and their documentation) on each call."""
        resources = getattr(self._local, "resources", None)
        if resources is None:
            service = self._build()
            sheets = service.spreadsheets()
            resources = (service, sheets, sheets.values())
            self._local.resources = resources
        return resources

    def _build(self) -> Any:
        import google_auth_httplib2
        from googleapiclient.discovery import build
        from googleapiclient.http import build_http

        transport = build_http()
        transport.timeout = HTTP_TIMEOUT_S
        http = google_auth_httplib2.AuthorizedHttp(self._credentials, http=transport)
        return build(
            "sheets",
            "v4",
            http=http,
            static_discovery=True,  # the discovery document shipped with the library
            cache_discovery=False,
            client_options={"api_endpoint": self.api_url},
        )

    @property
    def _sheets(self) -> Any:
        return self._resources()[1]

    @property
    def _values(self) -> Any:
        return self._resources()[2]

    # Reads (retried) ----------------------------------------------------------------------------

    def metadata(self) -> SpreadsheetInfo:
        """The spreadsheet's title and its tabs (gid, title, position, grid size)."""
        body = self._read(
            lambda: self._sheets.get(
                spreadsheetId=self.spreadsheet_id, fields=METADATA_FIELDS, includeGridData=False
            )
        )
        tabs = []
        for sheet in body.get("sheets", []):
            props = sheet.get("properties", {})
            grid = props.get("gridProperties", {})
            tabs.append(
                TabInfo(
                    gid=int(props.get("sheetId", 0)),
                    title=str(props.get("title", "")),
                    index=int(props.get("index", 0)),
                    row_count=int(grid.get("rowCount", 0)),
                    column_count=int(grid.get("columnCount", 0)),
                )
            )
        title = str(body.get("properties", {}).get("title", ""))
        return SpreadsheetInfo(self.spreadsheet_id, title, tuple(tabs))

    def read_tabs(self, titles: Sequence[str]) -> dict[str, list[list[str]]]:
        """Every tab named, whole, in one request: rows of cell text by title."""
        if not titles:
            return {}
        body = self._read(
            lambda: self._values.batchGet(
                spreadsheetId=self.spreadsheet_id, ranges=[a1(t) for t in titles], **READ_OPTIONS
            )
        )
        ranges = body.get("valueRanges", [])
        if len(ranges) != len(titles):
            raise SheetsRefused(
                f"Google Sheets answered {len(ranges)} ranges for the {len(titles)} tabs asked"
            )
        return {
            title: rows_of(value_range) for title, value_range in zip(titles, ranges, strict=True)
        }

    def read_range(self, cells: str) -> list[list[str]]:
        """One range in A1 notation (``a1(title, "A2:C9")``), as rows of cell text."""
        body = self._read(
            lambda: self._values.get(spreadsheetId=self.spreadsheet_id, range=cells, **READ_OPTIONS)
        )
        return rows_of(body)

    # Writes (never retried here) ----------------------------------------------------------------

    def append_rows(self, title: str, rows: Sequence[Sequence[str]]) -> AppendedRows:
        """Add rows after the tab's last row with data, as typed (``RAW``: no formulas)."""
        body = self._execute(
            self._values.append(
                spreadsheetId=self.spreadsheet_id,
                range=a1(title, "A1"),
                valueInputOption="RAW",
                insertDataOption="INSERT_ROWS",
                body={"majorDimension": "ROWS", "values": [list(r) for r in rows]},
            )
        )
        updated = str(body.get("updates", {}).get("updatedRange", ""))
        match = UPDATED_RANGE.search(updated)
        if match is None:
            raise SheetsRefused(f"Google Sheets did not say where rows were added ({updated!r})")
        first = int(match.group(1))
        return AppendedRows(first, int(match.group(2) or first))

    def update_ranges(self, data: Mapping[str, Sequence[Sequence[str]]]) -> int:
        """Write each A1 range's rows in one request (``RAW``); returns the cells written."""
        if not data:
            return 0
        body = self._execute(
            self._values.batchUpdate(
                spreadsheetId=self.spreadsheet_id,
                body={
                    "valueInputOption": "RAW",
                    "data": [
                        {
                            "range": cells,
                            "majorDimension": "ROWS",
                            "values": [list(r) for r in rows],
                        }
                        for cells, rows in data.items()
                    ],
                },
            )
        )
        return int(body.get("totalUpdatedCells", 0))

    def clear_ranges(self, ranges: Sequence[str]) -> None:
        """Empty the cells of each A1 range (the rows stay, blank)."""
        if ranges:
            self._execute(
                self._values.batchClear(
                    spreadsheetId=self.spreadsheet_id, body={"ranges": list(ranges)}
                )
            )

    def batch_update(self, requests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Structural requests (``deleteDimension``, ``insertDimension``, ...) applied together,
        all or none; returns Google's replies, one per request."""
        if not requests:
            return []
        body = self._execute(
            self._sheets.batchUpdate(
                spreadsheetId=self.spreadsheet_id, body={"requests": [dict(r) for r in requests]}
            )
        )
        return list(body.get("replies", []))

    def delete_rows(self, gid: int, row_numbers: Sequence[int]) -> int:
        """Remove these sheet rows (1 = the first) of the tab ``gid`` in one request; returns how
        many. Runs of adjacent rows become one request each, bottom first, so that no deletion
        moves a row another one names."""
        requests = [
            {
                "deleteDimension": {
                    "range": {
                        "sheetId": gid,
                        "dimension": "ROWS",
                        "startIndex": first - 1,
                        "endIndex": last,
                    }
                }
            }
            for first, last in reversed(row_runs(sorted(set(row_numbers))))
        ]
        self.batch_update(requests)
        return len(set(row_numbers))

    def rewrite_tab(self, title: str, rows: Sequence[Sequence[str]]) -> None:
        """Replace the tab's values with ``rows`` from A1: cleared, then written (two requests)."""
        self.clear_ranges([a1(title)])
        if rows:
            self.update_ranges({a1(title, "A1"): rows})

    # Calling Google -----------------------------------------------------------------------------

    def _read(self, make_request: Callable[[], Any]) -> dict[str, Any]:
        policy = self.retry
        retrying = Retrying(
            retry=retry_if_exception_type(SheetsUnavailable),
            stop=stop_after_attempt(policy.attempts),
            wait=wait_exponential_jitter(
                multiplier=policy.first_wait_s, max=policy.max_wait_s, jitter=policy.first_wait_s
            ),
            reraise=True,
        )
        return retrying(lambda: self._execute(make_request()))

    def _execute(self, request: Any) -> dict[str, Any]:
        with self._plain_errors():
            return dict(request.execute(num_retries=0) or {})

    @contextmanager
    def _plain_errors(self) -> Iterator[None]:
        """Google's and the network's exceptions as the two kinds callers handle."""
        from google.auth.exceptions import RefreshError, TransportError
        from googleapiclient.errors import HttpError
        from httplib2 import HttpLib2Error

        try:
            yield
        except HttpError as exc:
            raise self._from_answer(exc) from None
        except RefreshError as exc:
            detail = exc.args[0] if exc.args else exc
            message = f"Google refused the service account's key: {detail}"
            if getattr(exc, "retryable", False):
                raise SheetsUnavailable(message) from None
            raise SheetsRefused(message) from None
        except (TransportError, OSError, HttpLib2Error) as exc:
            self._local.resources = None  # a broken connection: this thread builds a new client
            raise SheetsUnavailable(
                f"Google Sheets could not be reached at {self.api_url}: {exc}"
            ) from None

    def _from_answer(self, exc: Any) -> SheetsError:
        status = int(exc.resp.status)
        reason = str(exc.reason or "").strip() or "no reason given"
        if status == 429 or status >= 500:
            retry_after = _seconds(exc.resp.get("retry-after"))
            kind = "is limiting requests (429)" if status == 429 else f"failed ({status})"
            return SheetsUnavailable(
                f"Google Sheets {kind}: {reason}; try again shortly", retry_after=retry_after
            )
        share = f" with {self.account}" if self.account else " with the service account"
        if status in (403, 404):
            return SheetsRefused(
                f"Google Sheets refused spreadsheet {self.spreadsheet_id} ({status}): {reason}. "
                f"Check ADDA_SHEETS_SPREADSHEET_ID and that the sheet is shared{share} as an "
                "editor"
            )
        return SheetsRefused(f"Google Sheets refused the request ({status}): {reason}")


def _seconds(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def sheets_client_factory(
    settings: Settings, retry: RetryPolicy | None = None
) -> Callable[[], SheetsClient]:
    """The spreadsheet's client, built at first use and kept (a missing setting is said then,
    not at start: the service runs without a spreadsheet). ``retry`` is how its reads are
    retried (the mirror retries whole batches itself, so it asks for one try)."""
    lock = threading.Lock()
    built: list[SheetsClient] = []

    def client() -> SheetsClient:
        with lock:
            if not built:
                built.append(SheetsClient.from_settings(settings, retry))
            return built[0]

    return client
