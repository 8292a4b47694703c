"""The move off the Google spreadsheet: its four tabs, read whole through the Sheets API (tabs by
gid) or from a workbook (worksheets by title), every row checked by the API's own rules, then
written in one transaction, or nothing at all when any row is refused. A dry run says what would
be inserted, updated or left unchanged, tab by tab, and every refused row, and writes nothing.

Keys, so that a second import duplicates nothing: entries by ``Sr no.`` across both entry tabs
(as the file import, whose planning and writing this reuses), accounts by email, tickets by
``Ticket ID``. What each tab's rows become is in ``sheet_rows``.

``SheetTables.digest`` fingerprints what was read: the dashboard's Import button sends back the
digest its Check showed, and the import refuses to go on if the sheet changed in between, so what
is imported is what the admin looked at.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from sqlalchemy.orm import Session

from adda_dashboard.adapters.sheets import SheetsClient
from adda_dashboard.adapters.table_files import read_workbook
from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import counters
from adda_dashboard.domain import columns as c
from adda_dashboard.domain import sheet_tabs as tabs
from adda_dashboard.domain.roles import Actor
from adda_dashboard.domain.sheet_tabs import TabKind
from adda_dashboard.errors import AppError, Conflict
from adda_dashboard.services import sheet_rows as rows_of
from adda_dashboard.services.sheet_rows import SheetRowError
from adda_dashboard.services.taxonomy import TaxonomyService
from adda_dashboard.services.transfer import EntryChange, ImportRow, TransferService
from adda_dashboard.services.users import require_admin

ENTRY_TABS = (TabKind.main, TabKind.reedit)


@dataclass(frozen=True)
class SheetTables:
    """The four tabs as read: each kind's title and rows of cell text."""

    source: str
    titles: Mapping[TabKind, str]
    tables: Mapping[TabKind, list[list[str]]]

    @property
    def digest(self) -> str:
        content = [[kind.value, self.titles[kind], self.tables[kind]] for kind in TabKind]
        return hashlib.sha256(orjson.dumps(content)).hexdigest()


@dataclass
class TabReport:
    kind: TabKind
    title: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_blank: int = 0
    refused: int = 0

    @property
    def label(self) -> str:
        return tabs.LABELS[self.kind]


