"""The worker's faster hand-over of frames to Manim's encoder writes the very same video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from manim._config.video_encoder import VideoEncoderSpec
from manim.scene.video_segment_encoder import VideoSegmentEncoder

from creator_service.manim_scenes.worker import encode_frames_without_copying


def _frames() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    frames = []
    for shade in (40, 120, 200):
        pixels = np.zeros((96, 64, 4), np.uint8)
        pixels[..., 3] = 255
        pixels[10:60, 8:40, 0] = shade
        pixels[..., 1] = rng.integers(0, 255, (96, 64), dtype=np.uint8)
        frames.append(pixels)
    return frames


def _encode(path: Path) -> list[np.ndarray]:
    spec = VideoEncoderSpec(
        container_format="mp4", codec="libx264", pixel_format="yuv420p", width=64, height=96,
        frame_rate=Fraction(30), options=(("crf", "16"), ("preset", "ultrafast")),
    )
    encoder = VideoSegmentEncoder(target=path, spec=spec)
    for number, pixels in enumerate(_frames()):
        encoder.write_frame(pixels, repeat=2 if number == 1 else 1)
    encoder.finish()
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_wrapped_frames_encode_exactly_like_copied_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Restored after the test: the patch changes Manim's class for the whole process.
    monkeypatch.setattr(VideoSegmentEncoder, "write_frame", VideoSegmentEncoder.write_frame)
    copied = _encode(tmp_path / "copied.mp4")

    # Fails when a Manim upgrade changes the encoder this relies on: look at the worker then.
    assert encode_frames_without_copying() is True
    wrapped = _encode(tmp_path / "wrapped.mp4")

    assert len(copied) == len(wrapped) == 4  # the repeated frame counts twice
    for before, after in zip(copied, wrapped):
        assert np.array_equal(before, after)
    assert not np.array_equal(wrapped[0], wrapped[3])
