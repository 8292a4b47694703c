"""Video ids as the frontend derives them: YouTube ids for Final rows, Drive ids for Re-edit."""

from __future__ import annotations

import re

_YOUTUBE_PATTERNS = (
    re.compile(
        r"(?:youtube\.com/shorts/|youtube\.com/watch\?(?:.*&)?v=|youtu\.be/|youtube\.com/embed/)"
        r"([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])"
    ),
)
_DRIVE_PATTERN = re.compile(r"/d/([A-Za-z0-9_-]{10,})")
_BARE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def youtube_id(link: str) -> str:
    """The 11-character id of a YouTube link, or ``""``."""
    if _BARE_ID.match(link):
        return link
    for pattern in _YOUTUBE_PATTERNS:
        match = pattern.search(link)
        if match:
            return match.group(1)
    return ""


def drive_id(link: str) -> str:
    """The file id of a Google Drive ``/d/<id>`` link, or ``""``."""
    match = _DRIVE_PATTERN.search(link)
    return match.group(1) if match else ""


def video_id_for(link: str, status: str) -> str:
    return drive_id(link) if status.lower() == "re-edit" else youtube_id(link)
