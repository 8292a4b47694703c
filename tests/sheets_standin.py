"""A local stand-in for the Google Sheets v4 REST API and Google's OAuth token endpoint.

A real HTTP server on 127.0.0.1 that Google's own client talks to unchanged (the adapter's API
root points here, the service-account key's ``token_uri`` at ``/token``). It keeps one
spreadsheet of tabs (``sheets_grid.Tab``) and answers what the adapter calls:

* ``GET v4/spreadsheets/{id}`` (metadata), ``:batchUpdate`` (deleteDimension, insertDimension,
  appendDimension; all or none);
* ``values:batchGet``, ``values/{range}`` GET and PUT, ``values:batchUpdate``,
  ``values/{range}:append``, ``values:batchClear``, ``values/{range}:clear``.

The token endpoint checks the service-account JWT (signature by a key it issued, audience,
scope) and hands out access tokens; every API request must carry one (``revoke_tokens`` makes
the client refresh). ``fail`` makes it answer an error status for a number of requests or a
while; ``write_limit_per_minute`` answers 429 past a budget, as Google's quota does; ``hold``
keeps back the next request of a method (a write applied with its answer withheld, or never
applied), so a client can be stopped at that moment; every call is recorded in ``calls`` and
write requests are counted per minute.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests import sheets_grid as grid
from tests.sheets_faults import Fault, Hold
from tests.sheets_grid import GridError, Spreadsheet, Tab
from tests.sheets_methods import WRITES, answer_read, apply_write, route

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth addresses the assertion to Google's token endpoint whatever the key's token_uri.
GOOGLE_AUDIENCE = "https://oauth2.googleapis.com/token"
GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass
class Call:
    method: str  # the API method, e.g. "values.batchGet"
    params: dict[str, list[str]]
    body: Any
    at: float


@functools.cache
def _private_key() -> Any:
    """One RSA key per test process: generating one costs a noticeable fraction of a second."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class SheetsStandIn:
    def __init__(self, spreadsheet_id: str = "standin-spreadsheet", title: str = "Adda") -> None:
        self.sheet = Spreadsheet(spreadsheet_id, title)
        self.calls: list[Call] = []
        self.token_requests = 0
        self.write_limit_per_minute: int | None = None
        self.latency_s = 0.0
        self.lock = threading.RLock()
        self._faults: list[Fault] = []
        self._holds: list[Hold] = []
        self._writes: deque[float] = deque()
        self._tokens: set[str] = set()
        self._keys: dict[str, Any] = {}  # private_key_id -> public key
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.standin = self
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # Set-up and inspection ----------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The API root, as ``ADDA_SHEETS_API_URL`` takes it."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def token_uri(self) -> str:
        return f"{self.endpoint}token"

    @property
    def spreadsheet_id(self) -> str:
        return self.sheet.spreadsheet_id

    def add_tab(
        self,
        title: str,
        gid: int,
        rows: list[list[Any]] | None = None,
        *,
        index: int | None = None,
    ) -> Tab:
        rows = [list(row) for row in rows or []]
        tab = Tab(
            gid,
            title,
            rows,
            row_count=max(grid.DEFAULT_ROWS, len(rows)),
            column_count=max(grid.DEFAULT_COLUMNS, max((len(r) for r in rows), default=0)),
        )
        with self.lock:
            if any(t.gid == gid or t.title == title for t in self.sheet.tabs):
                raise ValueError(f"a tab with gid {gid} or title {title!r} exists")
            self.sheet.tabs.insert(len(self.sheet.tabs) if index is None else index, tab)
        return tab

    def tab(self, title: str) -> Tab:
        with self.lock:
            return next(t for t in self.sheet.tabs if t.title == title)

    def values(self, title: str) -> list[list[str]]:
        """The tab's rows as the API reads them whole (text, trailing blanks left out)."""
        with self.lock:
            tab = self.tab(title)
            body = grid.read(tab, grid.Bounds(1, 1, None, None), title, "FORMATTED_VALUE")
        return body.get("values", [])

    def methods(self) -> list[str]:
        with self.lock:
            return [call.method for call in self.calls]

    def service_account_key(self, name: str = "importer") -> dict[str, str]:
        """A new service-account key whose token endpoint is this server's, trusted by it."""
        from cryptography.hazmat.primitives import serialization

        key = _private_key()
        key_id = f"standin-key-{len(self._keys) + 1}"
        self._keys[key_id] = key.public_key()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": "adda-standin",
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": f"{name}@adda-standin.iam.gserviceaccount.com",
            "client_id": "1234567890",
            "token_uri": self.token_uri,
        }

    def key_file(self, path: Path, name: str = "importer") -> Path:
        path.write_text(json.dumps(self.service_account_key(name)))
        return path

    # Behaviour ---------------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        times: int | None = 1,
        seconds: float | None = None,
        on: str = "api",
        retry_after: str | None = None,
    ) -> None:
        """Answer ``status`` to the next ``times`` requests of a kind (``api``, ``reads``,
        ``writes``, ``token``), or to all of them for ``seconds``."""
        until = time.monotonic() + seconds if seconds is not None else None
        with self.lock:
            self._faults.append(
                Fault(status, on, None if seconds is not None else times, until, retry_after)
            )

    def hold(self, method: str, *, applied: bool) -> Hold:
        """Keep back the next request of ``method`` (e.g. ``values.append``)."""
        held = Hold(method, applied)
        with self.lock:
            self._holds.append(held)
        return held

    def heal(self) -> None:
        """No more faults, and every held request let go."""
        with self.lock:
            self._faults.clear()
            holds, self._holds = self._holds, []
        for held in holds:
            held.released.set()

    def revoke_tokens(self) -> None:
        """Every access token handed out stops working (the client must fetch a new one)."""
        with self.lock:
            self._tokens.clear()

    def writes_in_last_minute(self, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self.lock:
            return sum(1 for at in self._writes if at > now - 60)

    def __enter__(self) -> SheetsStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # Requests ----------------------------------------------------------------------------------

    def fault_for(self, kind: str) -> Fault | None:
        now = time.monotonic()
        with self.lock:
            for fault in self._faults:
                if fault.applies(kind, now):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def take_hold(self, method: str) -> Hold | None:
        with self.lock:
            held = next((h for h in self._holds if h.method == method), None)
            if held is not None:
                self._holds.remove(held)
            return held

    def issue_token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        import jwt

        with self.lock:
            self.token_requests += 1
        if form.get("grant_type", [""])[0] != JWT_GRANT:
            return 400, {"error": "unsupported_grant_type", "error_description": "Bad grant"}
        assertion = form.get("assertion", [""])[0]
        try:
            key_id = jwt.get_unverified_header(assertion).get("kid", "")
            claims = jwt.decode(
                assertion, self._keys[key_id], algorithms=["RS256"], audience=GOOGLE_AUDIENCE
            )
        except (jwt.PyJWTError, KeyError):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if SHEETS_SCOPE not in str(claims.get("scope", "")).split():
            return 400, {"error": "invalid_scope", "error_description": "No Sheets scope."}
        token = f"ya29.standin-{self.token_requests}"
        with self.lock:
            self._tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        with self.lock:
            return scheme == "Bearer" and token in self._tokens

    def over_write_budget(self) -> bool:
        """Counts this write; True when it is past the budget of the last 60 seconds."""
        now = time.monotonic()
        with self.lock:
            while self._writes and self._writes[0] <= now - 60:
                self._writes.popleft()
            over = (
                self.write_limit_per_minute is not None
                and len(self._writes) >= self.write_limit_per_minute
            )
            self._writes.append(now)
            return over

    def answer(self, method: str, params: dict[str, list[str]], body: Any) -> dict[str, Any]:
        """The API's answer to one authorized call; raises ``GridError`` for a refusal."""
        with self.lock:
            self.calls.append(Call(method, params, body, time.monotonic()))
            if method in WRITES:
                return self._write(method, params, body)
            return answer_read(self.sheet, method, params)

    def _write(self, method: str, params: dict[str, list[str]], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise GridError(400, "Invalid JSON payload received.")
        # All or none: a refused request leaves the spreadsheet as it was.
        working = copy.deepcopy(self.sheet.tabs)
        answer = apply_write(working, method, params, body)
        self.sheet.tabs = working
        return {"spreadsheetId": self.spreadsheet_id, **answer}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: SheetsStandIn


class _Handler(BaseHTTPRequestHandler):
    """One request; the stand-in it answers for is the server's ``standin``."""

    server: _Server

    @property
    def standin(self) -> SheetsStandIn:
        return self.server.standin

    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        google = GOOGLE_STATUS.get(status, "UNKNOWN")
        body = {"error": {"code": status, "message": message, "status": google}}
        self._send(status, body, headers)

    def _serve(self, http_method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        if self.standin.latency_s:
            time.sleep(self.standin.latency_s)
        if parts.path == "/token" and http_method == "POST":
            self._token(raw)
            return
        found = route(parts.path, http_method)
        if found is None:
            self._error(404, f"No route for {http_method} {parts.path}")
            return
        method, sheet_id, path_params = found
        self._api(method, sheet_id, {**parse_qs(parts.query), **path_params}, raw)

    def _token(self, raw: bytes) -> None:
        fault = self.standin.fault_for("token")
        if fault is not None:
            self._send(fault.status, {"error": "temporarily_unavailable"})
            return
        status, body = self.standin.issue_token(parse_qs(raw.decode()))
        self._send(status, body)

    def _api(self, method: str, sheet_id: str, params: dict[str, list[str]], raw: bytes) -> None:
        kind = "writes" if method in WRITES else "reads"
        fault = self.standin.fault_for(kind)
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            self._error(fault.status, f"The stand-in answers {fault.status}", headers)
            return
        if not self.standin.authorized(self.headers.get("Authorization", "")):
            self._error(401, "Request had invalid authentication credentials.")
            return
        if sheet_id != self.standin.spreadsheet_id:
            self._error(404, "Requested entity was not found.")
            return
        if kind == "writes" and self.standin.over_write_budget():
            self._error(
                429,
                "Quota exceeded for quota metric 'Write requests' and limit 'Write requests "
                "per minute per user' of service 'sheets.googleapis.com'",
            )
            return
        held = self.standin.take_hold(method)
        if held is not None and not held.applied:
            held.keep()
            self.close_connection = True  # no answer: the sheet never saw the request
            return
        try:
            body = json.loads(raw) if raw else None
            answer = self.standin.answer(method, params, body)
        except GridError as exc:
            self._error(exc.status, exc.message)
            return
        except (KeyError, ValueError, TypeError) as exc:
            self._error(400, f"Invalid request: {exc!r}")
            return
        if held is None:
            self._send(200, answer)
            return
        held.keep()
        try:
            self._send(200, answer)
        except OSError:  # the client is gone (stopped while it waited)
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")
