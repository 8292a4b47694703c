"""Rules for video downloads: which addresses may be fetched, and what yt-dlp's errors mean.

Pure functions: the adapters resolve names and run yt-dlp; this module only judges.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from urllib.parse import urlsplit

from adda_dashboard.errors import Invalid


class JobStatus(StrEnum):
    queued = "queued"
    downloading = "downloading"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE_STATUSES = (JobStatus.queued, JobStatus.downloading)
FINISHED_STATUSES = (JobStatus.completed, JobStatus.failed, JobStatus.cancelled)


def parse_download_url(raw: object) -> tuple[str, str]:
    """The URL and its host, for http(s) URLs only; anything else is refused with a 400."""
    if raw is None:
        raise Invalid("YouTube URL is required", field="youtube_url")
    if not isinstance(raw, str):
        raise Invalid("YouTube URL must be a string", field="youtube_url")
    url = raw.strip()
    if not url:
        raise Invalid("YouTube URL cannot be empty", field="youtube_url")
    if len(url) > 2048:
        raise Invalid("The URL is longer than 2048 characters", field="youtube_url")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise Invalid("Only http and https URLs can be downloaded", field="youtube_url")
    if parts.username or parts.password:
        raise Invalid("URLs with credentials are not accepted", field="youtube_url")
    return url, parts.hostname


def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TRANSIENT = re.compile(
    r"bytes read, \d+ more expected|timed? ?out|connection (?:reset|refused|aborted)|"
    r"remote end closed|incompleteread|broken pipe|temporary failure|"
    r"HTTP Error 5\d\d|HTTP Error 429|Did not get any data blocks|network is unreachable|"
    r"giving up after",
    re.IGNORECASE,
)
_CUT_SHORT = re.compile(r"(\d+) bytes read, (\d+) more expected")
_PLAIN_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"not a bot|Sign in to confirm", re.I),
        "YouTube asked for a sign-in to prove this server is not a bot, so it refused the "
        "download. Try again later, or download the video yourself and upload it.",
    ),
    (
        re.compile(r"Private video", re.I),
        "The video is private, so it cannot be downloaded.",
    ),
    (
        re.compile(r"members-only|Join this channel", re.I),
        "The video is for channel members only, so it cannot be downloaded.",
    ),
    (
        re.compile(r"age[- ]restricted|confirm your age", re.I),
        "The video is age-restricted and needs a signed-in account, so it cannot be downloaded.",
    ),
    (
        re.compile(r"Video unavailable|not available|has been removed|no longer available", re.I),
        "The video is unavailable: it was removed, made private, or is blocked in this region.",
    ),
    (
        re.compile(r"HTTP Error 403", re.I),
        "The video host refused the download (HTTP 403 Forbidden).",
    ),
    (
        re.compile(r"HTTP Error 404", re.I),
        "Nothing was found at that address (HTTP 404 Not Found).",
    ),
    (
        re.compile(r"Unsupported URL", re.I),
        "No video was found at that address.",
    ),
    (
        re.compile(r"larger than max-filesize|File is larger", re.I),
        "The video is larger than the upload size limit.",
    ),
)


def clean_message(text: str) -> str:
    text = _ANSI.sub("", text).replace("\r", " ").strip()
    text = re.sub(r"^ERROR:\s*", "", text)
    return re.sub(r"\s+", " ", text)


def is_transient(text: str) -> bool:
    """Whether a download error is worth retrying: network trouble, not a refusal."""
    cleaned = clean_message(text)
    if any(pattern.search(cleaned) for pattern, _ in _PLAIN_WORDS):
        return False
    return bool(_TRANSIENT.search(cleaned))


def explain(text: str) -> str:
    """yt-dlp's error in words a user can act on, keeping its own text when it is unfamiliar."""
    cleaned = clean_message(text)
    for pattern, words in _PLAIN_WORDS:
        if pattern.search(cleaned):
            return words
    cut = _CUT_SHORT.search(cleaned)
    if cut:
        return (
            "The video host closed the connection before the whole video arrived "
            f"({cut.group(1)} bytes received, {cut.group(2)} missing)."
        )
    if _TRANSIENT.search(cleaned):
        return f"The connection to the video host failed ({cleaned[:300]})."
    return f"The download failed: {cleaned[:500]}"
