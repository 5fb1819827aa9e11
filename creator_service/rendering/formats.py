"""Output sizes per aspect ratio and quality.

`low` is a fast preview (about 480p at 15 fps), `high` is 1080p at 30 fps, the same numbers
for every renderer so that clips from Manim, Remotion and stock media line up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoFormat:
    width: int
    height: int
    fps: int

    @property
    def aspect_ratio(self) -> str:
        return "9:16" if self.height > self.width else "16:9"


_FORMATS: dict[tuple[str, str], VideoFormat] = {
    ("9:16", "low"): VideoFormat(480, 854, 15),
    ("9:16", "high"): VideoFormat(1080, 1920, 30),
    ("16:9", "low"): VideoFormat(854, 480, 15),
    ("16:9", "high"): VideoFormat(1920, 1080, 30),
}


def video_format(aspect_ratio: str, quality: str) -> VideoFormat:
    try:
        return _FORMATS[(aspect_ratio, quality)]
    except KeyError:
        raise ValueError(f"no video format for aspect {aspect_ratio!r} at quality {quality!r}") from None
