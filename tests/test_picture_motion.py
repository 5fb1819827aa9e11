"""The no-distraction rule's motion measurement (major_statement.picture_motion) taken in pieces
side by side gives exactly the figures it gives in one run. In-process, no video."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from creator_service import major_statement as rules

BOXES = [(0.1, 0.7, 0.9, 0.88), (0.0, 0.0, 0.25, 0.2)]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7, 88])
@pytest.mark.parametrize("pieces", [1, 2, 3, 4])
def test_pieces_share_their_ends_so_that_each_pair_of_frames_is_in_exactly_one(count: int, pieces: int) -> None:
    runs = rules._pieces(count, pieces)
    pairs = [(n, n + 1) for first, last in runs for n in range(first, last)]
    assert pairs == [(n, n + 1) for n in range(count - 1)]
    assert len(runs) == (min(pieces, count - 1) if count > 1 else 0)


def test_motion_measured_in_pieces_side_by_side_is_the_same_as_in_one_run() -> None:
    rng = np.random.default_rng(7)
    # Two windows of different motion, one too short to have a pair.
    calm = rng.integers(100, 110, size=(9, 36, 64, 3), dtype=np.uint8)
    busy = rng.integers(0, 255, size=(6, 36, 64, 3), dtype=np.uint8)
    windows = [rules.SafetyFrames(0.0, calm), rules.SafetyFrames(5.0, busy), rules.SafetyFrames(9.0, busy[:1])]
    whole = rules.picture_motion(windows, BOXES)
    assert whole[0] > 40 > whole[1] > 5  # busy's largest change; the mean with calm's small ones
    with ThreadPoolExecutor(max_workers=3) as pool:
        for pieces in (1, 2, 3, 5):
            assert rules.picture_motion(windows, BOXES, pool=pool, pieces=pieces) == whole, pieces
    assert rules.picture_motion([windows[2]], BOXES) == (0.0, 0.0)
