"""Queries over the tickets table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from adda_dashboard.db.models import Ticket

# Filter name (as the API spells it) -> column compared for equality.
FILTERABLE = {
    "status": Ticket.status,
    "issue_type": Ticket.issue_type,
    "vertical": Ticket.vertical,
}


@dataclass(frozen=True)
class TicketQuery:
    """One page of tickets: equality filters, a reporter, a free-text search, an offset page."""

    filters: dict[str, str] = field(default_factory=dict)
    reporter: str | None = None
    search: str | None = None
    limit: int = 50
    offset: int = 0


def exists_with_ticket_id(session: Session, ticket_id: str) -> bool:
    return (
        session.execute(select(Ticket.id).where(Ticket.ticket_id == ticket_id)).first() is not None
    )


def get_by_ticket_id(
    session: Session, ticket_id: str, *, for_update: bool = False
) -> Ticket | None:
    """The ticket, locked against concurrent status changes when ``for_update`` (PostgreSQL)."""
    stmt = select(Ticket).where(Ticket.ticket_id == ticket_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def insert(session: Session, ticket: Ticket) -> Ticket:
    session.add(ticket)
    session.flush()
    return ticket


def list_newest_first(session: Session, limit: int = 100) -> Sequence[Ticket]:
    return session.execute(select(Ticket).order_by(Ticket.id.desc()).limit(limit)).scalars().all()


def _like_pattern(text: str) -> str:
    """``text`` as a case-insensitive substring pattern, its own wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: TicketQuery) -> Select[tuple[Ticket]]:
    stmt = select(Ticket)
    for name, value in query.filters.items():
        stmt = stmt.where(FILTERABLE[name] == value)
    if query.reporter:
        stmt = stmt.where(func.lower(Ticket.reporter_email) == query.reporter.lower())
    if query.search:
        pattern = _like_pattern(query.search)
        stmt = stmt.where(
            or_(
                func.lower(Ticket.ticket_id).like(pattern, escape="\\"),
                func.lower(Ticket.issue_text).like(pattern, escape="\\"),
            )
        )
    return stmt


def search(session: Session, query: TicketQuery) -> Sequence[Ticket]:
    """Newest first; ties on the creation time (same instant) broken by insertion order."""
    stmt = (
        _filtered(query)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    return session.execute(stmt).scalars().all()


def count_matching(session: Session, query: TicketQuery) -> int:
    stmt = select(func.count()).select_from(_filtered(query).subquery())
    return int(session.execute(stmt).scalar_one())
