"""A clip's thumbnail, kept from the frames the Manim worker draws.

A Manim clip that is its own preview needs a still for the studio's scene list. Reading it back
out of the encoded clip costs the visuals stage an ffprobe and an ffmpeg per clip, one after
another, once every clip is drawn: about a second of a low-quality redo's four or five. The
worker has that frame in hand as it draws, so it keeps it and writes the still itself, for
each palette's clip, while the other clips are still drawing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from manim.renderer.cairo_renderer import CairoRenderer
from PIL import Image

from ..fsutil import partial_path


class ThumbnailKeeper:
    """Keeps, of the frames a renderer hands out in order, the one a clip's thumbnail shows:
    frame `frame`, or the clip's last if it ends sooner (a clip ends with its animation, often
    before the scene does); `write` saves it `width` pixels wide, as a JPEG at `path`.

    The frames it is shown are the renderer's own copies, never drawn into again, so keeping a
    reference is enough."""

    def __init__(self, path: Path, frame: int, width: int) -> None:
        self.path = path
        self.frame = max(0, frame)
        self.width = width
        self._seen = 0  # frames handed out so far
        self._kept: np.ndarray | None = None

    def see(self, pixels: np.ndarray, repeat: int = 1) -> None:
        """The next `repeat` frames of the clip are `pixels` (RGBA)."""
        if self._seen <= self.frame:
            self._kept = pixels
        self._seen += repeat

    def write(self) -> None:
        if self._kept is None:
            raise RuntimeError(f"the clip {self.path.stem} has no frame for its thumbnail")
        height, width = self._kept.shape[:2]
        # As ffmpeg's scale=W:-2: the height keeps the aspect, rounded to an even number.
        size = (self.width, max(2, round(self.width * height / width / 2) * 2))
        picture = Image.fromarray(np.ascontiguousarray(self._kept[..., :3])).resize(size, Image.Resampling.BICUBIC)
        # Written beside and moved into place whole: the studio never shows half a JPEG.
        partial = partial_path(self.path)
        picture.save(partial, format="JPEG", quality=90)
        partial.replace(self.path)


class ThumbnailRenderer(CairoRenderer):
    """Manim's Cairo renderer, showing each frame it writes to a thumbnail keeper too."""

    def __init__(self, keeper: ThumbnailKeeper) -> None:
        super().__init__()
        self.keeper = keeper

    def add_frame(self, frame: Any, num_frames: int = 1) -> None:
        # `frame` is Manim's own copy (get_frame), handed to its file writer to keep.
        if not self.skip_animations:
            self.keeper.see(frame, num_frames)
        super().add_frame(frame, num_frames)
