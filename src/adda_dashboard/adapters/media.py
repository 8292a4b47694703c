"""Reading a video's facts with PyAV (FFmpeg): container, duration, size, codec, frame rate.

Called only after the first bytes named a video container; this confirms the file really is
one (a PNG renamed .mp4 opens in FFmpeg as an image "video", which is why sniffing comes first).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adda_dashboard.domain.shorts import display_size
from adda_dashboard.domain.video_format import (
    MP4,
    QUICKTIME,
    SNIFF_BYTES,
    THREE_GP,
    ContainerKind,
    iso_boxes_fit,
    sniff_container,
)

ISO_FAMILY = (MP4, QUICKTIME, THREE_GP)


class NotAVideo(Exception):
    """The file is not a readable video; the message says why in plain words."""


@dataclass(frozen=True)
class VideoMetadata:
    kind: ContainerKind
    format_name: str
    duration_s: float | None
    width: int | None
    height: int | None
    codec: str | None
    frame_rate: float | None
    rotation: int


def read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES + 200)


def check_container(head: bytes) -> ContainerKind:
    kind = sniff_container(head)
    if kind is None:
        raise NotAVideo("The file is not a video: its content is not a known video container")
    return kind


def _iso_complete(path: Path) -> bool:
    size = path.stat().st_size
    with path.open("rb") as handle:

        def read_at(offset: int, n: int) -> bytes:
            handle.seek(offset)
            return handle.read(n)

        return iso_boxes_fit(read_at, size)


def probe(path: Path, kind: ContainerKind | None = None) -> VideoMetadata:
    """Open the file with FFmpeg and read its first video frame; NotAVideo when that fails."""
    import av

    kind = kind or check_container(read_head(path))
    if kind in ISO_FAMILY and not _iso_complete(path):
        raise NotAVideo("The video file is truncated or damaged")
    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.video:
                raise NotAVideo("The file holds no video track")
            stream = container.streams.video[0]
            rotation = 0
            first_frame = None
            for frame in container.decode(stream):
                first_frame = frame
                break
            if first_frame is None:
                raise NotAVideo("The video track has no frame that can be decoded")
            rotation = int(getattr(first_frame, "rotation", 0) or 0)
            width, height = stream.codec_context.width, stream.codec_context.height
            if width and height:
                width, height = display_size(width, height, rotation)
            duration = None
            if container.duration:
                duration = container.duration / 1_000_000
            elif stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            rate = stream.average_rate or stream.guessed_rate
            return VideoMetadata(
                kind=kind,
                format_name=container.format.name,
                duration_s=round(duration, 3) if duration is not None else None,
                width=width or None,
                height=height or None,
                codec=stream.codec_context.name,
                frame_rate=round(float(rate), 3) if rate else None,
                rotation=rotation,
            )
    except NotAVideo:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise NotAVideo("The file could not be read as a video (damaged or incomplete)") from exc
