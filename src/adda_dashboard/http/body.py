"""Reading JSON bodies ourselves, so every malformed body gets the same clear 400."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from adda_dashboard.errors import Invalid, PayloadTooLarge

MAX_JSON_BODY_BYTES = 256 * 1024


async def json_body(request: Request) -> Any:
    """The parsed body; ``None`` when it is empty. Too large -> 413; not JSON -> 400."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_JSON_BODY_BYTES:
        raise PayloadTooLarge(
            f"The body is larger than {MAX_JSON_BODY_BYTES} bytes", field="body"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_JSON_BODY_BYTES:
            raise PayloadTooLarge(
                f"The body is larger than {MAX_JSON_BODY_BYTES} bytes", field="body"
            )
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"The body is not valid JSON: {exc}", field="body") from None
