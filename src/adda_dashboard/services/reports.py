"""Read-side reports over the entries: filters, leaderboard, and filtered pages of /api/data."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import distinct, select

from adda_dashboard.db.engine import Database
from adda_dashboard.db.models import Entry
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain import leaderboard
from adda_dashboard.domain.entry_rules import clean_text
from adda_dashboard.domain.records import legacy_record
from adda_dashboard.errors import Invalid

MAX_PAGE = 500
DEFAULT_PAGE = 50
QUERY_PARAMS = frozenset({*entries_repo.FILTERABLE, "q", "sort", "limit", "cursor"})
DATETIME_SORTS = frozenset({"created_at", "updated_at"})


class ReportService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def filters(self) -> dict[str, Any]:
        """Distinct values of the Final entries, as the original serves them (its key typo fixed)."""

        def distinct_values(column: Any) -> list[str]:
            stmt = (
                select(distinct(column))
                .where(Entry.deleted_at.is_(None), Entry.edit_status == "Final", column != "")
                .order_by(column)
            )
            return [v for (v,) in session.execute(stmt)]

        with self._db.read() as session:
            return {
                "success": True,
                "filters": {
                    "types": distinct_values(Entry.content_type),
                    "subcategories": distinct_values(Entry.sub_category),
                    "subjects": distinct_values(Entry.subject),
                },
            }

    def leaderboard(self) -> dict[str, Any]:
        with self._db.read() as session:
            rows = entries_repo.list_live_in_legacy_order(session)
        return leaderboard.compute(rows)

    def page(self, params: Mapping[str, str]) -> dict[str, Any]:
        """A filtered, searched, sorted keyset page of entries."""
        query = parse_query(params)
        with self._db.read() as session:
            rows = entries_repo.search(session, query)
            total = entries_repo.count_matching(session, query)
        next_cursor = None
        if len(rows) == query.limit:
            last = rows[-1]
            next_cursor = encode_cursor(query, getattr(last, _attr(query.sort)), last.id)
        return {
            "success": True,
            "data": [legacy_record(row) for row in rows],
            "count": len(rows),
            "total": total,
            "next_cursor": next_cursor,
        }


def _attr(sort: str) -> str:
    return entries_repo.SORTABLE[sort].key


def parse_query(params: Mapping[str, str]) -> entries_repo.EntryQuery:
    for name in params:
        if name not in QUERY_PARAMS:
            allowed = ", ".join(sorted(QUERY_PARAMS))
            raise Invalid(f"unknown query parameter '{name}' (allowed: {allowed})", field=name)
    filters = {
        name: clean_text(name, params[name], max_length=254)
        for name in entries_repo.FILTERABLE
        if name in params
    }
    if "contributor" in filters:
        filters["contributor"] = filters["contributor"].lower()
    search = clean_text("q", params["q"], max_length=200) if params.get("q") else None
    sort = params.get("sort", "id")
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    if sort not in entries_repo.SORTABLE:
        allowed = ", ".join(sorted(entries_repo.SORTABLE))
        raise Invalid(f"'sort' must be one of {allowed} (prefix '-' to reverse)", field="sort")
    limit = DEFAULT_PAGE
    if "limit" in params:
        try:
            limit = int(params["limit"])
        except ValueError:
            raise Invalid("'limit' must be a whole number", field="limit") from None
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid(f"'limit' must be between 1 and {MAX_PAGE}", field="limit")
    after = decode_cursor(params["cursor"], sort, descending) if params.get("cursor") else None
    return entries_repo.EntryQuery(filters, search, sort, descending, limit, after)


def encode_cursor(query: entries_repo.EntryQuery, value: Any, last_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = orjson.dumps([query.sort, query.descending, value, last_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, descending: bool) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        c_sort, c_desc, value, last_id = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise Invalid("'cursor' is not a cursor this server issued", field="cursor") from None
    if c_sort != sort or c_desc != descending or not isinstance(last_id, int):
        raise Invalid("'cursor' belongs to another sort order", field="cursor")
    if sort in DATETIME_SORTS:
        try:
            value = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise Invalid("'cursor' is not a cursor this server issued", field="cursor") from None
    return value, last_id
