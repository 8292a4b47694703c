"""Tickets raised by the team about wrong or missing data: raised by anyone, listed for
signed-in users, and moved through their statuses by editors and admins."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import Ticket
from adda_dashboard.db.repositories import audit, sheet_outbox
from adda_dashboard.db.repositories import tickets as tickets_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.entry_rules import check_known_keys, clean_text, is_email_syntax
from adda_dashboard.domain.roles import Actor, Role
from adda_dashboard.domain.taxonomy import Taxonomy
from adda_dashboard.errors import Conflict, Forbidden, Invalid, NotFound
from adda_dashboard.services.reports import check_filter
from adda_dashboard.services.taxonomy import TaxonomyService

MAX_ISSUE_TEXT = 5000
MAX_TICKET_VALUE = 200
MAX_TICKET_ID = 100
ISSUE_TEXT = "Issue Text"
# The frontend sends ``TKT-<epoch ms>-<n>``; an id is never free text.
_TICKET_ID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_TICKET_ID}}}")
_DIGITS = re.compile(r"[0-9]{1,9}")

ENTITY = "ticket"
STATUS = "status"
MAX_PAGE = 200
DEFAULT_PAGE = 50
MAX_SEARCH = 200
QUERY_PARAMS = frozenset({*tickets_repo.FILTERABLE, "reporter", "q", "limit", "offset"})
# A cache-busting parameter some clients append; it selects nothing.
IGNORED_PARAMS = frozenset({"_"})
FILTER_CHOICES: dict[str, tuple[str, ...]] = {
    "status": c.TICKET_STATUSES,
    "issue_type": c.ISSUE_TYPES,
}
# The status a newly raised ticket starts in.
OPEN_STATUS = c.TICKET_STATUSES[0]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def new_ticket_id() -> str:
    """An id in the frontend's form, ``TKT-<epoch ms>-<0..999>``."""
    return f"TKT-{time.time_ns() // 1_000_000}-{secrets.randbelow(1000)}"


def is_ticket_id(value: str) -> bool:
    """Whether ``value`` has the form every stored Ticket ID has."""
    return bool(_TICKET_ID.fullmatch(value))


def can_change_status(actor: Actor | None) -> bool:
    """Moving a ticket along is triage work: editors and admins only."""
    return actor is not None and actor.at_least(Role.editor)


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; every stored one is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """A ticket under the contract's column names, plus who raised it and when it changed."""
    return {
        "Ticket ID": ticket.ticket_id,
        "Vertical": ticket.vertical,
        "Exam Name": ticket.exam,
        "Subject": ticket.subject,
        "Issue Type": ticket.issue_type,
        "Status": ticket.status,
        "Issue Text": ticket.issue_text,
        "reporter": ticket.reporter_email,
        "created_at": _utc(ticket.created_at).isoformat(),
        "updated_at": _utc(ticket.updated_at).isoformat(),
    }


