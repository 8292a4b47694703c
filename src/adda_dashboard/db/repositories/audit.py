"""The audit log: one row per create, update, delete or restore.

Every change of an entry or a ticket passes here, whichever service made it (the API, the file
and spreadsheet imports, the pull from the sheet), so this is also where the spreadsheet
mirror's outbox row is written, in the same transaction (``sheet_outbox.record``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from adda_dashboard.db.models import AuditRecord
from adda_dashboard.db.repositories import sheet_outbox
from adda_dashboard.domain.roles import Actor


def append(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    action: str,
    actor: Actor,
    changes: dict[str, Any],
) -> None:
    # A Core insert, run at once: the ORM's unit of work at commit cost several times more.
    session.execute(
        insert(AuditRecord.__table__).values(
            entity=entity,
            entity_id=entity_id,
            action=action,
            actor_id=actor.user_id,
            actor_email=actor.email,
            changes=changes,
        )
    )
    sheet_outbox.record(session, entity=entity, entity_id=entity_id, action=action)


def list_for_entity(session: Session, entity: str, entity_id: int) -> Sequence[AuditRecord]:
    stmt = (
        select(AuditRecord)
        .where(AuditRecord.entity == entity, AuditRecord.entity_id == entity_id)
        .order_by(AuditRecord.id)
    )
    return session.execute(stmt).scalars().all()
