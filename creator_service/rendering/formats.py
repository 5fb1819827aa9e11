"""Output sizes per aspect ratio and quality.

`low` is a fast preview (about 480p at 15 fps), `high` is 1080p at 30 fps, the same numbers
for every renderer so that clips from Manim, Remotion and stock media line up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args


@dataclass(frozen=True)
class VideoFormat:
    width: int
    height: int
    fps: int

    @property
    def aspect_ratio(self) -> str:
        for (aspect, _), fmt in _FORMATS.items():
            if fmt.width * self.height == fmt.height * self.width:
                return aspect
        return f"{self.width}:{self.height}"


# Every aspect a brief may ask for. The short side is 480 (low) or 1080 (high) pixels.
Aspect = Literal["16:9", "9:16", "1:1", "4:5"]
ASPECTS: tuple[str, ...] = get_args(Aspect)
_FORMATS: dict[tuple[str, str], VideoFormat] = {
    ("9:16", "low"): VideoFormat(480, 854, 15),
    ("9:16", "high"): VideoFormat(1080, 1920, 30),
    ("16:9", "low"): VideoFormat(854, 480, 15),
    ("16:9", "high"): VideoFormat(1920, 1080, 30),
    ("1:1", "low"): VideoFormat(480, 480, 15),
    ("1:1", "high"): VideoFormat(1080, 1080, 30),
    ("4:5", "low"): VideoFormat(480, 600, 15),
    ("4:5", "high"): VideoFormat(1080, 1350, 30),
}


def design_frame(design_aspect: str, fmt: VideoFormat) -> tuple[float, float]:
    """(width, height) in scene units of a frame in `fmt` that holds the whole design frame of
    a layout written for `design_aspect` (16 x 9 units landscape, 9 x 16 portrait), centred:
    a layout made for one aspect shows whole, never clipped, in any other."""
    design_w, design_h = (9.0, 16.0) if design_aspect == "9:16" else (16.0, 9.0)
    ratio = fmt.width / fmt.height
    width = max(design_w, design_h * ratio)
    return width, width / ratio


def video_format(aspect_ratio: str, quality: str) -> VideoFormat:
    try:
        return _FORMATS[(aspect_ratio, quality)]
    except KeyError:
        raise ValueError(f"no video format for aspect {aspect_ratio!r} at quality {quality!r}") from None