class TicketService:
    def __init__(self, db: Database, taxonomy: TaxonomyService) -> None:
        self._db = db
        self._taxonomy = taxonomy

    # Reads -------------------------------------------------------------------------------------

    def listing(self, actor: Actor, params: Mapping[str, str]) -> dict[str, Any]:
        """A filtered page of tickets, newest first, with the total that match."""
        query = parse_query(params)
        with self._db.read() as session:
            tickets = [ticket_json(t) for t in tickets_repo.search(session, query)]
            total = tickets_repo.count_matching(session, query)
        end = query.offset + len(tickets)
        return {
            "success": True,
            "tickets": tickets,
            "count": len(tickets),
            "total": total,
            "limit": query.limit,
            "offset": query.offset,
            "next_offset": end if tickets and end < total else None,
        }

    def get(self, actor: Actor, ticket_id: str) -> dict[str, Any]:
        """One ticket as stored; a page shows it again after a refused change."""
        with self._db.read() as session:
            ticket = tickets_repo.get_by_ticket_id(session, ticket_id)
            if ticket is None:
                raise _not_found(ticket_id)
            return ticket_json(ticket)

    # Writes ------------------------------------------------------------------------------------

    def change_status(self, actor: Actor, ticket_id: str, body: Any) -> dict[str, Any]:
        """Set a ticket's status; the change is audited and ``updated_at`` moves forward."""
        if not can_change_status(actor):
            raise Forbidden(
                actor.refusal(
                    Role.editor, "Only an editor or an admin may change a ticket's status"
                )
            )
        status = _parse_status(body)
        if not _TICKET_ID.fullmatch(ticket_id):
            raise _not_found(ticket_id)
        with self._db.write() as session:
            ticket = tickets_repo.get_by_ticket_id(session, ticket_id, for_update=True)
            if ticket is None:
                raise _not_found(ticket_id)
            previous = ticket.status
            if previous == status:
                return {
                    "success": True,
                    "message": f"Ticket {ticket_id} is already {status}",
                    "changed": False,
                    "ticket": ticket_json(ticket),
                }
            ticket.status = status
            # Strictly later than before, even if the clock stepped back or did not tick.
            ticket.updated_at = max(utcnow(), _utc(ticket.updated_at) + timedelta(microseconds=1))
            session.flush()
            audit.append(
                session,
                entity=ENTITY,
                entity_id=ticket.id,
                action="update",
                actor=actor,
                changes={"Status": {"from": previous, "to": status}},
            )
            answer = ticket_json(ticket)
        return {
            "success": True,
            "message": f"Ticket {ticket_id} is now {status}",
            "changed": True,
            "ticket": answer,
        }

    def raise_ticket(self, actor: Actor | None, body: Any) -> dict[str, Any]:
        """Store a new ticket; only an editor or admin may raise one in a status other than
        Open (a stored ticket's status is triage's word)."""
        if not body:
            raise Invalid("No ticket data provided", field="body")
        if not isinstance(body, Mapping):
            raise Invalid("The body must be a JSON object", field="body")
        check_known_keys(body, c.TICKET_COLUMNS)
        values = ticket_values(body, self._taxonomy.current)
        # Triage is editors' work: anyone else's ticket starts Open whatever status it names.
        status = values["Status"] if can_change_status(actor) else OPEN_STATUS
        taken = Conflict(f"Ticket ID {values['Ticket ID']!r} already exists", field="Ticket ID")
        with self._db.write() as session:
            if tickets_repo.exists_with_ticket_id(session, values["Ticket ID"]):
                raise taken
            now = utcnow()
            ticket = Ticket(
                ticket_id=values["Ticket ID"],
                vertical=values["Vertical"],
                exam=values["Exam Name"],
                subject=values["Subject"],
                issue_type=values["Issue Type"],
                status=status,
                issue_text=values["Issue Text"],
                reporter_email=actor.email if actor else None,
                # One instant for both, so an unchanged ticket reads as such.
                created_at=now,
                updated_at=now,
            )
            try:
                tickets_repo.insert(session, ticket)
            except IntegrityError:  # the same id committed by another request since our check
                raise taken from None
            # Not audited (a raised ticket is its own record), but mirrored to the sheet.
            sheet_outbox.record(session, entity=ENTITY, entity_id=ticket.id, action="create")
        return {
            "success": True,
            "message": "Ticket raised successfully",
            "ticket_id": values["Ticket ID"],
        }


def ticket_values(body: Mapping[str, Any], taxonomy: Taxonomy) -> dict[str, str]:
    """A ticket's seven columns, cleaned and checked: the rules of a raised ticket, which the
    spreadsheet import applies to the Tickets tab too."""
    # Absent, null, empty or blank counts as missing; a present value of another type is
    # reported as such below rather than as missing.
    missing = [col for col in c.TICKET_COLUMNS if _blank(body.get(col))]
    if missing:
        raise Invalid(f"Missing required fields: {', '.join(missing)}", field=missing[0])
    values = {
        col: clean_text(
            col,
            body[col],
            multiline=col == ISSUE_TEXT,
            max_length=MAX_ISSUE_TEXT if col == ISSUE_TEXT else MAX_TICKET_VALUE,
        )
        for col in c.TICKET_COLUMNS
    }
    _check_ticket(values, taxonomy)
    return values