@dataclass
class SheetImportReport:
    source: str
    dry_run: bool
    digest: str
    tabs: list[TabReport]
    errors: list[SheetRowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def committed(self) -> bool:
        return self.ok and not self.dry_run

    def tab(self, kind: TabKind) -> TabReport:
        return next(report for report in self.tabs if report.kind is kind)

    def refuse_for(self, kind: TabKind) -> rows_of.Refuse:
        """How rows of one tab are refused: the error, and the tab's count of them."""
        report = self.tab(kind)

        def refuse(row: int, column: str | None, message: str) -> None:
            report.refused += 1
            self.errors.append(SheetRowError(report.title, row, column, message))

        return refuse


@dataclass
class Parsed:
    entries: dict[TabKind, list[ImportRow]] = field(default_factory=dict)
    accounts: list[rows_of.AccountRow] = field(default_factory=list)
    tickets: list[rows_of.TicketRow] = field(default_factory=list)


@dataclass
class Plan:
    entries: dict[TabKind, list[EntryChange]] = field(default_factory=dict)
    accounts: list[rows_of.AccountChange] = field(default_factory=list)
    tickets: list[rows_of.TicketChange] = field(default_factory=list)


class SheetImportService:
    def __init__(
        self,
        db: Database,
        taxonomy: TaxonomyService,
        transfer: TransferService,
        sheets: Callable[[], SheetsClient],
        *,
        gids: Mapping[TabKind, int],
        main_tab_title: str = "",
    ) -> None:
        self._db = db
        self._taxonomy = taxonomy
        self._transfer = transfer
        self._sheets = sheets
        self._gids = dict(gids)
        self._main_tab_title = main_tab_title

    @staticmethod
    def check_may_import(actor: Actor) -> None:
        """Only admins: the import makes accounts as well as entries."""
        require_admin(actor, "import the team's spreadsheet")

    def from_spreadsheet(
        self, actor: Actor, *, dry_run: bool, expected_digest: str | None = None
    ) -> SheetImportReport:
        """Import (or, with ``dry_run``, check) the configured Google spreadsheet."""
        self.check_may_import(actor)
        return self.run(actor, self.read_spreadsheet(), dry_run, expected_digest)

    def from_workbook(
        self,
        actor: Actor,
        path: Path,
        *,
        dry_run: bool,
        expected_digest: str | None = None,
        name: str | None = None,
    ) -> SheetImportReport:
        """``name``: the file's name as uploaded, for the report (the path may be temporary)."""
        self.check_may_import(actor)
        return self.run(actor, self.read_workbook(path, name), dry_run, expected_digest)

    def read_spreadsheet(self) -> SheetTables:
        """The four tabs through the API: the titles by gid, then all of them in one read."""
        client = self._sheets()
        info = client.metadata()
        titles = tabs.tabs_by_gid([(t.gid, t.title) for t in info.tabs], self._gids)
        read = client.read_tabs(list(dict.fromkeys(titles.values())))
        source = f"Google spreadsheet '{info.title}' ({client.spreadsheet_id})"
        return SheetTables(source, titles, {kind: read[title] for kind, title in titles.items()})

    def read_workbook(self, path: Path, name: str | None = None) -> SheetTables:
        """The four tabs of an XLSX workbook, its worksheets found by title."""
        sheets = dict(read_workbook(path))
        titles = tabs.tabs_by_title(list(sheets), self._main_tab_title)
        source = f"workbook '{name or path.name}'"
        return SheetTables(source, titles, {kind: sheets[title] for kind, title in titles.items()})

    def run(
        self,
        actor: Actor,
        tables: SheetTables,
        dry_run: bool,
        expected_digest: str | None = None,
    ) -> SheetImportReport:
        """Check every row of every tab, then write them all in one transaction, or none."""
        self.check_may_import(actor)
        if expected_digest is not None and expected_digest != tables.digest:
            raise Conflict(
                f"The {tables.source} changed since it was checked: check it again",
                field="checked",
            )
        report = SheetImportReport(
            tables.source,
            dry_run,
            tables.digest,
            [TabReport(kind, tables.titles[kind]) for kind in TabKind],
        )
        parsed = self._parse(tables, report)
        unit = self._db.read() if dry_run else self._db.write()
        with unit as session:
            if not dry_run:  # the serial counter's row lock, as the file import takes it
                counters.increment(session, counters.SR_NO, by=0)
            plan = self._plan(session, parsed, report)
            if report.ok and not dry_run:
                self._apply(session, actor, plan)
        order = {report.title: index for index, report in enumerate(report.tabs)}
        report.errors.sort(key=lambda error: (order.get(error.tab, 0), error.row))
        return report

    def _parse(self, tables: SheetTables, report: SheetImportReport) -> Parsed:
        taxonomy = self._taxonomy.current
        parsed = Parsed()
        for kind in TabKind:
            title, table = tables.titles[kind], tables.tables[kind]
            refuse = report.refuse_for(kind)
            try:
                layout = tabs.find_layout(kind, title, table)
            except AppError as exc:
                refuse(1, exc.field, exc.message)
                continue
            if kind in ENTRY_TABS:
                parsed.entries[kind], blank = rows_of.entry_rows(
                    kind, layout, table, taxonomy, refuse
                )
            elif kind is TabKind.credentials:
                domains = taxonomy.allowed_email_domains
                parsed.accounts, blank = rows_of.account_rows(layout, table, domains, refuse)
            else:
                parsed.tickets, blank = rows_of.ticket_rows(layout, table, taxonomy, refuse)
            report.tab(kind).skipped_blank = blank
        self._refuse_shared_serials(parsed, report)
        return parsed

    @staticmethod
    def _refuse_shared_serials(parsed: Parsed, report: SheetImportReport) -> None:
        """One ``Sr no.`` names one entry across both tabs (the original numbered them from one
        sequence); a number used again is refused where it appears the second time."""
        first_of: dict[int, str] = {}
        for kind in ENTRY_TABS:
            kept: list[ImportRow] = []
            refuse = report.refuse_for(kind)
            for row in parsed.entries.get(kind, []):
                assert row.sr_no is not None
                if row.sr_no in first_of:
                    message = f"'{c.SR_NO}' {row.sr_no} is already used on {first_of[row.sr_no]}"
                    refuse(row.line, c.SR_NO, message)
                    continue
                first_of[row.sr_no] = f"'{report.tab(kind).title}' row {row.line}"
                kept.append(row)
            parsed.entries[kind] = kept

    def _plan(self, session: Session, parsed: Parsed, report: SheetImportReport) -> Plan:
        plan = Plan()
        for kind, rows in parsed.entries.items():
            refuse = report.refuse_for(kind)
            plan.entries[kind] = self._transfer.plan_entries(
                session, rows, lambda row, error, refuse=refuse: refuse(*error)
            )
            _count(report.tab(kind), [change.action for change in plan.entries[kind]])
        refuse = report.refuse_for(TabKind.credentials)
        plan.accounts = rows_of.plan_accounts(session, parsed.accounts, refuse)
        _count(
            report.tab(TabKind.credentials),
            ["unchanged" if change.exists else "insert" for change in plan.accounts],
        )
        plan.tickets = rows_of.plan_tickets(session, parsed.tickets)
        _count(report.tab(TabKind.tickets), [change.action for change in plan.tickets])
        return plan

    def _apply(self, session: Session, actor: Actor, plan: Plan) -> None:
        self._transfer.apply_entries(
            session, actor, [change for kind in ENTRY_TABS for change in plan.entries.get(kind, [])]
        )
        rows_of.apply_accounts(session, actor, plan.accounts)
        rows_of.apply_tickets(session, actor, plan.tickets)


def _count(report: TabReport, actions: list[str]) -> None:
    report.inserted = actions.count("insert")
    report.updated = actions.count("update")
    report.unchanged = actions.count("unchanged")
