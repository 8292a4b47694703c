"""Queries over the tickets table."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from adda_dashboard.db.models import Ticket


def exists_with_ticket_id(session: Session, ticket_id: str) -> bool:
    return (
        session.execute(select(Ticket.id).where(Ticket.ticket_id == ticket_id)).first() is not None
    )


def insert(session: Session, ticket: Ticket) -> Ticket:
    session.add(ticket)
    session.flush()
    return ticket


def list_newest_first(session: Session, limit: int = 100) -> Sequence[Ticket]:
    return session.execute(select(Ticket).order_by(Ticket.id.desc()).limit(limit)).scalars().all()
