"""Validation of entry bodies keyed by the sheet's column names.

One set of rules serves the API (add and update) and the file import, so a row refused by one is
refused by the other with the same field name and reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from adda_dashboard.domain import columns as c
from adda_dashboard.domain.taxonomy import Taxonomy
from adda_dashboard.domain.video_ids import video_id_for
from adda_dashboard.errors import Invalid

MAX_LENGTH = {
    c.EMAIL: 254,
    c.VIDEO_LINK: 2048,
    c.FINAL_EDITED_LINK: 2048,
    c.EDITOR_BRIEF: 5000,
    c.VIDEO_ID: 128,
}
DEFAULT_MAX_LENGTH = 200
MULTILINE = frozenset({c.EDITOR_BRIEF})
EDITABLE_COLUMNS = tuple(col for col in c.MAIN_COLUMNS if col != c.SR_NO)
REQUIRED = (c.EMAIL, c.VERTICAL, c.EXAM, c.CONTENT_TYPE, c.VIDEO_LINK, c.EDIT)
SUB_CATEGORIES = {
    "Content": c.CONTENT_SUB_CATEGORIES,
    "Exam_Information": ("Exam Pattern", "Syllabus Overview", "Preparation Strategy", "Study Plan"),
    "Motivational_or_Fun": ("Motivational Shorts", "Classroom Moments", "Exam Life Situations"),
}
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]*$")
# Unicode category Cc: C0 controls, DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters RFC 3986 never allows unencoded in a URL.
_NOT_IN_URL = re.compile(r'[\s<>"{}|\\^`]')
# What a username may hold besides letters, marks and digits of any script: the punctuation an
# email's local part may hold, so every address's local part is a valid username.
_USERNAME_PUNCTUATION = frozenset(".!#$%&'*+/=?^_`{|}~-")


def clean_text(field: str, value: Any, *, multiline: bool = False, max_length: int) -> str:
    """A string value checked for type, control characters and length.

    Single-line text is trimmed of surrounding whitespace (a pasted trailing newline included);
    any other control character, and any tab or line break inside single-line text, is refused.
    Multi-line text keeps tabs and line breaks and is never trimmed.
    """
    if not isinstance(value, str):
        raise Invalid(f"'{field}' must be a string, not {json_type(value)}", field=field)
    found = _CONTROL_EXCEPT_BREAKS.search(value)
    if not multiline:
        value = value.strip()
        found = found or _CONTROL.search(value)
    if found:
        raise Invalid(
            f"'{field}' contains a control character (U+{ord(found.group()):04X})", field=field
        )
    if len(value) > max_length:
        raise Invalid(
            f"'{field}' is too long: {len(value)} characters, at most {max_length}", field=field
        )
    return value


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def is_email_syntax(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value)) and ".." not in value


def check_email(value: str, allowed_domains: tuple[str, ...], field: str = c.EMAIL) -> str:
    """A syntactically plain address of an allowed domain, stored lower-cased."""
    if not is_email_syntax(value):
        raise Invalid(f"'{field}' is not a valid email address", field=field)
    domain = value.rsplit("@", 1)[1].lower()
    if domain not in allowed_domains:
        raise Invalid(f"'{field}' must be an address at {', '.join(allowed_domains)}", field=field)
    return value.lower()


def check_username(value: str, field: str = "username") -> str:
    """Letters, marks and digits of any script plus an email local part's punctuation."""
    for ch in value:
        if ch not in _USERNAME_PUNCTUATION and unicodedata.category(ch)[0] not in "LMN":
            allowed = "".join(sorted(_USERNAME_PUNCTUATION))
            raise Invalid(
                f"'{field}' may hold only letters, digits and {allowed} (found {ch!r})",
                field=field,
            )
    return value


def check_sign_in_name(value: str, field: str) -> str:
    """A sign-in identifier: an email address when it holds '@', else a username."""
    if "@" in value:
        if not is_email_syntax(value):
            raise Invalid(f"'{field}' is not a valid email address", field=field)
        return value
    return check_username(value, field)


