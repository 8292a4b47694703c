"""Whether a video qualifies as a YouTube Short: square or taller, and at most three minutes.

A verdict is advice for the uploader, never a reason to refuse a file.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHORT_SECONDS = 180.0
# Container durations overshoot by a frame or so; half a second is never a real extra second.
DURATION_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class ShortsVerdict:
    qualifies: bool
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"qualifies": self.qualifies, "warnings": list(self.warnings)}


def display_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    """The size as shown: phones store portrait video as landscape frames turned 90 degrees."""
    if abs(rotation) % 180 == 90:
        return height, width
    return width, height


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def shorts_verdict(
    width: int | None, height: int | None, duration_s: float | None
) -> ShortsVerdict:
    """Check the two Shorts rules; each failed rule becomes one plain-language warning."""
    warnings: list[str] = []
    if not width or not height:
        warnings.append("The video's dimensions could not be read, so its shape is unknown")
    elif width > height:
        warnings.append(
            f"The video is landscape ({width}x{height}); a Short must be square or vertical"
        )
    if duration_s is None:
        warnings.append("The video's duration could not be read")
    elif duration_s > MAX_SHORT_SECONDS + DURATION_TOLERANCE_S:
        warnings.append(
            f"The video lasts {_clock(duration_s)}; a Short must be at most "
            f"{_clock(MAX_SHORT_SECONDS)} long"
        )
    return ShortsVerdict(qualifies=not warnings, warnings=tuple(warnings))
