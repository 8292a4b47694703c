"""Receiving a file: bytes go to a temporary file in the staging directory as they arrive,
hashed and counted on the way, so an upload of any size costs a few chunks of memory.

Free space is measured on the file system that holds the video folders (the staging folder
and the local store), never the working directory's; and a disk that fills up anyway while a
file is written (``ENOSPC``, or ``EDQUOT`` for a quota) is answered as ``StorageFull``, with
the partial file removed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

from adda_dashboard.domain.video_format import SNIFF_BYTES
from adda_dashboard.errors import InsufficientStorage, Invalid, PayloadTooLarge, StorageFull

HASH_CHUNK = 1024 * 1024
MAX_LABEL = 200
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` is a write refused for want of space (the disk or a quota)."""
    return isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS


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
        try:
            self._handle.write(data)
        except OSError as exc:
            if is_disk_full(exc):
                raise StorageFull() from exc
            raise

    def finish(self) -> str:
        """Close the file; returns the sha256 of everything written."""
        try:
            if not self._handle.closed:
                self._handle.close()  # writes out what is still buffered: the disk may be full
        except OSError as exc:
            if is_disk_full(exc):
                raise StorageFull() from exc
            raise
        return self._hash.hexdigest()

    def discard(self) -> None:
        if not self._handle.closed:
            # Closing writes out the buffer, which fails again on a full disk; the file is
            # closed all the same, and removed below.
            with contextlib.suppress(OSError):
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


def measured_folder(folder: Path) -> Path:
    """The folder whose file system holds ``folder``: itself, created when missing, or when it
    cannot be created its nearest existing parent (never the working directory)."""
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    probe = folder.absolute()
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    return probe


class DiskSpace(NamedTuple):
    free: int
    total: int


def disk_space_of(folders: Iterable[Path]) -> DiskSpace:
    """The space of the fullest file system among those holding ``folders``."""
    usages = [shutil.disk_usage(measured_folder(folder)) for folder in folders]
    fullest = min(usages, key=lambda usage: usage.free)
    return DiskSpace(free=fullest.free, total=fullest.total)


def ensure_free_space(folders: Iterable[Path], min_free_bytes: int) -> None:
    """Refuse new work while the disk that holds the video folders is nearly full."""
    if min_free_bytes <= 0:
        return
    free = disk_space_of(folders).free
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
