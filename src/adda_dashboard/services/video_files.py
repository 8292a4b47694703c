"""Receiving a file: bytes go to a temporary file in the staging directory as they arrive,
hashed and counted on the way, so an upload of any size costs a few chunks of memory."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path
from types import TracebackType

from adda_dashboard.domain.video_format import SNIFF_BYTES
from adda_dashboard.errors import InsufficientStorage, Invalid, PayloadTooLarge

HASH_CHUNK = 1024 * 1024
MAX_LABEL = 200


def size_limit_message(limit_bytes: int) -> str:
    return f"The video is larger than the limit of {limit_bytes // (1024 * 1024)} MB"


class IncomingFile:
    """A temporary file being written; removed on ``discard`` or when its block fails."""

    def __init__(self, directory: Path, limit_bytes: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"up-{uuid.uuid4().hex}.part"
        self.limit_bytes = limit_bytes
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256()
        self._handle = self.path.open("xb")

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit_bytes:
            raise PayloadTooLarge(size_limit_message(self.limit_bytes), field="video")
        if len(self.head) < SNIFF_BYTES + 200:
            self.head += data[: SNIFF_BYTES + 200 - len(self.head)]
        self._hash.update(data)
        self._handle.write(data)

    def finish(self) -> str:
        """Close the file; returns the sha256 of everything written."""
        if not self._handle.closed:
            self._handle.close()
        return self._hash.hexdigest()

    def discard(self) -> None:
        if not self._handle.closed:
            self._handle.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> IncomingFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self.discard()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_free_space(directory: Path, min_free_bytes: int) -> None:
    """Refuse new work while the disk that holds incoming files is nearly full."""
    if min_free_bytes <= 0:
        return
    directory.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(directory).free
    if free < min_free_bytes:
        raise InsufficientStorage(
            f"The server is low on disk space ({free // (1024 * 1024)} MB free, at least "
            f"{min_free_bytes // (1024 * 1024)} MB needed); uploads and downloads are paused",
            headers={"Retry-After": "600"},
        )


def clean_label(value: object, field: str, default: str = "Unknown") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise Invalid(f"'{field}' must be text", field=field)
    text = " ".join(value.split())
    if len(text) > MAX_LABEL:
        raise Invalid(f"'{field}' is longer than {MAX_LABEL} characters", field=field)
    return text or default


def safe_original_name(name: str | None) -> str:
    """The client's file name, kept only as a label: no directories, no control characters."""
    if not name:
        return ""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:255]
