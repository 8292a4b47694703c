"""Dashboard pages: adding an entry, editing one inside its table row, deleting with undo.

Every write goes through ``EntryService`` with the body the JSON API takes, so the dashboard and
the API accept and refuse exactly the same things; permissions are checked there too. A save
always carries the version the row was loaded at: a change made meanwhile by someone else comes
back as a side-by-side conflict, never as a silent overwrite.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from adda_dashboard.domain import columns as c
from adda_dashboard.domain.entry_rules import SUB_CATEGORIES
from adda_dashboard.domain.roles import Actor
from adda_dashboard.domain.taxonomy import Taxonomy
from adda_dashboard.errors import AppError, Conflict, Invalid
from adda_dashboard.http.deps import ContainerDep, CurrentActor, RowId, VersionParam
from adda_dashboard.http.web.forms import form_fields
from adda_dashboard.http.web.templating import is_htmx, render

router = APIRouter(prefix="/ui", include_in_schema=False)

# The columns a person fills in. ``Sr no.`` is assigned by the server and ``VideoId`` is derived
# from the link (sending a stale one back would keep it when the link changes).
FORM_COLUMNS: tuple[str, ...] = tuple(
    col for col in c.MAIN_COLUMNS if col not in (c.SR_NO, c.VIDEO_ID)
)
# Columns only the main (Final) tab has (columns.md §3): hidden and not sent for a Re-edit.
FINAL_ONLY: tuple[str, ...] = tuple(col for col in c.MAIN_COLUMNS if col not in c.REEDIT_COLUMNS)
CONTENT_TYPE_LABELS = {
    "Exam_Information": "Exam Information",
    "Content": "Content",
    "Motivational_or_Fun": "Motivational or Fun",
}
# Cells of the inline edit row, in the order of the list's columns; "actions" holds the buttons.
EDIT_ROW_CELLS: tuple[str, ...] = (*c.MAIN_COLUMNS, "actions")
ADD_PREFIX = "add"
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
# After adding, the next entry usually shares these; the link and texts start blank again.
CARRIED_OVER = (c.EMAIL, c.VERTICAL, c.EXAM, c.SUBJECT, c.CONTENT_TYPE, c.SUB_CATEGORY, c.EDIT)


# Choices ---------------------------------------------------------------------------------------


def _with_current(options: list[str], value: str, keep_unknown: bool) -> list[str]:
    """A stored value missing from today's list stays selectable: an edit never changes it
    silently (saving it is then refused with a message next to the field)."""
    if keep_unknown and value and value not in options:
        return [value, *options]
    return options


def choices_for(
    taxonomy: Taxonomy, values: dict[str, Any], *, keep_unknown: bool = True
) -> dict[str, Any]:
    """The options of every select, those of exam, subject and sub category depending on the
    chosen vertical and content type."""
    vertical_name = str(values.get(c.VERTICAL) or "")
    vertical = taxonomy.vertical(vertical_name)
    exams = ["All", *vertical["exams"]] if vertical else []
    subjects = list(vertical["subjects"]) if vertical else []
    content_type = str(values.get(c.CONTENT_TYPE) or "")
    sub_categories = list(SUB_CATEGORIES.get(content_type, ()))
    content_types = list(CONTENT_TYPE_LABELS.items())
    if keep_unknown and content_type and content_type not in CONTENT_TYPE_LABELS:
        content_types.insert(0, (content_type, content_type))
    return {
        "verticals": _with_current(list(taxonomy.verticals), vertical_name, keep_unknown),
        "vertical_known": vertical is not None,
        "exams": _with_current(exams, str(values.get(c.EXAM) or ""), keep_unknown),
        "subjects": _with_current(subjects, str(values.get(c.SUBJECT) or ""), keep_unknown),
        "content_types": content_types,
        "sub_categories": _with_current(
            sub_categories, str(values.get(c.SUB_CATEGORY) or ""), keep_unknown
        ),
        "statuses": [s.value for s in c.EditStatus],
    }


def _form_context(
    container: Any, values: dict[str, Any], prefix: str, error: AppError | None = None
) -> dict[str, Any]:
    return {
        "values": values,
        "error": error,
        "prefix": prefix,
        "choices": choices_for(container.taxonomy.current, values),
        "final_only": FINAL_ONLY,
        "reedit": c.tab_for_status(str(values.get(c.EDIT) or "")) is c.Tab.reedit,
    }


@router.get("/entries/choices")
def entry_choices(
    request: Request,
    actor: CurrentActor,
    container: ContainerDep,
    which: str = Query("vertical", pattern="^(vertical|content)$"),
    prefix: str = Query(ADD_PREFIX),
) -> Response:
    """The selects that depend on the vertical (exam, subject) or the content type (sub
    category), for htmx to swap in when that choice changes."""
    if not _PREFIX.fullmatch(prefix):
        raise Invalid("'prefix' must be a short lower-case name", field="prefix")
    values = {col: request.query_params.get(col, "") for col in FORM_COLUMNS}
    context = {
        "which": which,
        "prefix": prefix,
        "values": values,
        "choices": choices_for(container.taxonomy.current, values, keep_unknown=False),
        "content_labels": CONTENT_TYPE_LABELS,
    }
    return render(request, "entries/_form_choices_swap.html", context, actor=actor)


# Adding ----------------------------------------------------------------------------------------


@router.get("/entries/new")
def new_entry_page(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    container.entries.check_may_add(actor)
    values = {c.EMAIL: actor.email, c.EDIT: c.EditStatus.final.value}
    return render(
        request, "entries/new.html", _form_context(container, values, ADD_PREFIX), actor=actor
    )


def _posted_values(fields: dict[str, str]) -> dict[str, str]:
    """The columns a form sent; a disabled (Final-only while Re-edit) field is not sent."""
    return {col: fields[col] for col in FORM_COLUMNS if col in fields}


@router.post("/entries/new")
async def add_entry(request: Request, actor: CurrentActor, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    values = _posted_values(fields)
    body = {col: values.get(col, "") for col in FORM_COLUMNS}  # as the frontend sends it
    template = "entries/_form_add.html" if is_htmx(request) else "entries/new.html"
    try:
        record = await run_in_threadpool(container.entries.add, actor, body)
    except AppError as exc:
        if exc.field not in FORM_COLUMNS:
            raise  # not about one field (a viewer, a bad post): the page's message area says it
        context = _form_context(container, values, ADD_PREFIX, exc)
        return render(request, template, context, actor=actor, status_code=exc.status_code)
    carried = {col: record.get(col, values.get(col, "")) for col in CARRIED_OVER}
    context = {**_form_context(container, carried, ADD_PREFIX), "added": record}
    return render(request, template, context, actor=actor)


# Editing in the row ----------------------------------------------------------------------------


def _edit_row(
    request: Request,
    container: Any,
    actor: Actor,
    entry: dict[str, Any],
    *,
    error: AppError | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        **_form_context(container, entry, f"e{entry[c.ID_KEY]}", error),
        "entry": entry,
        "cells": EDIT_ROW_CELLS,
        "content_labels": CONTENT_TYPE_LABELS,
    }
    return render(request, "entries/_edit_row.html", context, actor=actor, status_code=status_code)


def _row(request: Request, actor: Actor, entry: dict[str, Any]) -> Response:
    return render(request, "entries/_row.html", {"entry": entry}, actor=actor)


@router.get("/entries/{entry_id:int}/edit")
def edit_row(
    request: Request, entry_id: RowId, actor: CurrentActor, container: ContainerDep
) -> Response:
    return _edit_row(request, container, actor, container.entries.editable(actor, entry_id))


@router.get("/entries/{entry_id:int}/row")
def plain_row(
    request: Request, entry_id: RowId, actor: CurrentActor, container: ContainerDep
) -> Response:
    return _row(request, actor, container.entries.get(entry_id))


def _normalised(col: str, value: Any) -> str:
    """A value as the service would store it, so only real differences count as conflicts."""
    text = str(value or "").replace("\r\n", "\n")
    if col == c.EDITOR_BRIEF:
        return text
    text = text.strip()
    return text.lower() if col == c.EMAIL else text


def differences(mine: dict[str, str], current: dict[str, Any]) -> list[dict[str, str]]:
    """The sent columns whose value differs from the stored one."""
    return [
        {"column": col, "mine": mine[col], "current": str(current.get(col) or "")}
        for col in FORM_COLUMNS
        if col in mine and _normalised(col, mine[col]) != _normalised(col, current.get(col))
    ]


@router.put("/entries/{entry_id:int}")
async def save_row(
    request: Request, entry_id: RowId, actor: CurrentActor, container: ContainerDep
) -> Response:
    fields = await form_fields(request)
    if not fields.get(c.VERSION_KEY):
        # Without the version a save could overwrite someone else's change unseen.
        raise Invalid(
            "The form did not say which version it edits: reload the entry and edit it again",
            field=c.VERSION_KEY,
        )
    values = _posted_values(fields)
    body = {**values, c.VERSION_KEY: fields[c.VERSION_KEY]}
    try:
        record = await run_in_threadpool(container.entries.update, actor, entry_id, body)
    except Conflict as exc:
        if exc.field != c.VERSION_KEY:
            raise
        return await _conflict(request, container, actor, entry_id, values)
    except AppError as exc:
        if exc.field not in FORM_COLUMNS:
            raise
        current = await run_in_threadpool(container.entries.editable, actor, entry_id)
        entry = {**current, **values, c.VERSION_KEY: fields[c.VERSION_KEY]}
        return _edit_row(request, container, actor, entry, error=exc, status_code=exc.status_code)
    return _row(request, actor, record)


async def _conflict(
    request: Request, container: Any, actor: Actor, entry_id: int, mine: dict[str, str]
) -> Response:
    """Someone saved the entry since it was opened: show both values of each differing field.

    "Overwrite with mine" sends the same values again with the version shown here, so it can
    only replace what the person has just seen.
    """
    current = await run_in_threadpool(container.entries.editable, actor, entry_id)
    diffs = differences(mine, current)
    if not diffs:  # they made the same change: saving ours changes nothing of theirs
        body = {**mine, c.VERSION_KEY: current[c.VERSION_KEY]}
        record = await run_in_threadpool(container.entries.update, actor, entry_id, body)
        return _row(request, actor, record)
    context = {"entry": current, "mine": mine, "diffs": diffs, "cells": EDIT_ROW_CELLS}
    return render(request, "entries/_conflict.html", context, actor=actor, status_code=409)


# Deleting and undoing --------------------------------------------------------------------------


@router.delete("/entries/{entry_id:int}")
def delete_row(
    request: Request,
    entry_id: RowId,
    actor: CurrentActor,
    container: ContainerDep,
    version: VersionParam = None,
) -> Response:
    """Soft delete; the answer is a row that offers to undo it. With ``version`` (the row's
    ``data-version``) a delete of a row changed meanwhile is refused."""
    record = container.entries.get(entry_id)
    container.entries.delete(actor, entry_id, if_match=version)
    context = {"entry": record, "cells": EDIT_ROW_CELLS}
    return render(request, "entries/_deleted_row.html", context, actor=actor)


@router.post("/entries/{entry_id:int}/restore")
def restore_row(
    request: Request, entry_id: RowId, actor: CurrentActor, container: ContainerDep
) -> Response:
    return _row(request, actor, container.entries.restore(actor, entry_id))
