"""The stored taxonomy document."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from adda_dashboard.db.base import utcnow
from adda_dashboard.db.models import TaxonomyDocument

NAME = "taxonomy"


def get(session: Session) -> dict[str, Any] | None:
    return session.execute(
        select(TaxonomyDocument.body).where(TaxonomyDocument.name == NAME)
    ).scalar_one_or_none()


def put(session: Session, body: dict[str, Any]) -> None:
    document = session.get(TaxonomyDocument, NAME)
    if document is None:
        session.add(TaxonomyDocument(name=NAME, body=body))
    else:
        document.body = body
        document.updated_at = utcnow()
