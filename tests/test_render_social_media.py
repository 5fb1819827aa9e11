"""A real social_media video, end to end: the spec's automated client against a real server,
then the MP4 checked with ffprobe and by its pictures and sound. (Each scene's speech within its
own pictures is checked on test_render_all_types's social_media video, made without music.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .helpers import REPO, Server, assert_broadcast_loudness, ffprobe, mono_samples, rms

pytestmark = pytest.mark.render


def grey_frame(path: Path, at: float, width: int = 90, height: int = 160) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at:.2f}", "-i", str(path), "-frames:v", "1",
         "-vf", f"scale={width}:{height}", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width)


def not_blank(frame: np.ndarray) -> bool:
    """At least 0.5 % of the pixels stand clearly apart from the background."""
    background = np.median(frame)
    return float(np.mean(np.abs(frame.astype(int) - background) > 30)) > 0.005


def test_the_automated_client_makes_a_synced_playable_video(server: Server, artifacts_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "creator_service.client", "--auto", "--url", server.ws_url],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "CREATOR_TOKEN": server.token or ""},  # the client's token from the environment
    )
    assert result.returncode == 0, result.stdout + result.stderr
    done = [line for line in result.stdout.splitlines() if line.startswith("Done! Video: ")]
    video = Path(done[0].removeprefix("Done! Video: "))
    assert video.is_file() and video.is_relative_to(server.data_dir.resolve())

    info = ffprobe(video)
    streams = {s["codec_type"]: s for s in info["streams"]}
    assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
    assert (streams["video"]["width"], streams["video"]["height"]) == (480, 854)
    assert streams["video"]["avg_frame_rate"] == "15/1"
    duration = float(info["format"]["duration"])
    assert 20.0 <= duration <= 45.0
    # Faststart: the index (moov) comes before the media data (mdat).
    head = video.read_bytes()[:200_000]
    assert head.find(b"moov") != -1 and head.find(b"moov") < head.find(b"mdat")

    # The narration track the render assembled (speech plus its pauses) sets the length.
    narration = mono_samples(video.parent / "narration.wav", 8000)
    video_audio = mono_samples(video, 8000)
    spoken_seconds = len(narration) / 8000
    assert abs(duration - spoken_seconds) / spoken_seconds < 0.05
    assert abs(float(streams["audio"]["duration"]) - float(streams["video"]["duration"])) < 0.15
    assert rms(video_audio) > 0.01, "the video is silent"
    assert_broadcast_loudness(video)

    # Frames through the video are pictures, not blank screens.
    for share in (0.1, 0.3, 0.5, 0.7, 0.9):
        assert not_blank(grey_frame(video, duration * share)), f"blank frame at {share:.0%}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", f"{duration / 2:.2f}", "-i", str(video),
                    "-frames:v", "1", str(artifacts_dir / "social_media_middle.png")], check=True)
