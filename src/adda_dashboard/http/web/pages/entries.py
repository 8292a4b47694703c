"""Dashboard pages: the entries list.

Everything that shapes the list lives in its URL (filters, search, sort, the page's cursor and
the visible columns), so a view can be bookmarked and shared. htmx swaps only the results, the
filter counts and the summary; the same URL loaded directly renders the whole page. Queries go
through ``ReportService`` with the JSON API's own parsing, so both refuse the same parameters.

Counts per filter value and the pages themselves are cached by dataset version (as the API's
reports are): at 50,000 entries the list is served from memory until the next write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from adda_dashboard.bootstrap import Container
from adda_dashboard.db.repositories.entries import EntryQuery
from adda_dashboard.domain import columns as c
from adda_dashboard.errors import Invalid
from adda_dashboard.http.deps import ContainerDep, CurrentActor
from adda_dashboard.http.web.templating import is_htmx, render
from adda_dashboard.services.reports import DEFAULT_PAGE, FACETS, parse_browse

router = APIRouter(prefix="/ui", include_in_schema=False)

LIST_PATH = "/ui/entries"
DEFAULT_SORT = "-sr_no"  # newest first
CACHE_PREFIX = "ui-entries"  # names of the cached counts and pages


@dataclass(frozen=True)
class Column:
    key: str  # the record's key, also the cells' ``data-col``
    slug: str  # its name in ``cols=``
    label: str
    sort: str | None = None  # the ``sort`` key, when the list can be sorted by it


COLUMNS: tuple[Column, ...] = (
    Column(c.SR_NO, "sr_no", "Sr no.", "sr_no"),
    Column(c.EMAIL, "email", "Contributor", "email"),
    Column(c.VERTICAL, "vertical", "Vertical", "vertical"),
    Column(c.EXAM, "exam", "Exam", "exam"),
    Column(c.SUBJECT, "subject", "Subject", "subject"),
    Column(c.CONTENT_TYPE, "content_type", "Type of content", "content_type"),
    Column(c.SUB_CATEGORY, "sub_category", "Sub category"),
    Column(c.VIDEO_LINK, "video_link", "Video link"),
    Column(c.EDIT, "status", "Status", "status"),
    Column(c.EDITOR_BRIEF, "editor_brief", "Editor brief"),
    Column(c.FINAL_EDITED_LINK, "final_edited_link", "Final edited link"),
    Column(c.VIDEO_ID, "video_id", "Video ID"),
)
SLUGS = tuple(col.slug for col in COLUMNS)
FILTER_LABELS = {
    "vertical": ("Vertical", "All verticals"),
    "exam": ("Exam", "All exams"),
    "subject": ("Subject", "All subjects"),
    "content_type": ("Type of content", "All types"),
    "sub_category": ("Sub category", "All sub categories"),
    "status": ("Status", "Final and Re-edit"),
    "contributor": ("Contributor", "All contributors"),
}
SORT_NAMES = {
    "id": "Entry id",
    "created_at": "Created",
    "updated_at": "Updated",
    **{col.sort: col.label for col in COLUMNS if col.sort},
}
SORT_CHOICES = (
    ("-sr_no", "Newest first"),
    ("sr_no", "Oldest first"),
    ("-updated_at", "Recently updated"),
    ("-created_at", "Recently created"),
)
# Parameters in the order a canonical URL lists them.
URL_ORDER = ("q", *FACETS, "sort", "limit", "cursor", "before", "cols")


def visible_columns(raw: str | None) -> tuple[str, ...]:
    """The slugs ``cols=`` names, in table order; all of them when it is absent."""
    if not raw:
        return SLUGS
    named = {slug.strip() for slug in raw.split(",") if slug.strip()}
    unknown = sorted(named - set(SLUGS))
    if unknown:
        raise Invalid(
            f"'cols' names unknown columns ({', '.join(unknown)}); known: {', '.join(SLUGS)}",
            field="cols",
        )
    return tuple(slug for slug in SLUGS if slug in named) or SLUGS


def sort_param(query: EntryQuery) -> str:
    return ("-" if query.descending else "") + query.sort


def sort_label(sort: str) -> str:
    name = SORT_NAMES.get(sort.removeprefix("-"), sort)
    return f"{name}, {'descending' if sort.startswith('-') else 'ascending'}"


class ListUrls:
    """Addresses of this list with some parameters changed, without those at their defaults."""

    def __init__(self, query: EntryQuery, visible: tuple[str, ...]) -> None:
        self.base: dict[str, str] = {"q": query.search or "", **query.filters}
        sort = sort_param(query)
        if sort != DEFAULT_SORT:
            self.base["sort"] = sort
        if query.limit != DEFAULT_PAGE:
            self.base["limit"] = str(query.limit)
        if visible != SLUGS:
            self.base["cols"] = ",".join(visible)

    def make(self, **changes: str | None) -> str:
        merged = {**self.base, **changes}
        if merged.get("sort") == DEFAULT_SORT:
            merged["sort"] = None
        pairs = [(name, merged[name]) for name in URL_ORDER if merged.get(name)]
        return f"{LIST_PATH}?{urlencode(pairs, safe=',')}" if pairs else LIST_PATH

    def sort_by(self, key: str, current: str) -> str:
        """Ascending first; the sorted column's header turns the order around."""
        return self.make(sort=f"-{key}" if current == key else key)


