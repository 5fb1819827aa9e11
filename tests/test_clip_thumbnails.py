"""A Manim clip that is its own preview comes with its thumbnail, written by its worker from the
frame it drew, for each palette's clip; the visuals stage no longer reads it back with ffmpeg.

The keeper's rules run in milliseconds on made-up frames. The render tests draw a real scene at
a tiny size, in each of the worker's three ways (Manim's clip, the final clip, several palettes
at once), and compare each thumbnail with that frame of the encoded clip.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from creator_service.manim_scenes.thumbnails import ThumbnailKeeper
from creator_service.manim_scenes.worker import prepare, render_job
from creator_service.rendering.layers import thumbnail_frame, thumbnail_path
from creator_service.rendering.palettes import PALETTES


def _frame(level: int, size: tuple[int, int] = (40, 24)) -> np.ndarray:
    """A flat RGBA frame of grey `level`, `size` = (width, height)."""
    pixels = np.full((size[1], size[0], 4), level, np.uint8)
    pixels[..., 3] = 255
    return pixels


def _grey(path: Path) -> float:
    return float(np.asarray(Image.open(path).convert("L"), dtype=float).mean())


def test_the_keeper_keeps_the_asked_frame_counting_repeats(tmp_path: Path) -> None:
    keeper = ThumbnailKeeper(tmp_path / "clip.jpg", frame=4, width=20)
    keeper.see(_frame(10), repeat=3)  # frames 0-2
    keeper.see(_frame(120), repeat=2)  # frames 3-4: the asked one is the second of these
    keeper.see(_frame(240))  # frame 5
    keeper.write()
    assert abs(_grey(tmp_path / "clip.jpg") - 120) < 3


def test_a_clip_that_ends_before_the_asked_frame_shows_its_last(tmp_path: Path) -> None:
    keeper = ThumbnailKeeper(tmp_path / "clip.jpg", frame=50, width=20)
    for level in (10, 60, 200):
        keeper.see(_frame(level))
    keeper.write()
    assert abs(_grey(tmp_path / "clip.jpg") - 200) < 3


def test_the_thumbnail_is_as_wide_as_asked_with_an_even_height_and_no_partial_left(tmp_path: Path) -> None:
    keeper = ThumbnailKeeper(tmp_path / "clip.jpg", frame=0, width=320)
    keeper.see(_frame(90, (480, 854)))
    keeper.write()
    with Image.open(tmp_path / "clip.jpg") as still:
        assert still.format == "JPEG" and still.size == (320, 570)  # 854 * 320 / 480 = 569.3, made even
    assert [p.name for p in tmp_path.iterdir()] == ["clip.jpg"]


def test_a_clip_with_no_frame_has_no_thumbnail_and_says_so(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no frame"):
        ThumbnailKeeper(tmp_path / "clip.jpg", frame=0, width=20).write()
    assert not (tmp_path / "clip.jpg").exists()


def test_the_thumbnail_frame_is_past_the_entrance_and_before_the_end() -> None:
    assert thumbnail_frame(100) == 60
    assert 0 <= thumbnail_frame(1) < 1


# ---- real renders ----------------------------------------------------------------------------

WIDTH, HEIGHT, FPS = 192, 108, 6
SPEC: dict[str, Any] = {
    "kind": "context", "title": "How it works", "on_screen_text": "Lowers blood sugar gently",
    "eyebrow": "Type 2 diabetes", "bullets": ["Take with meals", "Check your levels"],
    "drug": "Metformin", "indication": "type 2 diabetes", "lines": ["May cause stomach upset."],
    "caption": "", "font": None, "duration": 4.0, "figures": [], "palette": PALETTES["ocean"],
}
STILL = {"frame": 6, "width": WIDTH}  # the clip ends at frame 11, its animation done


@pytest.fixture(scope="module")
def registry() -> dict[str, type]:
    return prepare()


def _job(tmp_path: Path, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "index": 0, "scene": "moa.context", "width": WIDTH, "height": HEIGHT, "fps": FPS,
        "media_dir": str(tmp_path / f"media-{name}"), "output": str(tmp_path / "clips" / f"{name}.mp4"),
        "transparent": False, "design_aspect": "16:9", "spec": SPEC, "also": [], "thumbnail": STILL, **extra,
    }


def _clip_frames(clip: Path) -> np.ndarray:
    """Every frame of the encoded clip, in RGB."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT, WIDTH, 3).astype(int)


def _thumbnail(clip: Path) -> np.ndarray:
    with Image.open(thumbnail_path(clip)) as still:
        assert still.size == (WIDTH, HEIGHT)
        return np.asarray(still.convert("RGB"), dtype=int)


def _distances(clip: Path) -> list[float]:
    """How far the clip's thumbnail is from each frame of the clip, in levels of 255 on average."""
    thumbnail = _thumbnail(clip)
    return [float(np.abs(thumbnail - frame).mean()) for frame in _clip_frames(clip)]


def _shows_the_asked_frame(clip: Path) -> bool:
    """The thumbnail is, of all the clip's frames, nearest the asked one (up to the encoder's and
    the JPEG's losses), and the entrance's first frame is another picture."""
    distances = _distances(clip)
    asked = distances[STILL["frame"]]
    return asked < 3 and asked <= min(distances) + 0.05 and distances[0] > asked + 1


@pytest.mark.render
@pytest.mark.parametrize("final", [False, True], ids=["manim-clip", "final-clip"])
def test_a_clip_drawn_alone_comes_with_its_thumbnail(registry: dict[str, type], tmp_path: Path, final: bool) -> None:
    clip = render_job(0, _job(tmp_path, "alone", final=final), registry)
    assert _shows_the_asked_frame(clip), _distances(clip)


@pytest.mark.render
def test_each_palette_drawn_at_once_comes_with_its_own_thumbnail(registry: dict[str, type], tmp_path: Path) -> None:
    other = tmp_path / "clips" / "clinic.mp4"
    clip = render_job(0, _job(tmp_path, "ocean", also=[{"palette": PALETTES["clinic"], "output": str(other)}]),
                      registry)
    assert _shows_the_asked_frame(clip), _distances(clip)
    assert _shows_the_asked_frame(other), _distances(other)
    assert float(np.abs(_thumbnail(clip) - _thumbnail(other)).mean()) > 20  # two palettes, two pictures


@pytest.mark.render
def test_a_stale_thumbnail_goes_and_a_clip_not_asked_for_one_has_none(registry: dict[str, type], tmp_path: Path) -> None:
    stale = thumbnail_path(tmp_path / "clips" / "again.mp4")
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an earlier version's thumbnail")
    clip = render_job(0, _job(tmp_path, "again", thumbnail=None), registry)
    assert clip.is_file() and not stale.exists()
