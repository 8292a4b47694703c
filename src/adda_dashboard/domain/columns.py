"""The sheet's column names, which are also the API keys (contract: columns.md)."""

from __future__ import annotations

from enum import StrEnum

SR_NO = "Sr no."
EMAIL = "Email"
VERTICAL = "Vertical Name"
EXAM = "Exam Name"
SUBJECT = "Subject"
CONTENT_TYPE = "Type of Content"
SUB_CATEGORY = "Sub category"
VIDEO_LINK = "Video Link"
EDIT = "Edit"
EDITOR_BRIEF = "Editor Brief"
FINAL_EDITED_LINK = "Final Edited Link"
VIDEO_ID = "VideoId"

# Main tab, in the order this service fixes (columns.md §2).
MAIN_COLUMNS: tuple[str, ...] = (
    SR_NO,
    EMAIL,
    VERTICAL,
    EXAM,
    SUBJECT,
    CONTENT_TYPE,
    SUB_CATEGORY,
    VIDEO_LINK,
    EDIT,
    EDITOR_BRIEF,
    FINAL_EDITED_LINK,
    VIDEO_ID,
)
# Re-edit ("Drive Links") tab: the main set without the two editor columns (columns.md §3).
REEDIT_COLUMNS: tuple[str, ...] = tuple(
    c for c in MAIN_COLUMNS if c not in (EDITOR_BRIEF, FINAL_EDITED_LINK)
)

# Keys the frontend sends that are not columns; accepted and dropped, as the original does.
IGNORED_BODY_KEYS = frozenset({"Re-edit Drive Link", "Sr No.", "Sr. No."})

# Keys this service adds to every record: the stable id and the optimistic-concurrency version.
ID_KEY = "id"
VERSION_KEY = "version"

TICKET_COLUMNS: tuple[str, ...] = (
    "Ticket ID",
    "Vertical",
    "Exam Name",
    "Subject",
    "Issue Type",
    "Status",
    "Issue Text",
)


class EditStatus(StrEnum):
    final = "Final"
    reedit = "Re-edit"


class Tab(StrEnum):
    """Which of the original's two lists an entry belongs to."""

    main = "main"
    reedit = "reedit"


def tab_for_status(status: str) -> Tab:
    """The original routes a row to the re-edit tab when ``Edit`` lower-cased is ``re-edit``."""
    return Tab.reedit if status.lower() == "re-edit" else Tab.main


CONTENT_TYPES = ("Exam_Information", "Content", "Motivational_or_Fun")
CONTENT_SUB_CATEGORIES = ("Topic/Facts", "Question", "Tricks & Formulas", "Spoken English")
ISSUE_TYPES = (
    "Wrong Data Entry",
    "Duplicate Entry",
    "Missing Information",
    "Incorrect Video Link",
    "Wrong Category/Subject",
    "Other",
)
TICKET_STATUSES = ("Open", "In Progress", "Resolved", "Closed")
