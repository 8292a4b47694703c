"""Tickets raised by the team about wrong or missing data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import Ticket
from adda_dashboard.db.repositories import tickets as tickets_repo
from adda_dashboard.domain import columns as c
from adda_dashboard.domain.entry_rules import check_known_keys, clean_text
from adda_dashboard.domain.roles import Actor
from adda_dashboard.errors import Conflict, Invalid
from adda_dashboard.services.taxonomy import TaxonomyService

MAX_ISSUE_TEXT = 5000
MAX_TICKET_VALUE = 200
MAX_TICKET_ID = 100
ISSUE_TEXT = "Issue Text"
# The frontend sends ``TKT-<epoch ms>-<n>``; an id is never free text.
_TICKET_ID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_TICKET_ID}}}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class TicketService:
    def __init__(self, db: Database, taxonomy: TaxonomyService) -> None:
        self._db = db
        self._taxonomy = taxonomy

    def raise_ticket(self, actor: Actor | None, body: Any) -> dict[str, Any]:
        if not body:
            raise Invalid("No ticket data provided", field="body")
        if not isinstance(body, Mapping):
            raise Invalid("The body must be a JSON object", field="body")
        check_known_keys(body, c.TICKET_COLUMNS)
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
        self._check(values)
        taken = Conflict(f"Ticket ID {values['Ticket ID']!r} already exists", field="Ticket ID")
        with self._db.write() as session:
            if tickets_repo.exists_with_ticket_id(session, values["Ticket ID"]):
                raise taken
            ticket = Ticket(
                ticket_id=values["Ticket ID"],
                vertical=values["Vertical"],
                exam=values["Exam Name"],
                subject=values["Subject"],
                issue_type=values["Issue Type"],
                status=values["Status"],
                issue_text=values["Issue Text"],
                reporter_email=actor.email if actor else None,
            )
            try:
                tickets_repo.insert(session, ticket)
            except IntegrityError:  # the same id committed by another request since our check
                raise taken from None
        return {
            "success": True,
            "message": "Ticket raised successfully",
            "ticket_id": values["Ticket ID"],
        }

    def _check(self, values: dict[str, str]) -> None:
        if not _TICKET_ID.fullmatch(values["Ticket ID"]):
            raise Invalid(
                f"'Ticket ID' may hold only letters, digits, '.', '-' and '_', "
                f"at most {MAX_TICKET_ID} characters",
                field="Ticket ID",
            )
        taxonomy = self._taxonomy.current
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
            raise Invalid(
                f"'Status' must be one of: {', '.join(c.TICKET_STATUSES)}", field="Status"
            )
