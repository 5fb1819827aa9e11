"""ffmpeg and ffprobe, run as cancellable child processes."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..processes import CancelToken, ProcessSlots, run_child

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
# How wide the studio's thumbnails are, in pixels (scenes, credits, end cards).
THUMBNAIL_WIDTH = 320


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    size_bytes: int
    width: int | None
    height: int | None
    fps: float | None
    video_codec: str | None
    audio_codec: str | None
    audio_duration: float | None
    audio_channels: int | None = None
    audio_sample_rate: int | None = None
    audio_bitrate: int | None = None


def input_args(path: Path) -> list[str]:
    """ffmpeg's (and ffprobe's) input `path`: a media file, or an ffconcat script (`.ffconcat`)
    of files named by absolute path, read as one stream."""
    if path.suffix == ".ffconcat":
        return ["-f", "concat", "-safe", "0", "-i", str(path)]
    return ["-i", str(path)]


def probe(path: Path) -> MediaInfo:
    """Read a media file's streams with ffprobe (fast; runs in the calling thread)."""
    result = subprocess.run(
        [
            FFPROBE, "-v", "error", "-print_format", "json",
            "-show_format", "-show_streams", *input_args(path),
        ],
        capture_output=True, text=True, timeout=30, check=False,
    )
    if result.returncode != 0:
        raise ValueError(f"ffprobe could not read {path.name}: {result.stderr.strip()[-300:]}")
    info = json.loads(result.stdout)
    video = next((s for s in info.get("streams", []) if s.get("codec_type") == "video"), None)
    audio = next((s for s in info.get("streams", []) if s.get("codec_type") == "audio"), None)
    fps = None
    if video and video.get("avg_frame_rate", "0/0") != "0/0":
        numerator, denominator = video["avg_frame_rate"].split("/")
        fps = float(numerator) / float(denominator) if float(denominator) else None
    return MediaInfo(
        duration=float(info.get("format", {}).get("duration", 0.0)),
        size_bytes=int(info.get("format", {}).get("size", path.stat().st_size)),
        width=int(video["width"]) if video else None,
        height=int(video["height"]) if video else None,
        fps=fps,
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        audio_duration=float(audio["duration"]) if audio and "duration" in audio else None,
        audio_channels=int(audio["channels"]) if audio and "channels" in audio else None,
        audio_sample_rate=int(audio["sample_rate"]) if audio and "sample_rate" in audio else None,
        audio_bitrate=int(audio["bit_rate"]) if audio and str(audio.get("bit_rate", "")).isdigit() else None,
    )


def run_ffmpeg(
    args: Sequence[str],
    *,
    cancel: CancelToken,
    slots: ProcessSlots | None,
    log_path: Path,
    what: str,
    expected_seconds: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    background: bool = False,
) -> None:
    """Run ffmpeg with machine-readable progress; `on_progress` gets 0..1 of `expected_seconds`.
    `slots=None`: the caller holds a slot for it. `background`: work ahead of need (see
    `run_child`)."""

    def read_progress(line: str) -> None:
        # `-progress pipe:1` prints key=value lines; out_time_us is the encoded position.
        if on_progress is None or not expected_seconds or not line.startswith("out_time_us="):
            return
        value = line.split("=", 1)[1]
        if value.isdigit():
            on_progress(min(1.0, int(value) / 1_000_000 / expected_seconds))

    run_child(
        ffmpeg_command(args), cancel=cancel, slots=slots, stderr_path=log_path, what=what, on_line=read_progress,
        background=background,
    )


def ffmpeg_command(args: Sequence[str]) -> list[str]:
    """ffmpeg as every run here calls it: quiet, overwriting, progress as key=value lines."""
    return [FFMPEG, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1", "-nostats", *args]


def extract_frame(
    video: Path, at_seconds: float, output: Path, *, cancel: CancelToken, slots: ProcessSlots,
    log_path: Path, width: int = THUMBNAIL_WIDTH,
) -> None:
    """One still from a video, scaled to `width` pixels wide (a thumbnail)."""
    run_ffmpeg(
        ["-ss", f"{max(0.0, at_seconds):.3f}", "-i", str(video), "-frames:v", "1",
         "-vf", f"scale={width}:-2", str(output)],
        cancel=cancel, slots=slots, log_path=log_path, what=f"thumbnail of {video.name}",
    )
