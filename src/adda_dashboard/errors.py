"""Business errors: each carries its HTTP status, rendered in one place (``http/errors.py``)."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}
        self.headers = headers or {}


class Invalid(AppError):
    status_code = 400
    code = "invalid"


class Unauthorized(AppError):
    """Only for a missing, malformed, expired or revoked token: the frontend logs out on 401."""

    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class PreconditionFailed(AppError):
    status_code = 412
    code = "precondition_failed"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "too_large"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"


class Unavailable(AppError):
    status_code = 503
    code = "unavailable"


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached or is restarting: the same request works once it is back,
    so clients are told to retry (``Retry-After``) instead of being shown a server fault."""

    code = "database_unavailable"
    RETRY_AFTER_S = 5

    def __init__(self) -> None:
        super().__init__(
            "The database is unavailable at the moment; please try again in a few seconds",
            headers={"Retry-After": str(self.RETRY_AFTER_S)},
        )


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"


class InsufficientStorage(AppError):
    status_code = 507
    code = "insufficient_storage"


STORAGE_FULL_MESSAGE = (
    "The video storage is full; nothing was saved. Try again once space has been freed"
)


class StorageFull(InsufficientStorage):
    """The video disk filled up while a file was being written (past the free-space guard)."""

    code = "storage_full"

    def __init__(self, field: str = "video") -> None:
        super().__init__(STORAGE_FULL_MESSAGE, field=field)
