"""Fetching a video with yt-dlp into a directory of the caller's choosing.

One attempt per call: retries, progress storage and clean-up belong to the service. yt-dlp's
own retries are off so that every retry is visible, counted and backed off in one place. Every
connection yt-dlp makes goes through the address guard (``guarded_ytdlp``); a connection the
guard refused fails the download as ``AddressRefused``, whatever yt-dlp made of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adda_dashboard.adapters.address_guard import AddressGuard, AddressRefused, GuardedConnections

ProgressCallback = Callable[[dict[str, Any]], None]
INFO_KEYS = ("id", "title", "duration", "uploader", "upload_date", "view_count", "description")
MAX_DESCRIPTION = 5000


class DownloadFailed(Exception):
    """yt-dlp gave up; ``message`` is its own text (the service turns it into plain words)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.tries = 1


@dataclass(frozen=True)
class Downloaded:
    path: Path
    info: dict[str, Any] = field(default_factory=dict)


class _Log:
    """yt-dlp's logger: keep its errors for the caller instead of printing them."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def error(self, msg: str) -> None:
        self.errors.append(msg)


class Downloader:
    def __init__(self, guard: AddressGuard, *, socket_timeout_s: float, max_filesize: int) -> None:
        self.guard = guard
        self.socket_timeout_s = socket_timeout_s
        self.max_filesize = max_filesize

    def download(self, url: str, dest: Path, on_progress: ProgressCallback) -> Downloaded:
        """Download ``url`` into the empty directory ``dest``; DownloadFailed on any failure.

        ``on_progress`` gets yt-dlp's progress dicts; an exception it raises aborts the download.
        AddressRefused when the download was sent to an address the guard refused.
        """
        import yt_dlp  # heavy: imported by the worker's first download, not by the web app

        from adda_dashboard.adapters.guarded_ytdlp import GuardedYoutubeDL

        log = _Log()
        options: dict[str, Any] = {
            "outtmpl": str(dest / "video.%(ext)s"),
            "format": "b[ext=mp4]/b",  # one file: merging streams needs an ffmpeg binary
            "noplaylist": True,
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "logger": log,
            "retries": 0,
            "fragment_retries": 0,
            "extractor_retries": 0,
            "continuedl": False,
            "cachedir": False,
            "socket_timeout": self.socket_timeout_s,
            "max_filesize": self.max_filesize,
            "progress_hooks": [on_progress],
            "restrictfilenames": True,
            "windowsfilenames": True,
        }
        connections = self.guard.connections()
        try:
            with GuardedYoutubeDL(options, connections) as ydl:
                info = ydl.extract_info(url, download=True)
        except yt_dlp.utils.DownloadError as exc:
            _raise_first_refusal(connections)
            cause = exc.exc_info[1] if exc.exc_info and exc.exc_info[1] else None
            if cause is not None and not isinstance(cause, yt_dlp.utils.YoutubeDLError):
                raise cause from exc  # our own progress callback's exception: let it through
            raise DownloadFailed(str(exc.msg or exc)) from exc
        _raise_first_refusal(connections)
        if log.errors and info is None:
            raise DownloadFailed(log.errors[-1])
        files = [p for p in dest.iterdir() if p.is_file() and not p.name.endswith(".part")]
        if not files:
            if info and info.get("filesize") and info["filesize"] > self.max_filesize:
                raise DownloadFailed("File is larger than max-filesize")
            raise DownloadFailed(log.errors[-1] if log.errors else "No file was downloaded")
        return Downloaded(path=files[0], info=_summary(info or {}))


def _raise_first_refusal(connections: GuardedConnections) -> None:
    """A refusal fails the download even when yt-dlp carried on (a fallback format, a swallowed
    error): the host pointed it at an address it must not reach."""
    if connections.refused:
        refusal = connections.refused[0]
        raise AddressRefused(refusal.message, host=refusal.host, address=refusal.address)


def _summary(info: dict[str, Any]) -> dict[str, Any]:
    summary = {key: info.get(key) for key in INFO_KEYS}
    if isinstance(summary["description"], str):
        summary["description"] = summary["description"][:MAX_DESCRIPTION]
    return summary
