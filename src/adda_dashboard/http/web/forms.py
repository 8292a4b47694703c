"""Reading HTML form posts: small url-encoded bodies, turned into plain dicts."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from adda_dashboard.domain.bounds import ascii_digits
from adda_dashboard.errors import Invalid, PayloadTooLarge

MAX_FORM_BYTES = 64 * 1024


async def form_fields(request: Request) -> dict[str, str]:
    """The posted fields; a repeated field keeps its last value, as the API's query strings do."""
    declared = request.headers.get("content-length")
    if declared and ascii_digits(declared) and int(declared) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"A form may hold at most {MAX_FORM_BYTES // 1024} KiB", field="body")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Invalid("Expected a form post", field="body")
    form = await request.form(max_files=0, max_fields=200)
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields[key] = value
    return fields


def safe_next(target: str | None, default: str = "/ui/") -> str:
    """Where to go after signing in: only a dashboard path of this server."""
    if target and target.startswith("/ui") and not target.startswith("//") and "\\" not in target:
        return target
    return default
