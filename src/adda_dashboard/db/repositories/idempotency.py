"""Remembered ``Idempotency-Key`` values, one per scope, owner and key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from adda_dashboard.db.models import IdempotencyKey


def get_resource_id(session: Session, scope: str, owner: str, key: str) -> str | None:
    stmt = select(IdempotencyKey.resource_id).where(
        IdempotencyKey.scope == scope, IdempotencyKey.owner == owner, IdempotencyKey.key == key
    )
    return session.execute(stmt).scalar_one_or_none()


def insert(session: Session, scope: str, owner: str, key: str, resource_id: str) -> None:
    session.add(IdempotencyKey(scope=scope, owner=owner, key=key, resource_id=resource_id))
    session.flush()


def delete_created_before(session: Session, cutoff: datetime) -> int:
    stmt = delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)
    return session.execute(stmt).rowcount
