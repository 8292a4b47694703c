"""Reading JSON bodies ourselves, so every malformed body gets the same clear 4xx.

Rules, the same for every endpoint that takes a body:

* larger than ``MAX_JSON_BODY_BYTES`` -> 413 (checked on the declared length and while reading);
* empty (or only whitespace) -> ``None``, which services answer with "No data provided";
* a ``Content-Type`` other than JSON (``application/json`` or any ``+json`` type) on a non-empty
  body -> 415; a body sent without any ``Content-Type`` is read as JSON;
* not UTF-8 JSON -> 400; JSON ``null`` -> ``None``; any other JSON that is not an object -> 400.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from adda_dashboard.domain.bounds import ascii_digits
from adda_dashboard.domain.entry_rules import json_type
from adda_dashboard.errors import Invalid, PayloadTooLarge, UnsupportedMediaType

MAX_JSON_BODY_BYTES = 256 * 1024


def is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def json_body(request: Request) -> Any:
    """The parsed JSON object; ``None`` when the body is empty or ``null``."""
    too_large = PayloadTooLarge(
        f"The body is larger than {MAX_JSON_BODY_BYTES} bytes", field="body"
    )
    declared = request.headers.get("content-length")
    if declared and ascii_digits(declared) and int(declared) > MAX_JSON_BODY_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_JSON_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    content_type = request.headers.get("content-type")
    if content_type is not None and not is_json_media_type(content_type):
        raise UnsupportedMediaType(
            f"The body must be JSON sent as 'Content-Type: application/json', "
            f"not {content_type.split(';', 1)[0].strip() or 'an empty type'}",
            field="Content-Type",
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"The body is not valid JSON: {exc}", field="body") from None
    if body is not None and not isinstance(body, dict):
        raise Invalid(
            f"The body must be a JSON object keyed by field names, not {json_type(body)}",
            field="body",
        )
    return body
