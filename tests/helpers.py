"""Shared test helpers: a real uvicorn server on a free loopback port, and a real WebSocket client."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from websockets.sync.client import ClientConnection, connect

from creator_service.client import EXAMPLE_PAYLOADS
from creator_service.devserver import REPO, Server, running_server

if TYPE_CHECKING:
    import numpy as np

__all__ = ["REPO", "Server", "running_server"]


class Creator:
    """A WebSocket client speaking the Creator Mode protocol, with timeouts on every read."""

    def __init__(self, url: str, token: str | None = None, **headers: str) -> None:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._connection = connect(url, max_size=2**22, open_timeout=10, additional_headers=headers)
        self.ws: ClientConnection = self._connection.__enter__()
        self.progress_seen: list[dict[str, Any]] = []
        self.presence_seen: list[dict[str, Any]] = []

    def __enter__(self) -> "Creator":
        return self

    def __exit__(self, *exc: object) -> None:
        self._connection.__exit__(None, None, None)

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def send_raw(self, data: str | bytes) -> None:
        self.ws.send(data)

    def recv(self, timeout: float = 30) -> dict[str, Any]:
        return json.loads(self.ws.recv(timeout=timeout))

    def next_event(self, timeout: float = 120) -> dict[str, Any]:
        """The next event that is not a progress report or a presence update (those are kept in
        progress_seen and presence_seen)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.recv(timeout=max(0.1, deadline - time.monotonic()))
            if event.get("status") == "stage_progress":
                self.progress_seen.append(event)
                continue
            if event.get("status") == "presence":
                self.presence_seen.append(event)
                continue
            return event

    def next_refusal(self, timeout: float = 10) -> dict[str, Any]:
        """The next protocol error (not a stage error), past whatever the session says meanwhile."""
        while True:
            event = self.next_event(timeout)
            if event["status"] == "error" and "stage" not in event:
                return event

    def start(self, video_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.send({"action": "start", "video_type": video_type, "payload": payload})
        started = self.next_event()
        assert started["status"] == "session_started", started
        self.stage_order: list[str] = started["stage_order"]
        return started

    def wait_completed(self, stage: str, timeout: float = 180) -> dict[str, Any]:
        running = self.next_event(timeout)
        assert running["status"] == "stage_running" and running["stage"] == stage, running
        done = self.next_event(timeout)
        assert done.get("status") == "completed" and done["stage"] == stage, done
        return done

    def accept(self, acknowledge_warnings: bool = True) -> None:
        """Accept the version under review. Like a reviewer who has read the stage's warnings
        (the script's claims without references, say), the default acknowledges them; tests of
        the refusal pass False."""
        self.send({"action": "accept", **({"acknowledge_warnings": True} if acknowledge_warnings else {})})

    def advance_to(self, stage: str, timeout: float = 300) -> dict[str, dict[str, Any]]:
        """Accept every stage before `stage` as it completes; `stage` runs next."""
        completed = {}
        for earlier in self.stage_order[: self.stage_order.index(stage)]:
            completed[earlier] = self.wait_completed(earlier, timeout=timeout)
            self.accept()
        return completed


# The spec's client's own social_media example (already at low quality: fast to render).
SOCIAL_BRIEF: dict[str, Any] = dict(EXAMPLE_PAYLOADS["social_media"])


def processes_mentioning(marker: str) -> list[int]:
    """PIDs working for `marker` (a video id): our children carry it in their command line, or,
    for a warm Manim worker handed its jobs, in the folder it works in."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            cwd = ""
        if marker in cmdline or marker in cwd:
            found.append(int(entry.name))
    return found


def wait_for_render_processes(video_id: str, timeout: float = 30) -> None:
    """Until a child process working for `video_id` runs (a render has really begun)."""
    deadline = time.monotonic() + timeout
    while not processes_mentioning(video_id):
        assert time.monotonic() < deadline, f"no render process for {video_id} started"
        time.sleep(0.1)


def ffprobe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout)


def loudness(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of a file, read from ffmpeg's ebur128 meter directly
    (not through the service's own code, so the check is independent of it)."""
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true:framelog=verbose",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr
    summary = log[log.rindex("Summary:"):]
    integrated = float(summary.split("I:")[1].split("LUFS")[0])
    peak = float(summary.split("Peak:")[1].split("dBFS")[0])
    return integrated, peak


def assert_broadcast_loudness(path: Path, target: float = -16.0) -> None:
    """Within the target ±1 LU, true peak at most -1.5 dBTP, measured on the file here."""
    integrated, peak = loudness(path)
    assert abs(integrated - target) <= 1.0 and peak <= -1.5, (path.name, integrated, peak)


def mono_samples(path: Path, rate: int) -> np.ndarray:
    """A file's sound, decoded by ffmpeg: mono, at `rate`, as floats in [-1, 1]."""
    import numpy as np

    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate),
                          "-f", "s16le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


def rms(samples: np.ndarray) -> float:
    """Root mean square of samples in [-1, 1]; 0 for none."""
    import numpy as np

    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def speech_onsets(path: Path, rate: int = 16_000) -> list[float]:
    """When speech starts after at least 0.15 s of quiet: 10 ms frames within 14 dB of the
    track's speaking level (its 95th percentile). A music bed 15 dB or more under the voice
    (what the mix promises, in pauses too) stays under that line, so it reads as quiet."""
    import numpy as np

    samples = mono_samples(path, rate)
    per = rate // 100
    frames = samples[: samples.size // per * per].reshape(-1, per)
    # The floor keeps log10 finite in digital silence: 1e-9 of a 16-bit sample's square.
    level = 10 * np.log10((frames ** 2).mean(axis=1) + 1e-9 / 32768**2)
    active = level > np.percentile(level, 95) - 14
    onsets, quiet = [], 0
    for index, on in enumerate(active):
        if on and quiet >= 15:
            onsets.append(index / 100)
        quiet = 0 if on else quiet + 1
    return onsets


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    """(start, end, text) of each cue in a WebVTT file."""
    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)

    cues = []
    for block in text.strip().split("\n\n")[1:]:
        timing, *lines = block.strip().split("\n")
        start, end = (seconds(part.strip()) for part in timing.split("-->"))
        cues.append((start, end, "\n".join(lines)))
    return cues


def caption_script(tmp_path: Path, name: str, events: list[tuple[str, str, str]]) -> Path:
    """An ASS script for a 192x108 video: one caption style, and a Dialogue event per
    (start, end, text), times as ASS writes them ("0:00:02.50")."""
    lines = ["[Script Info]", "PlayResX: 192", "PlayResY: 108", "", "[V4+ Styles]",
             "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
             "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
             "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
             "Style: Caption,DejaVu Sans,14,&H00FFFFFF,&H00FFFFFF,&H50000000,&H50000000,-1,0,0,0,100,100,0,0,3,2,0,2,10,10,8,1",
             "", "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"]
    lines += [f"Dialogue: 0,{start},{end},Caption,,0,0,8,,{text}" for start, end, text in events]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
