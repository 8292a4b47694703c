"""The spreadsheet's rows as the import takes them: entries, accounts and tickets, each checked by
the rules the API applies to the same thing, then planned (what importing would do, reading
only) and applied (inside the import's one transaction).

* Entries: the main tab's rows are Final unless their ``Edit`` says Re-edit (any case; empty is
  Final); every row of "Drive Links" is a Re-edit, whatever its ``Edit`` says (columns.md §3).
  ``Sr no.`` is required: it is the import's key, so a row without one would be added again by
  every import. Columns a tab lacks keep their stored values on an update.
* Accounts: keyed by email; the sign-up's bcrypt hash is stored as it is (the sign-in accepts it
  and rehashes it with argon2 at the first sign-in) and the address counts as confirmed (the
  old sign-up never confirmed addresses, and these people have used them for months). An
  account already on the dashboard is left as it is: its password is never replaced by an
  older one from the sheet.
* Tickets: keyed by ``Ticket ID``; a stored ticket is brought to the sheet's values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy.orm import Session

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.models import Ticket
from adda_dashboard.db.repositories import audit
from adda_dashboard.db.repositories import tickets as tickets_repo
from adda_dashboard.db.repositories import users as users_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain import sheet_tabs as tabs
from adda_dashboard.domain.entry_rules import (
    EDITABLE_COLUMNS,
    check_email,
    check_username,
    clean_text,
)
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.domain.sheet_tabs import Layout, TabKind
from adda_dashboard.domain.taxonomy import Taxonomy
from adda_dashboard.errors import AppError, Invalid
from adda_dashboard.services.tickets import ticket_values
from adda_dashboard.services.transfer import ImportRow, is_blank, parse_entry
from adda_dashboard.services.users import insert_unique_user

_BCRYPT = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
_RAISED_AT = re.compile(r"TKT-([0-9]{13})-[0-9]+")
EARLIEST_TICKET = datetime(2015, 1, 1, tzinfo=UTC)
TICKET_ATTRIBUTES = {
    "Vertical": "vertical",
    "Exam Name": "exam",
    "Subject": "subject",
    "Issue Type": "issue_type",
    "Status": "status",
    "Issue Text": "issue_text",
}
# Columns of an entry tab that, when the tab lacks them, keep what is stored (Edit is the tab's
# own, VideoId is derived from the link).
KEEPABLE = tuple(col for col in EDITABLE_COLUMNS if col not in (c.EDIT, c.VIDEO_ID))


class SheetRowError(NamedTuple):
    """A refused row: the tab's title, its sheet row number, the column at fault if any."""

    tab: str
    row: int
    field: str | None
    message: str


Refuse = Callable[[int, str | None, str], None]  # (row, field, message) of the tab at hand


def edit_status(kind: TabKind, text: str) -> str:
    """The status a row of this tab stands for, in the API's spelling."""
    if kind is TabKind.reedit:
        return c.EditStatus.reedit
    key = text.strip().casefold()
    if key in ("", "final"):
        return c.EditStatus.final
    if key in ("re-edit", "reedit"):
        return c.EditStatus.reedit
    return text  # refused by the entry rules, naming the column


def entry_rows(
    kind: TabKind,
    layout: Layout,
    table: Sequence[Sequence[str]],
    taxonomy: Taxonomy,
    refuse: Refuse,
) -> tuple[list[ImportRow], int]:
    """The tab's entries and how many blank rows were skipped (as the original skipped them)."""
    kept = frozenset(col for col in KEEPABLE if col not in layout.positions)
    rows: list[ImportRow] = []
    blank = 0
    for line, values in layout.rows(table):
        if is_blank(values):
            blank += 1
            continue
        values[c.EDIT] = edit_status(kind, values.get(c.EDIT, ""))
        try:
            sr_no, record = parse_entry(values, taxonomy)
        except AppError as exc:
            refuse(line, exc.field, exc.message)
            continue
        if sr_no is None:
            refuse(line, c.SR_NO, f"'{c.SR_NO}' is empty: every entry needs its number")
            continue
        rows.append(ImportRow(line, sr_no, record, kept))
    return rows, blank


# Accounts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    line: int
    email: str
    username: str
    password_hash: str


def account_rows(
    layout: Layout, table: Sequence[Sequence[str]], domains: tuple[str, ...], refuse: Refuse
) -> tuple[list[AccountRow], int]:
    """The tab's accounts and its blank rows; an email or username (any case) used twice is
    refused where it appears again."""
    rows: list[AccountRow] = []
    blank = 0
    emails: dict[str, int] = {}
    names: dict[str, int] = {}  # usernames are unique whatever their case
    for line, values in layout.rows(table):
        if not any(value.strip() for value in values.values()):
            blank += 1
            continue
        try:
            row = _account(line, values, domains)
        except AppError as exc:
            refuse(line, exc.field, exc.message)
            continue
        name = row.username.casefold()
        if row.email in emails:
            refuse(line, c.EMAIL, f"{row.email} is already on row {emails[row.email]}")
        elif name in names:
            refuse(line, tabs.USERNAME, f"{row.username!r} is already on row {names[name]}")
        else:
            emails[row.email], names[name] = line, line
            rows.append(row)
    return rows, blank


