"""Read-side reports over the entries: filters, leaderboard, and filtered pages of /api/data."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson

from adda_dashboard.db.engine import Database
from adda_dashboard.db.repositories import entries as entries_repo
from adda_dashboard.domain.bounds import MAX_ID
from adda_dashboard.domain.columns import CONTENT_TYPES, EditStatus
from adda_dashboard.domain.entry_rules import SUB_CATEGORIES, clean_text, is_email_syntax
from adda_dashboard.domain.records import legacy_record
from adda_dashboard.errors import Invalid
from adda_dashboard.services.live_entries import LiveEntries

MAX_PAGE = 500
DEFAULT_PAGE = 50
QUERY_PARAMS = frozenset({*entries_repo.FILTERABLE, "q", "sort", "limit", "cursor"})
DATETIME_SORTS = frozenset({"created_at", "updated_at"})
FILTER_CHOICES: dict[str, tuple[str, ...]] = {
    "content_type": CONTENT_TYPES,
    "sub_category": tuple(dict.fromkeys(v for group in SUB_CATEGORIES.values() for v in group)),
    "status": tuple(EditStatus),
}
# Vertical, exam and subject names (taxonomy.json) use letters, digits and these.
LABEL_PUNCTUATION = " &()+-./_"
INT_SORTS = frozenset({"id", "sr_no"})
MAX_BIGINT = 2**63 - 1
MAX_CURSOR_TEXT = 2048
_DIGITS = re.compile(r"[0-9]{1,9}")


# The dashboard list's filters, each shown with its counts, in ``FILTERABLE`` order.
FACETS: tuple[str, ...] = tuple(entries_repo.FILTERABLE)


class ReportService:
    def __init__(self, db: Database, live: LiveEntries) -> None:
        self._db = db
        self._live = live

    def filters(self) -> dict[str, Any]:
        """Distinct values of Final entries, as the original serves them (its key typo fixed)."""
        values = self._live.final_filter_values()
        # Sorted here, by code point as the original's sorted(): ORDER BY would follow the
        # database's collation, which differs between SQLite and PostgreSQL and by locale.
        types, subcategories, subjects = (sorted(found) for found in values)
        return {
            "success": True,
            "filters": {"types": types, "subcategories": subcategories, "subjects": subjects},
        }

    def leaderboard(self) -> dict[str, Any]:
        return self._live.leaderboard()

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

    # The dashboard's list -----------------------------------------------------------------

    def browse(self, query: entries_repo.EntryQuery, *, backwards: bool = False) -> dict[str, Any]:
        """A page of the list with what its pager needs: the cursors to the next and previous
        pages and the page's position (how many matching entries come before it).

        ``backwards`` reads the page that ends just before ``query.after`` (the previous page).
        One row more than the page is read to know whether more follow.
        """
        attr = _attr(query.sort)
        probe = replace(query, limit=query.limit + 1)
        with self._db.read() as session:
            rows = list(entries_repo.browse(session, probe, backwards=backwards))
            more = len(rows) > query.limit
            rows = rows[-query.limit :] if backwards else rows[: query.limit]
            offset, has_next = 0, more
            if rows and query.after is not None and (more or not backwards):
                first = rows[0]
                at_first = replace(query, after=(getattr(first, attr), first.id))
                offset = entries_repo.count_before(session, at_first)
            elif not rows and query.after is not None and not backwards:
                offset = entries_repo.count_before(session, query)  # a page past the end
            if backwards and rows:
                last = rows[-1]
                after_last = replace(query, after=(getattr(last, attr), last.id), limit=1)
                has_next = bool(entries_repo.browse(session, after_last))
        return {
            "data": [legacy_record(row) for row in rows],
            "offset": offset,
            "next_cursor": (
                encode_cursor(query, getattr(rows[-1], attr), rows[-1].id)
                if rows and has_next
                else None
            ),
            "prev_cursor": (
                encode_cursor(query, getattr(rows[0], attr), rows[0].id)
                if rows and offset > 0
                else None
            ),
        }

    def facets(self, query: entries_repo.EntryQuery) -> dict[str, Any]:
        """For each filter, the entries each of its values would leave given the other filters
        and the search; and the number of entries matching them all.

        Without a search every filter is one grouped count over an index. A search has to read
        the text of every entry, so then one scan serves all the filters.
        """
        with self._db.read() as session:
            if query.search:
                counts = _count_facets(entries_repo.facet_rows(session, query), query.filters)
            else:
                counts = {
                    name: Counter(dict(entries_repo.facet_counts(session, query, name)))
                    for name in FACETS
                }
        by_status = counts["status"]
        chosen = query.filters.get("status")
        total = by_status[chosen] if chosen is not None else sum(by_status.values())
        return {
            "total": total,
            "facets": {
                name: sorted([value, n] for value, n in counts[name].items() if value and n)
                for name in FACETS
            },
        }


def _attr(sort: str) -> str:
    return entries_repo.SORTABLE[sort].key


def parse_query(params: Mapping[str, str]) -> entries_repo.EntryQuery:
    """The page a query string asks for; any parameter out of its domain is a 400 naming it.

    Filters are checked against what a stored value can look like, so a stray quote or tag is
    refused instead of silently matching nothing; ``q`` is free text (searched with bound
    parameters, its wildcards escaped).
    """
    for name in params:
        if name not in QUERY_PARAMS:
            allowed = ", ".join(sorted(QUERY_PARAMS))
            raise Invalid(f"unknown query parameter '{name}' (allowed: {allowed})", field=name)
    filters = {
        name: check_filter(name, clean_text(name, params[name], max_length=254))
        for name in entries_repo.FILTERABLE
        if name in params
    }
    search = clean_text("q", params["q"], max_length=200) if params.get("q") else None
    sort = params.get("sort", "id")
    descending = sort.startswith("-")
    sort = sort.removeprefix("-")
    if sort not in entries_repo.SORTABLE:
        allowed = ", ".join(sorted(entries_repo.SORTABLE))
        raise Invalid(f"'sort' must be one of {allowed} (prefix '-' to reverse)", field="sort")
    limit = DEFAULT_PAGE
    if "limit" in params:
        if not _DIGITS.fullmatch(params["limit"]):
            raise Invalid("'limit' must be a whole number", field="limit")
        limit = int(params["limit"])
        if not 1 <= limit <= MAX_PAGE:
            raise Invalid(f"'limit' must be between 1 and {MAX_PAGE}", field="limit")
    after = decode_cursor(params["cursor"], sort, descending) if params.get("cursor") else None
    return entries_repo.EntryQuery(filters, search, sort, descending, limit, after)


def check_filter(name: str, value: str) -> str:
    """A filter value as it could be stored: an enumeration member, an address or a label."""
    if name in FILTER_CHOICES:
        if value not in FILTER_CHOICES[name]:
            raise Invalid(f"'{name}' must be one of: {', '.join(FILTER_CHOICES[name])}", field=name)
        return value
    if name == "contributor":
        if not is_email_syntax(value):
            raise Invalid("'contributor' must be an email address", field=name)
        return value.lower()
    for ch in value:
        if ch not in LABEL_PUNCTUATION and unicodedata.category(ch)[0] not in "LMN":
            raise Invalid(
                f"'{name}' may hold only letters, digits, spaces and {LABEL_PUNCTUATION.strip()}"
                f" (found {ch!r})",
                field=name,
            )
    return value


def encode_cursor(query: entries_repo.EntryQuery, value: Any, last_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = orjson.dumps([query.sort, query.descending, value, last_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, descending: bool) -> tuple[Any, int]:
    """The (sort value, id) a cursor holds, each checked: a cursor is client input like any."""
    not_ours = Invalid("'cursor' is not a cursor this server issued", field="cursor")
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise not_ours from None
    if not isinstance(decoded, list) or len(decoded) != 4:
        raise not_ours
    c_sort, c_desc, value, last_id = decoded
    if c_sort != sort or c_desc is not descending:
        raise Invalid("'cursor' belongs to another sort order", field="cursor")
    if not _is_int(last_id, MAX_ID):
        raise not_ours
    if sort in INT_SORTS:
        if not _is_int(value, MAX_BIGINT):
            raise not_ours
    elif sort in DATETIME_SORTS:
        try:
            value = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise not_ours from None
    elif not isinstance(value, str) or len(value) > MAX_CURSOR_TEXT:
        raise not_ours
    return value, last_id


def _is_int(value: Any, maximum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -maximum <= value <= maximum


def parse_browse(
    params: Mapping[str, str], default_sort: str
) -> tuple[entries_repo.EntryQuery, bool]:
    """``parse_query`` for the dashboard's list, which also pages backwards: ``before`` is a
    cursor like ``cursor``, naming the row the wanted page ends before. Returns the query and
    whether it reads backwards."""
    params = dict(params)
    params.setdefault("sort", default_sort)
    before = params.pop("before", "")
    if before and params.get("cursor"):
        raise Invalid("Send either 'cursor' or 'before', not both", field="before")
    query = parse_query(params)
    if not before:
        return query, False
    try:
        after = decode_cursor(before, query.sort, query.descending)
    except Invalid as exc:
        raise Invalid(exc.message.replace("'cursor'", "'before'"), field="before") from None
    return replace(query, after=after), True


def _count_facets(
    rows: Iterable[tuple[Any, ...]], filters: Mapping[str, str]
) -> dict[str, Counter[str]]:
    """Facet counts from rows holding every filterable value (``FACETS`` order): a row that
    meets every filter counts for all facets; one that misses a single filter counts only for
    that filter's facet (it matches once that filter's value is changed)."""
    at = {name: i for i, name in enumerate(FACETS)}
    wanted = [(at[name], name, value) for name, value in filters.items()]
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for row in rows:
        missed = [name for i, name, value in wanted if row[i] != value]
        if not missed:
            for i, name in enumerate(FACETS):
                counts[name][row[i]] += 1
        elif len(missed) == 1:
            counts[missed[0]][row[at[missed[0]]]] += 1
    return counts
