"""Clean generated footage: a slow radial gradient with soft drifting light, in the palette.

Made with ffmpeg's own sources (no downloads), small and blurred then scaled up, so it is cheap;
one loop per palette and size is made once and shared by every session.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from pathlib import Path

from ..models import MediaCredit
from ..processes import CancelToken, ProcessSlots
from ..rendering.ffmpeg import run_ffmpeg
from .assets import MediaAsset, MediaRequest

LOOP_SECONDS = 12
# Part of each loop's cache key: a change to how loops are made makes new ones.
LOOP_VERSION = 2


def _hex(colour: str) -> str:
    return "0x" + colour.lstrip("#")


class GeneratedFootage:
    name = "generated"

    def __init__(self, cache_dir: Path):
        self._cache_dir = cache_dir
        # One maker per loop: scenes composed side by side ask for the same loop at once.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def find(self, request: MediaRequest, *, cancel: CancelToken, slots: ProcessSlots) -> MediaAsset:
        palette = request.palette
        fmt = request.fmt
        key = hashlib.sha256(
            f"{LOOP_VERSION}|{palette['background']}|{palette['primary']}|{fmt.width}x{fmt.height}@{fmt.fps}".encode()
        ).hexdigest()[:16]
        path = self._cache_dir / f"{key}.mp4"
        with self._locks_guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if not path.exists():
                self._make(path, request, cancel=cancel, slots=slots)
        return MediaAsset(
            path=path,
            kind="video",
            credit=MediaCredit(
                kind="generated",
                description="generated footage: gradient and soft light in the video's palette",
                license="made by Creator Studio",
            ),
        )

    def _make(self, path: Path, request: MediaRequest, *, cancel: CancelToken, slots: ProcessSlots) -> None:
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        fmt, palette = request.fmt, request.palette
        # Work at a quarter of the size: the picture is blurred anyway.
        small_w, small_h = max(64, fmt.width // 4 // 2 * 2), max(64, fmt.height // 4 // 2 * 2)
        gradient = (
            f"gradients=s={small_w}x{small_h}:c0={_hex(palette['background'])}:"
            f"c1={_hex(palette['primary'])}:c2={_hex(palette['background'])}:n=3:"
            f"speed=0.008:rate={fmt.fps}:type=radial:seed=7"
        )
        light = (
            f"life=s={max(8, small_w // 10)}x{max(8, small_h // 10)}:mold=40:r={fmt.fps}:ratio=0.05:"
            f"seed=11:death_color=#000000:life_color={palette['primary']}:mold_color={palette['background']},"
            f"scale={small_w}:{small_h}:flags=bicubic,gblur=sigma={max(2, small_w // 50)}"
        )
        partial = path.with_suffix(f".{uuid.uuid4().hex}.part.mp4")
        run_ffmpeg(
            ["-f", "lavfi", "-i", gradient, "-f", "lavfi", "-i", light,
             "-filter_complex",
             f"[0][1]blend=all_mode=screen:all_opacity=0.55,"
             f"scale={fmt.width}:{fmt.height}:flags=bicubic,format=yuv420p",
             # A key frame every second: scenes start the loop at different points, and a seek
             # decodes from the key frame before it.
             "-t", str(LOOP_SECONDS), "-an", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18",
             "-g", str(fmt.fps), str(partial)],
            cancel=cancel, slots=slots, log_path=self._cache_dir / "generate.log",
            what="generating background footage",
        )
        # Atomic: another server process sharing the data folder never sees a half-written loop.
        partial.replace(path)
