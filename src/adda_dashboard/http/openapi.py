"""What /openapi.json says of routes that read their JSON body themselves (``http/body.py``).

Such a route declares no body model, so FastAPI would document neither its body nor its error
answers. ``body_of`` and ``answers`` describe both in the route's decorator, in the one error
shape every answer has (``http/errors.py``).
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["success", "error", "message"],
    "properties": {
        "success": {"type": "boolean", "const": False},
        "error": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "the field at fault, when there is one"},
        "request_id": {"type": "string"},
    },
}


def body_of(properties: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    """``openapi_extra`` for a JSON object body with these properties."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def answers(
    ok: tuple[int, str, dict[str, Any]], errors: dict[int, str]
) -> dict[int | str, dict[str, Any]]:
    """``responses`` for a route: its success (status, description, properties) and errors."""
    status, description, properties = ok
    success = {
        "type": "object",
        "properties": {"success": {"type": "boolean", "const": True}, **properties},
    }
    documented: dict[int | str, dict[str, Any]] = {
        status: {"description": description, "content": {"application/json": {"schema": success}}}
    }
    for code, meaning in errors.items():
        documented[code] = {
            "description": meaning,
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }
    return documented