def _account(line: int, values: dict[str, str], domains: tuple[str, ...]) -> AccountRow:
    email = clean_text(c.EMAIL, values.get(c.EMAIL, ""), max_length=254)
    if not email:
        raise Invalid(f"'{c.EMAIL}' is required", field=c.EMAIL)
    email = check_email(email, domains)
    username = clean_text(tabs.USERNAME, values.get(tabs.USERNAME, ""), max_length=254)
    username = check_username(username or email.split("@")[0], tabs.USERNAME)
    password_hash = values.get(tabs.NEW_PASSWORD, "").strip()
    if not _BCRYPT.fullmatch(password_hash):
        raise Invalid(
            f"'{tabs.NEW_PASSWORD}' must hold the bcrypt hash the sign-up stored ($2b$...), "
            "not a password or anything else",
            field=tabs.NEW_PASSWORD,
        )
    return AccountRow(line, email, username, password_hash)


@dataclass(frozen=True)
class AccountChange:
    row: AccountRow
    exists: bool  # an account with this email is on the dashboard already: left as it is


def plan_accounts(
    session: Session, rows: Sequence[AccountRow], refuse: Refuse
) -> list[AccountChange]:
    """Which accounts are new; a new one whose username another account has is refused (the
    sheet's names were never checked for uniqueness)."""
    plan: list[AccountChange] = []
    for row in rows:
        if users_repo.get_by_email(session, row.email) is not None:
            plan.append(AccountChange(row, exists=True))
            continue
        holder = users_repo.get_by_username(session, row.username)
        if holder is not None:
            refuse(
                row.line,
                tabs.USERNAME,
                f"the username {row.username!r} belongs to another account ({holder.email}); "
                "give this row another one",
            )
            continue
        plan.append(AccountChange(row, exists=False))
    return plan


def apply_accounts(session: Session, actor: Actor, plan: Sequence[AccountChange]) -> None:
    """Create the new accounts, each audited; existing ones are not touched."""
    for change in plan:
        if change.exists:
            continue
        row = change.row
        user = insert_unique_user(
            session,
            email=row.email,
            username=row.username,
            password_hash=row.password_hash,
            role=Role.contributor,
            auth_source="password",
            verified=True,
        )
        audit.append(
            session,
            entity="user",
            entity_id=user.id,
            action="create",
            actor=actor,
            changes={"email": row.email, "username": row.username, "source": "spreadsheet"},
        )


# Tickets ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketRow:
    line: int
    values: dict[str, str]


def ticket_rows(
    layout: Layout, table: Sequence[Sequence[str]], taxonomy: Taxonomy, refuse: Refuse
) -> tuple[list[TicketRow], int]:
    """The tab's tickets, checked as ``POST /api/ticket`` checks them, and its blank rows."""
    rows: list[TicketRow] = []
    blank = 0
    first_of: dict[str, int] = {}
    for line, values in layout.rows(table):
        if not any(value.strip() for value in values.values()):
            blank += 1
            continue
        try:
            checked = ticket_values(values, taxonomy)
        except AppError as exc:
            refuse(line, exc.field, exc.message)
            continue
        ticket_id = checked[tabs.TICKET_ID]
        if ticket_id in first_of:
            message = f"'{tabs.TICKET_ID}' {ticket_id} is already used on row {first_of[ticket_id]}"
            refuse(line, tabs.TICKET_ID, message)
            continue
        first_of[ticket_id] = line
        rows.append(TicketRow(line, checked))
    return rows, blank


@dataclass(frozen=True)
class TicketChange:
    row: TicketRow
    current: Ticket | None
    changes: dict[str, tuple[str, str]]

    @property
    def action(self) -> str:
        if self.current is None:
            return "insert"
        return "update" if self.changes else "unchanged"


def plan_tickets(session: Session, rows: Sequence[TicketRow]) -> list[TicketChange]:
    """Each ticket new, changed (the columns that differ) or unchanged, reading only."""
    plan: list[TicketChange] = []
    for row in rows:
        current = tickets_repo.get_by_ticket_id(session, row.values[tabs.TICKET_ID])
        changes = {}
        if current is not None:
            for column, attribute in TICKET_ATTRIBUTES.items():
                if getattr(current, attribute) != row.values[column]:
                    changes[column] = (getattr(current, attribute), row.values[column])
        plan.append(TicketChange(row, current, changes))
    return plan


def raised_at(ticket_id: str, now: datetime) -> datetime:
    """When the frontend raised it: its id holds the epoch milliseconds (``TKT-<ms>-<n>``)."""
    match = _RAISED_AT.fullmatch(ticket_id)
    if match:
        moment = datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
        if EARLIEST_TICKET <= moment <= now + timedelta(days=1):
            return moment
    return now


def apply_tickets(session: Session, actor: Actor, plan: Sequence[TicketChange]) -> None:
    """Insert the new tickets and bring changed ones to the sheet's values, each audited."""
    now = utcnow()
    for change in plan:
        values = change.row.values
        if change.current is None:
            moment = raised_at(values[tabs.TICKET_ID], now)
            ticket = tickets_repo.insert(
                session,
                Ticket(
                    ticket_id=values[tabs.TICKET_ID],
                    **{attr: values[col] for col, attr in TICKET_ATTRIBUTES.items()},
                    reporter_email=None,
                    created_at=moment,
                    updated_at=moment,
                ),
            )
            audit.append(
                session,
                entity="ticket",
                entity_id=ticket.id,
                action="create",
                actor=actor,
                changes=dict(values),
            )
        elif change.changes:
            for column, (_old, new) in change.changes.items():
                setattr(change.current, TICKET_ATTRIBUTES[column], new)
            change.current.updated_at = now
            session.flush()
            audit.append(
                session,
                entity="ticket",
                entity_id=change.current.id,
                action="update",
                actor=actor,
                changes={
                    col: {"from": old, "to": new} for col, (old, new) in change.changes.items()
                },
            )
