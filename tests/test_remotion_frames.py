"""Remotion key frames come back in the order asked, also when two browsers share the job."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from creator_service.processes import CancelToken, ProcessSlots
from creator_service.rendering.remotion import SPLIT_MIN_PIXELS, render_frames

PALETTE = {"background": "#0B1F3A", "primary": "#19C3B1", "accent": "#FFB547", "warning": "#FF6B6B",
           "text": "#FFFFFF", "muted": "#9FB3C8"}


def _mean_alpha(path: Path) -> float:
    return float(np.asarray(Image.open(path).convert("RGBA"))[..., 3].mean())


def test_a_split_job_returns_every_frame_in_the_order_asked(tmp_path: Path) -> None:
    count = 24
    props = {
        "width": 160, "height": 90, "fps": 15, "durationInFrames": 60, "enterFrames": 4,
        "brandName": "DiabetEase", "palette": PALETTE,
        "scenes": [{"kind": "problem", "from": 0, "durationInFrames": 60, "eyebrow": "Why", "headline": "Daily life",
                    "body": "Options that fit", "bullets": [], "source": ""}],
    }
    # The first half asks for the text alone (mostly transparent), the second for the scene's
    # scrim (mostly opaque): files returned out of order would mix them up.
    half = count // 2
    layers = ["content"] * half + ["backdrop"] * (count - half)
    events: list[str] = []
    files = render_frames(
        "ProductAd", props, [10] * count, tmp_path / "keys", cancel=CancelToken(), slots=ProcessSlots(2),
        progress=lambda fraction, detail: events.append(detail), log_dir=tmp_path, layers=layers,
        split_from_pixels=count * 160 * 90,  # tiny frames, so that the test is quick
    )

    assert len(files) == count and len(set(files)) == count
    assert {f.parent.name for f in files} == {"part-0", "part-1"}  # two browsers did it
    alphas = [_mean_alpha(f) for f in files]
    assert max(alphas[:half]) < min(alphas[half:])
    assert events and events[-1] == f"Remotion rendered {count} of {count} key frames"


def test_a_small_job_or_a_busy_server_uses_one_browser(tmp_path: Path) -> None:
    props = {
        "width": 160, "height": 90, "fps": 15, "durationInFrames": 30, "enterFrames": 4, "brandName": "X",
        "palette": PALETTE,
        "scenes": [{"kind": "title", "from": 0, "durationInFrames": 30, "eyebrow": "", "headline": "X",
                    "body": "", "bullets": [], "source": ""}],
    }
    # Too few pixels to be worth a second browser (the default threshold).
    assert 12 * 160 * 90 < SPLIT_MIN_PIXELS
    files = render_frames("ProductAd", props, list(range(12)), tmp_path / "small", cancel=CancelToken(),
                          slots=ProcessSlots(2), progress=lambda f, d: None, log_dir=tmp_path)
    assert len(files) == 12 and {f.parent.name for f in files} == {"small"}

    # Big enough, but another session holds the second slot.
    slots = ProcessSlots(2)
    assert slots.try_acquire()
    files = render_frames("ProductAd", props, list(range(12)), tmp_path / "busy", cancel=CancelToken(),
                          slots=slots, progress=lambda f, d: None, log_dir=tmp_path, split_from_pixels=1)
    assert len(files) == 12 and {f.parent.name for f in files} == {"busy"}
