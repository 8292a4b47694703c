"""``adda-dashboard sheets ...``: moving the team off the Google spreadsheet from the command line.

``sheets import`` reads the four tabs through the Sheets API (or from ``--xlsx FILE``), checks
every row and writes them all in one transaction, or nothing; ``--dry-run`` prints what would
change and writes nothing. It acts as the system (an admin), as the file import does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from adda_dashboard.domain.roles import SYSTEM
from adda_dashboard.errors import AppError
from adda_dashboard.services.sheet_import import SheetImportReport

sheets_app = typer.Typer(help="Move the team off the Google spreadsheet.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@sheets_app.command("import")
def import_sheet(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing")
    ] = False,
    xlsx: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            readable=True,
            help="Read the four tabs from this workbook instead of the Sheets API",
        ),
    ] = None,
) -> None:
    """Import entries, users and tickets from the spreadsheet: all rows or none.

    Entries are matched by "Sr no.", users by email and tickets by "Ticket ID", so importing
    again changes only what changed in the sheet.
    """
    from adda_dashboard.cli import fail, open_container  # cli.py registers this group

    container = open_container()
    try:
        service = container.sheet_import
        if xlsx is not None:
            report = service.from_workbook(SYSTEM, xlsx, dry_run=dry_run)
        else:
            report = service.from_spreadsheet(SYSTEM, dry_run=dry_run)
    except AppError as exc:
        raise fail(exc) from None
    finally:
        container.close()
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def print_report(report: SheetImportReport) -> None:
    """The counts per tab, then every refused row (on stderr) and the outcome in one line."""
    if report.committed:
        title = f"Imported the {report.source}"
    else:
        title = f"Checked the {report.source}" + (": nothing written" if report.dry_run else "")
    table = Table(title=escape(title))
    for heading in ("tab", "inserted", "updated", "unchanged", "blank rows", "refused"):
        table.add_column(heading, justify="left" if heading == "tab" else "right")
    for tab in report.tabs:
        table.add_row(
            escape(f"{tab.title} ({tab.label})"),
            str(tab.inserted),
            str(tab.updated),
            str(tab.unchanged),
            str(tab.skipped_blank),
            str(tab.refused),
        )
    console.print(table)
    for error in report.errors:
        where = f"'{error.tab}' row {error.row}" + (f": {error.field}" if error.field else "")
        err.print(escape(f"{where}: {error.message}"), soft_wrap=True)
    if report.errors:
        err.print(
            f"[red]error:[/red] {len(report.errors)} bad row(s); nothing was imported. Fix them "
            "in the sheet and run the import again."
        )
    elif report.dry_run:
        console.print("Dry run: nothing was written. Run without --dry-run to import.")


@sheets_app.command("push")
def push_sheet() -> None:
    """Rewrite the main, Drive Links and tickets tabs whole from the database, below each
    tab's header row (first setup of the mirror, or repair); the credentials tab is never
    written."""
    from adda_dashboard.cli import fail, open_container

    container = open_container()
    try:
        assert container.sheet_mirror_admin is not None
        written = container.sheet_mirror_admin.rewrite()
    except AppError as exc:
        raise fail(exc) from None
    finally:
        container.close()
    for title, count in written.items():
        console.print(f"{escape(title)}: {count} rows")


@sheets_app.command("status")
def sheet_status() -> None:
    """The mirror: last push, changes waiting and the oldest one's age, last pull, last error."""
    from adda_dashboard.cli import open_container

    container = open_container()
    try:
        assert container.sheet_mirror_admin is not None
        status = container.sheet_mirror_admin.status().as_dict()
    finally:
        container.close()
    for name, value in status.items():
        if name != "problems":
            console.print(f"{name}: {escape(str(value))}")
    for problem in status["problems"]:
        console.print(f"[red]problem:[/red] {escape(problem)}")