def check_url(field: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or _NOT_IN_URL.search(value):
        raise Invalid(f"'{field}' must be an http(s) URL", field=field)


def check_known_keys(body: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse a key this endpoint does not read, rather than silently dropping it."""
    known = frozenset(allowed)
    for key in body:
        if key not in known:
            raise Invalid(f"unknown field '{key}' (allowed: {', '.join(sorted(known))})", field=key)


def parse_fields(body: Mapping[str, Any], *, allowed: tuple[str, ...]) -> dict[str, str]:
    """The body's column values, cleaned; unknown keys refused, ignored keys dropped."""
    values: dict[str, str] = {}
    for key, raw in body.items():
        if key in c.IGNORED_BODY_KEYS or key in (c.SR_NO, c.ID_KEY, c.VERSION_KEY):
            continue
        if key not in allowed:
            raise Invalid(f"unknown field '{key}'", field=key)
        values[key] = clean_text(
            key,
            raw,
            multiline=key in MULTILINE,
            max_length=MAX_LENGTH.get(key, DEFAULT_MAX_LENGTH),
        )
    return values


def validate_entry(values: dict[str, str], taxonomy: Taxonomy) -> dict[str, str]:
    """Check a complete entry against the taxonomy and cross-field rules; returns it completed."""
    record = {col: values.get(col, "") for col in EDITABLE_COLUMNS}
    for col in REQUIRED:
        if not record[col]:
            raise Invalid(f"'{col}' is required", field=col)
    status = record[c.EDIT]
    if status not in (c.EditStatus.final, c.EditStatus.reedit):
        raise Invalid(f"'{c.EDIT}' must be 'Final' or 'Re-edit'", field=c.EDIT)
    vertical = taxonomy.vertical(record[c.VERTICAL])
    if vertical is None:
        raise Invalid(
            f"'{c.VERTICAL}' must be one of: {', '.join(taxonomy.verticals)}", field=c.VERTICAL
        )
    if record[c.EXAM] != "All" and record[c.EXAM] not in vertical["exams"]:
        raise Invalid(f"'{c.EXAM}' is not an exam of {record[c.VERTICAL]}", field=c.EXAM)
    content_type = record[c.CONTENT_TYPE]
    if content_type not in c.CONTENT_TYPES:
        raise Invalid(
            f"'{c.CONTENT_TYPE}' must be one of: {', '.join(c.CONTENT_TYPES)}", field=c.CONTENT_TYPE
        )
    if record[c.SUBJECT] and record[c.SUBJECT] not in vertical["subjects"]:
        raise Invalid(f"'{c.SUBJECT}' is not a subject of {record[c.VERTICAL]}", field=c.SUBJECT)
    if content_type == "Content":
        for col in (c.SUBJECT, c.SUB_CATEGORY):
            if not record[col]:
                raise Invalid(f"'{col}' is required when the content type is Content", field=col)
    if record[c.SUB_CATEGORY] and record[c.SUB_CATEGORY] not in SUB_CATEGORIES[content_type]:
        raise Invalid(
            f"'{c.SUB_CATEGORY}' must be one of: {', '.join(SUB_CATEGORIES[content_type])}",
            field=c.SUB_CATEGORY,
        )
    check_url(c.VIDEO_LINK, record[c.VIDEO_LINK])
    if record[c.FINAL_EDITED_LINK]:
        check_url(c.FINAL_EDITED_LINK, record[c.FINAL_EDITED_LINK])
    if record[c.EMAIL]:
        record[c.EMAIL] = check_email(record[c.EMAIL], taxonomy.allowed_email_domains)
    if not _VIDEO_ID.fullmatch(record[c.VIDEO_ID]):
        raise Invalid(
            f"'{c.VIDEO_ID}' may hold only letters, digits, '-' and '_'", field=c.VIDEO_ID
        )
    if not record[c.VIDEO_ID]:
        record[c.VIDEO_ID] = video_id_for(record[c.VIDEO_LINK], status)
    return record


def parse_version(body: Mapping[str, Any]) -> int | None:
    """The optimistic-concurrency version a client sent back, if any."""
    raw = body.get(c.VERSION_KEY)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise Invalid(f"'{c.VERSION_KEY}' must be a whole number", field=c.VERSION_KEY)
    try:
        version = int(raw)
    except ValueError:
        raise Invalid(f"'{c.VERSION_KEY}' must be a whole number", field=c.VERSION_KEY) from None
    if version < 1:
        raise Invalid(f"'{c.VERSION_KEY}' must be 1 or more", field=c.VERSION_KEY)
    return version
