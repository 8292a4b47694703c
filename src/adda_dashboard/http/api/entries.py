"""Entries: the legacy list and writes, plus filtered pages, single entries and history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request

from adda_dashboard.domain import columns as c
from adda_dashboard.domain.bounds import MAX_ID
from adda_dashboard.http.deps import (
    ContainerDep,
    CurrentActor,
    IfMatch,
    JsonBody,
    ReadingActor,
)
from adda_dashboard.http.responses import OrjsonResponse
from adda_dashboard.http.snapshots import cached_snapshot, page_snapshot_name

router = APIRouter(prefix="/api", tags=["entries"])

EntryId = Path(ge=1, le=MAX_ID, description="The entry's stable id (the `id` of a record)")


def _with_etag(payload: dict[str, Any], version: int, status: int = 200) -> OrjsonResponse:
    return OrjsonResponse(payload, status_code=status, headers={"ETag": f'"{version}"'})


@router.get("/data")
def get_data(request: Request, actor: ReadingActor, container: ContainerDep) -> Any:
    """Without parameters: the legacy list. With any filter, `q`, `sort`, `limit` or `cursor`:
    one keyset page (`next_cursor` continues it)."""
    params = {k: v for k, v in request.query_params.items() if k != "_"}
    if params:
        # Pages are cached by dataset version too, under a digest of the canonical query.
        name = page_snapshot_name(params)
        return cached_snapshot(request, container, name, lambda: container.reports.page(params))
    return cached_snapshot(request, container, "data", container.entries.legacy_list_pieces)


@router.post("/add")
def add_entry(actor: CurrentActor, container: ContainerDep, body: JsonBody) -> Any:
    record = container.entries.add(actor, body)
    where = "re-edit sheet" if record[c.EDIT] == c.EditStatus.reedit else "main sheet"
    message = (
        "Re-edit entry added successfully to re-edit sheet"
        if where == "re-edit sheet"
        else "Row added successfully to main sheet"
    )
    return _with_etag(
        {"success": True, "message": message, "id": record["id"], "data": record},
        record["version"],
    )


@router.put("/update/{entry_id}")
def update_entry(
    actor: CurrentActor,
    container: ContainerDep,
    body: JsonBody,
    if_match: IfMatch,
    entry_id: int = EntryId,
) -> Any:
    record = container.entries.update(actor, entry_id, body, if_match=if_match)
    return _with_etag(
        {"success": True, "message": "Row updated successfully", "id": entry_id, "data": record},
        record["version"],
    )


@router.delete("/delete/{entry_id}")
def delete_entry(
    actor: CurrentActor, container: ContainerDep, if_match: IfMatch, entry_id: int = EntryId
) -> Any:
    container.entries.delete(actor, entry_id, if_match=if_match)
    return {"success": True, "message": "Row deleted successfully", "id": entry_id}


@router.get("/entries/{entry_id}")
def get_entry(actor: ReadingActor, container: ContainerDep, entry_id: int = EntryId) -> Any:
    record = container.entries.get(entry_id)
    return _with_etag({"success": True, "data": record}, record["version"])


@router.get("/entries/{entry_id}/history")
def entry_history(actor: CurrentActor, container: ContainerDep, entry_id: int = EntryId) -> Any:
    return {"success": True, "history": container.entries.history(actor, entry_id)}


@router.post("/entries/{entry_id}/restore")
def restore_entry(actor: CurrentActor, container: ContainerDep, entry_id: int = EntryId) -> Any:
    record = container.entries.restore(actor, entry_id)
    return {"success": True, "message": "Entry restored", "id": entry_id, "data": record}
