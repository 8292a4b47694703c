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
