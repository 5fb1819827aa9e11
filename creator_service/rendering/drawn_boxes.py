"""Where a Remotion scene shows its text and graphics, read from its own key frames.

A Remotion key frame of the content or overlay layer is a PNG with alpha: transparent where the
footage shows through, opaque where the composition drew something. The still after a scene's
entrance (its last key frame) is what stays on screen while the narration plays, so its drawn
regions are the scene's layout: burned captions are placed clear of them, as they are placed
clear of the text a Manim clip reports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# A pixel counts as drawn from this opacity (anti-aliased edges and soft shadows do not).
DRAWN_ALPHA = 32
# Rows of nothing this tall (a share of the height) separate two drawn regions.
GAP_SHARE = 0.02


def drawn_boxes(frame: Path) -> list[list[float]]:
    """[left, top, right, bottom] of each band of drawn rows in `frame`, as frame fractions."""
    alpha = np.asarray(Image.open(frame).convert("RGBA"))[:, :, 3] > DRAWN_ALPHA
    height, width = alpha.shape
    rows = np.flatnonzero(alpha.any(axis=1))
    if rows.size == 0:
        return []
    gap = max(1, round(height * GAP_SHARE))
    breaks = np.flatnonzero(np.diff(rows) > gap)
    boxes = []
    for first, last in zip([rows[0], *rows[breaks + 1]], [*rows[breaks], rows[-1]]):
        cols = np.flatnonzero(alpha[first:last + 1].any(axis=0))
        boxes.append([round(cols[0] / width, 4), round(first / height, 4),
                      round((cols[-1] + 1) / width, 4), round((last + 1) / height, 4)])
    return boxes