def _check_ticket(values: dict[str, str], taxonomy: Taxonomy) -> None:
    if not _TICKET_ID.fullmatch(values["Ticket ID"]):
        raise Invalid(
            f"'Ticket ID' may hold only letters, digits, '.', '-' and '_', "
            f"at most {MAX_TICKET_ID} characters",
            field="Ticket ID",
        )
    vertical = taxonomy.vertical(values["Vertical"])
    if vertical is None:
        raise Invalid(
            f"'Vertical' must be one of: {', '.join(taxonomy.verticals)}", field="Vertical"
        )
    if values["Exam Name"] not in vertical["exams"]:
        raise Invalid(f"'Exam Name' is not an exam of {values['Vertical']}", field="Exam Name")
    if values["Subject"] not in vertical["subjects"]:
        raise Invalid(f"'Subject' is not a subject of {values['Vertical']}", field="Subject")
    if values["Issue Type"] not in c.ISSUE_TYPES:
        raise Invalid(
            f"'Issue Type' must be one of: {', '.join(c.ISSUE_TYPES)}", field="Issue Type"
        )
    if values["Status"] not in c.TICKET_STATUSES:
        raise Invalid(f"'Status' must be one of: {', '.join(c.TICKET_STATUSES)}", field="Status")


def _not_found(ticket_id: str) -> NotFound:
    return NotFound(f"Ticket {ticket_id!r} not found", field="ticket_id")


def _parse_status(body: Any) -> str:
    """The ``status`` of a change body, one of the ticket statuses."""
    if body is None or not isinstance(body, Mapping):
        raise Invalid('The body must be a JSON object such as {"status": "Resolved"}', field="body")
    check_known_keys(body, (STATUS,))
    choices = ", ".join(c.TICKET_STATUSES)
    if _blank(body.get(STATUS)):
        raise Invalid(f"'status' is required (one of: {choices})", field=STATUS)
    status = clean_text(STATUS, body[STATUS], max_length=MAX_TICKET_VALUE)
    if status not in c.TICKET_STATUSES:
        raise Invalid(f"'status' must be one of: {choices}", field=STATUS)
    return status


def parse_query(params: Mapping[str, str]) -> tickets_repo.TicketQuery:
    """The page a query string asks for; any parameter out of its domain is a 400 naming it."""
    for name in params:
        if name not in QUERY_PARAMS and name not in IGNORED_PARAMS:
            allowed = ", ".join(sorted(QUERY_PARAMS))
            raise Invalid(f"unknown query parameter '{name}' (allowed: {allowed})", field=name)
    filters: dict[str, str] = {}
    for name in tickets_repo.FILTERABLE:
        if name not in params:
            continue
        value = clean_text(name, params[name], max_length=MAX_TICKET_VALUE)
        if name in FILTER_CHOICES:
            if value not in FILTER_CHOICES[name]:
                choices = ", ".join(FILTER_CHOICES[name])
                raise Invalid(f"'{name}' must be one of: {choices}", field=name)
        elif not value:
            raise Invalid(f"'{name}' must not be empty", field=name)
        else:
            value = check_filter(name, value)
        filters[name] = value
    reporter = None
    if "reporter" in params:
        reporter = clean_text("reporter", params["reporter"], max_length=254)
        if not is_email_syntax(reporter):
            raise Invalid("'reporter' must be an email address", field="reporter")
    search = clean_text("q", params["q"], max_length=MAX_SEARCH) if params.get("q") else None
    limit = _whole_number(params, "limit", DEFAULT_PAGE)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"'limit' must be between 1 and {MAX_PAGE}", field="limit")
    offset = _whole_number(params, "offset", 0)
    return tickets_repo.TicketQuery(filters, reporter, search or None, limit, offset)


def _whole_number(params: Mapping[str, str], name: str, default: int) -> int:
    if name not in params:
        return default
    if not _DIGITS.fullmatch(params[name]):
        raise Invalid(f"'{name}' must be a whole number (at most 9 digits)", field=name)
    return int(params[name])
