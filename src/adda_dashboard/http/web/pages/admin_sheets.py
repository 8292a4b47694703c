"""Dashboard pages: moving the team off the Google spreadsheet (admins only).

Two sources, the same two steps: Check runs the import as a dry run and shows what each tab
would insert, update or leave unchanged, and every bad row; Import then writes it, all or
nothing. The report carries the fingerprint of what was checked, and Import sends it back, so a
sheet changed in between (or another file chosen) is refused rather than imported unseen. A
workbook is uploaded again with Import rather than kept on the server between the two steps:
nothing is left behind on disk, and any server of several can answer either step.

Rules live in the import service; these routes turn uploads and forms into its calls and its
reports into HTML. Writes come from htmx, which sends the anti-forgery header.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, Request
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from adda_dashboard.bootstrap import Container
from adda_dashboard.domain.bounds import ascii_digits
from adda_dashboard.domain.roles import Actor
from adda_dashboard.errors import AppError, Invalid, PayloadTooLarge
from adda_dashboard.http.deps import ContainerDep, CurrentActor
from adda_dashboard.http.web.forms import form_fields
from adda_dashboard.http.web.templating import is_htmx, render
from adda_dashboard.services.sheet_import import SheetImportReport

router = APIRouter(prefix="/ui/admin/sheets", include_in_schema=False)

PAGE = "admin/sheets.html"
REPORT = "admin/_sheet_report.html"
FILE_FIELD = "file"
CHECKED_FIELD = "checked"
MAX_WORKBOOK_BYTES = 25 * 1024 * 1024
_DIGEST = re.compile(r"[0-9a-f]{64}")
# Where each source's report is shown on the page.
REGIONS = {"spreadsheet": "sheet-report", "workbook": "workbook-report"}


def spreadsheet_facts(container: Container) -> dict[str, Any]:
    """What the page says about the configured spreadsheet; nothing here calls Google."""
    settings = container.settings
    facts: dict[str, Any] = {
        "spreadsheet_id": settings.sheets_spreadsheet_id,
        "gids": {
            "Main tab": settings.sheets_main_gid,
            "Drive Links": settings.sheets_reedit_gid,
            "Credentials": settings.sheets_credentials_gid,
            "Tickets": settings.sheets_tickets_gid,
        },
        "account": None,
        "problem": None,
    }
    try:
        facts["account"] = container.sheets().account
    except AppError as exc:
        facts["problem"] = exc.message
    admin = container.sheet_mirror_admin
    if admin is not None:  # the database's own figures: still no call to Google
        facts["mirror"] = admin.status().as_dict()
        facts["conflicts"] = admin.conflicts()
    return facts


@router.get("")
def sheets_page(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    container.sheet_import.check_may_import(actor)
    context = {"sheet": spreadsheet_facts(container), "max_mb": MAX_WORKBOOK_BYTES // 2**20}
    return render(request, PAGE, context, actor=actor)


def _answer(
    request: Request, actor: Actor, container: Container, report: SheetImportReport, source: str
) -> Response:
    """The report in its region (htmx) or the whole page around it; a refused import is 422."""
    status = 422 if not report.dry_run and not report.ok else 200
    context = {"report": report, "source": source, "region": REGIONS[source]}
    if is_htmx(request):
        return render(request, REPORT, context, actor=actor, status_code=status)
    context.update(sheet=spreadsheet_facts(container), max_mb=MAX_WORKBOOK_BYTES // 2**20)
    return render(request, PAGE, context, actor=actor, status_code=status)


def checked_digest(value: str | None) -> str:
    if not value:
        raise Invalid(
            "Check the spreadsheet first: Import imports what Check showed", field=CHECKED_FIELD
        )
    if not _DIGEST.fullmatch(value):
        raise Invalid(
            "'checked' is not the fingerprint a check shows: check again", field=CHECKED_FIELD
        )
    return value


@router.post("/check")
async def check_spreadsheet(
    request: Request, actor: CurrentActor, container: ContainerDep
) -> Response:
    service = container.sheet_import
    report = await run_in_threadpool(lambda: service.from_spreadsheet(actor, dry_run=True))
    return _answer(request, actor, container, report, "spreadsheet")


@router.post("/import")
async def import_spreadsheet(
    request: Request, actor: CurrentActor, container: ContainerDep
) -> Response:
    service = container.sheet_import
    service.check_may_import(actor)
    digest = checked_digest((await form_fields(request)).get(CHECKED_FIELD))
    report = await run_in_threadpool(
        lambda: service.from_spreadsheet(actor, dry_run=False, expected_digest=digest)
    )
    return _answer(request, actor, container, report, "spreadsheet")


@router.post("/xlsx/check")
async def check_workbook(
    request: Request, actor: CurrentActor, container: ContainerDep
) -> Response:
    return await _workbook(request, actor, container, dry_run=True)


@router.post("/xlsx/import")
async def import_workbook(
    request: Request, actor: CurrentActor, container: ContainerDep
) -> Response:
    return await _workbook(request, actor, container, dry_run=False)


async def _workbook(
    request: Request, actor: Actor, container: Container, *, dry_run: bool
) -> Response:
    """The uploaded workbook, kept in a temporary folder for this request only."""
    service = container.sheet_import
    service.check_may_import(actor)  # before anything is read from the body
    with tempfile.TemporaryDirectory(prefix="adda-workbook-") as folder:
        path, name, fields = await receive_workbook(request, Path(folder))
        digest = None if dry_run else checked_digest(fields.get(CHECKED_FIELD))
        report = await run_in_threadpool(
            lambda: service.from_workbook(
                actor, path, dry_run=dry_run, expected_digest=digest, name=name
            )
        )
    return _answer(request, actor, container, report, "workbook")


async def _capped(request: Request) -> AsyncIterator[bytes]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_WORKBOOK_BYTES:
            raise _too_large()
        yield chunk


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The workbook is larger than {MAX_WORKBOOK_BYTES // 2**20} MB", field=FILE_FIELD
    )


async def receive_workbook(request: Request, folder: Path) -> tuple[Path, str, dict[str, str]]:
    """The upload's workbook saved under ``folder``, its file name and the form's other fields."""
    declared = request.headers.get("content-length")
    if declared and ascii_digits(declared) and int(declared) > MAX_WORKBOOK_BYTES:
        raise _too_large()
    kind, _options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data":
        raise Invalid("Expected a file upload (multipart/form-data)", field="body")
    parser = MultiPartParser(
        request.headers, _capped(request), max_files=1, max_fields=8, max_part_size=64 * 1024
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise Invalid(f"The upload is not a valid form: {exc.message}", field="body") from None
    try:
        upload = form.get(FILE_FIELD)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid("Choose the workbook (.xlsx) to upload", field=FILE_FIELD)
        name = PurePath(upload.filename.replace("\\", "/")).name[:200] or "workbook.xlsx"
        if not name.lower().endswith(".xlsx"):
            raise Invalid(f"'{name}' is not a .xlsx workbook", field=FILE_FIELD)
        path = folder / "workbook.xlsx"
        with path.open("wb") as target:
            while chunk := await upload.read(1024 * 1024):
                target.write(chunk)
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
        return path, name, fields
    finally:
        await form.close()
