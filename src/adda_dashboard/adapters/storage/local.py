"""Videos as files in one directory on local disk (the default backend)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from adda_dashboard.adapters.storage import StoredObject, check_name

COPY_CHUNK = 1024 * 1024


class LocalStorage:
    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_name(key)

    def _incoming(self) -> Path:
        incoming = self.root / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        return incoming / f"{uuid.uuid4().hex}.part"

    def save(self, source: BinaryIO, name: str, *, content_type: str) -> StoredObject:
        target = self._path(name)
        temp = self._incoming()
        try:
            with temp.open("wb") as out:
                shutil.copyfileobj(source, out, COPY_CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        return StoredObject(key=name, size=target.stat().st_size)

    def save_file(self, path: Path, name: str, *, content_type: str) -> StoredObject:
        target = self._path(name)
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except OSError:  # another file system: copy, then the caller removes its file
            with path.open("rb") as source:
                return self.save(source, name, content_type=content_type)
        return StoredObject(key=name, size=target.stat().st_size)

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        with self._path(key).open("rb") as handle:
            yield handle

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def public_link(self, key: str) -> str | None:
        return None

    def location(self) -> str:
        return str(self.root.resolve())