def _cached(
    container: Container, kind: str, key: Any, version: int, produce: Callable[[], Any]
) -> Any:
    """``produce()`` as of dataset ``version``, computed once per version across requests (and
    shared through Redis when configured), like the API's reports."""
    digest = hashlib.sha256(orjson.dumps(key, option=orjson.OPT_SORT_KEYS)).hexdigest()[:24]
    name = f"{CACHE_PREFIX}-{kind}-{digest}"
    return orjson.loads(container.snapshots.get(name, produce, version=version).body)


def _options(name: str, counts: list[list[Any]], chosen: str | None) -> list[dict[str, Any]]:
    """A filter's choices with their counts; the chosen value stays listed even at zero."""
    options = [{"value": value, "count": n} for value, n in counts]
    if chosen is not None and all(o["value"] != chosen for o in options):
        options.insert(0, {"value": chosen, "count": 0})
    for option in options:
        text = str(option["value"])
        option["label"] = text.replace("_", " ") if name == "content_type" else text
    return options


def _wants_fragment(request: Request) -> bool:
    """An htmx swap, but not htmx restoring a page from history: that needs the whole page."""
    return is_htmx(request) and request.headers.get("hx-history-restore-request") != "true"


@router.get("/entries")
def entries_page(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    params = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    visible = visible_columns(params.pop("cols", None))
    query, backwards = parse_browse(params, DEFAULT_SORT)
    version = container.snapshots.current_version()
    counted = EntryQuery(query.filters, query.search)
    facets = _cached(
        container,
        "facets",
        [query.filters, query.search],
        version,
        lambda: container.reports.facets(counted),
    )
    page = _cached(
        container,
        "page",
        [query.filters, query.search, sort_param(query), query.limit, query.after, backwards],
        version,
        lambda: container.reports.browse(query, backwards=backwards),
    )
    urls = ListUrls(query, visible)
    context = _context(query, visible, urls, facets, page)
    context["can_add"] = actor.can_write_entries
    headers = {"Vary": "HX-Request"}
    if _wants_fragment(request):
        position = {name: params[name] for name in ("cursor", "before") if params.get(name)}
        headers["HX-Push-Url"] = urls.make(**position)
        return render(request, "entries/_list_update.html", context, actor=actor, headers=headers)
    return render(request, "entries/list.html", context, actor=actor, headers=headers)


def _context(
    query: EntryQuery,
    visible: tuple[str, ...],
    urls: ListUrls,
    facets: dict[str, Any],
    page: dict[str, Any],
) -> dict[str, Any]:
    rows, offset, total = page["data"], page["offset"], facets["total"]
    limit = query.limit
    sort = sort_param(query)
    sort_choices = list(SORT_CHOICES)
    if sort not in dict(sort_choices):
        sort_choices.append((sort, sort_label(sort)))
    pager: dict[str, str | None] = {"first": None, "prev": None, "next": None}
    if offset > 0:
        pager["first"] = urls.make()
        if page["prev_cursor"]:
            # Within one page of the start the previous page is the first page itself.
            pager["prev"] = urls.make(before=page["prev_cursor"]) if offset > limit else urls.make()
    if page["next_cursor"]:
        pager["next"] = urls.make(cursor=page["next_cursor"])
    return {
        "rows": rows,
        "total": total,
        "offset": offset,
        "limit": limit,
        "page_number": offset // limit + 1,
        "page_count": max(1, -(-total // limit)),
        "pager": pager,
        "q": query.search or "",
        "values": query.filters,
        "filters": [
            {
                "name": name,
                "label": FILTER_LABELS[name][0],
                "all_label": FILTER_LABELS[name][1],
                "options": _options(name, facets["facets"][name], query.filters.get(name)),
            }
            for name in FACETS
        ],
        "sort": sort,
        "sort_key": query.sort,
        "sort_descending": query.descending,
        "sort_label": sort_label(sort),
        "sort_choices": sort_choices,
        "columns": COLUMNS,
        "visible": visible,
        "cols": "" if visible == SLUGS else ",".join(visible),
        "hidden_classes": " ".join(f"hide-{s}" for s in SLUGS if s not in visible),
        "sort_urls": {col.sort: urls.sort_by(col.sort, sort) for col in COLUMNS if col.sort},
        "clear_url": urls.make(q=None, **dict.fromkeys(FACETS)),
    }
