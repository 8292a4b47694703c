"""``video_uploads.log``: one line per video operation, in a size-rotated file for operators."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from adda_dashboard.settings import Settings


def video_log_path(settings: Settings) -> Path:
    return settings.video_log_file or settings.log_dir / "video_uploads.log"


class VideoLog:
    """A logger of its own (not propagated) writing to a rotating file."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._handler = RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True
        )
        self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        self._logger = logging.getLogger(f"adda_dashboard.video_uploads.{id(self)}")
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False
        self._logger.addHandler(self._handler)

    def record(self, event: str, **fields: object) -> None:
        details = " ".join(f"{key}={value!r}" for key, value in fields.items())
        self._logger.info("%s %s", event, details)

    def warn(self, event: str, **fields: object) -> None:
        details = " ".join(f"{key}={value!r}" for key, value in fields.items())
        self._logger.warning("%s %s", event, details)

    def close(self) -> None:
        self._logger.removeHandler(self._handler)
        self._handler.close()

    @classmethod
    def from_settings(cls, settings: Settings) -> VideoLog:
        return cls(
            video_log_path(settings),
            max_bytes=settings.video_log_max_bytes,
            backups=settings.video_log_backups,
        )
