"""Entries in the shape the contract serves: keyed by the sheet's headers, plus id and version."""

from __future__ import annotations

from typing import Any

from adda_dashboard.domain import columns as c

# Attribute of a stored entry behind each column.
ATTRIBUTE_OF = {
    c.SR_NO: "sr_no",
    c.EMAIL: "email",
    c.VERTICAL: "vertical",
    c.EXAM: "exam",
    c.SUBJECT: "subject",
    c.CONTENT_TYPE: "content_type",
    c.SUB_CATEGORY: "sub_category",
    c.VIDEO_LINK: "video_link",
    c.EDIT: "edit_status",
    c.EDITOR_BRIEF: "editor_brief",
    c.FINAL_EDITED_LINK: "final_edited_link",
    c.VIDEO_ID: "video_id",
}
COLUMN_OF = {attr: col for col, attr in ATTRIBUTE_OF.items()}


def columns_for_status(status: str) -> tuple[str, ...]:
    return c.REEDIT_COLUMNS if c.tab_for_status(status) is c.Tab.reedit else c.MAIN_COLUMNS


def legacy_record(row: Any) -> dict[str, Any]:
    """The record ``/api/data`` serves for a stored entry (a row or object with its attributes).

    Re-edit entries carry the re-edit tab's ten columns, Final ones the main tab's twelve; both
    carry ``id`` (stable, what update and delete address) and ``version`` (send it back to update
    safely).
    """
    record: dict[str, Any] = {}
    for col in columns_for_status(row.edit_status):
        value = getattr(row, ATTRIBUTE_OF[col])
        record[col] = str(value) if col == c.SR_NO else value
    record[c.ID_KEY] = row.id
    record[c.VERSION_KEY] = row.version
    return record


def to_attributes(values: dict[str, str]) -> dict[str, str]:
    """Column-keyed values -> model attributes."""
    return {ATTRIBUTE_OF[col]: value for col, value in values.items() if col in ATTRIBUTE_OF}


def to_columns(row: Any) -> dict[str, str]:
    """A stored entry's editable values keyed by column (all twelve, whatever its status)."""
    return {col: getattr(row, attr) for col, attr in ATTRIBUTE_OF.items() if col != c.SR_NO}


def legacy_records(
    rows: list[tuple[Any, ...]], attributes: tuple[str, ...]
) -> list[dict[str, Any]]:
    """``legacy_record`` for many plain tuples whose fields are named by ``attributes``.

    The key/position pairs are worked out once per call, not once per row: this runs over every
    entry each time the dataset changes.
    """
    position = {attr: i for i, attr in enumerate(attributes)}
    status_at = position["edit_status"]
    sr_no_at = position["sr_no"]
    layouts = {}
    for status in (c.EditStatus.final.value, c.EditStatus.reedit.value):
        layouts[status] = [
            (col, position[ATTRIBUTE_OF[col]])
            for col in columns_for_status(status)
            if col != c.SR_NO
        ]
    id_at, version_at = position["id"], position["version"]
    records = []
    for row in rows:
        layout = layouts.get(row[status_at]) or layouts[c.EditStatus.final.value]
        record: dict[str, Any] = {c.SR_NO: str(row[sr_no_at])}
        for col, at in layout:
            record[col] = row[at]
        record[c.ID_KEY] = row[id_at]
        record[c.VERSION_KEY] = row[version_at]
        records.append(record)
    return records
