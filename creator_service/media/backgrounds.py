"""Turn a media asset into a scene's moving background: the frame filled, exactly as long.

Videos are scaled to cover the frame, centre-cropped and looped if short; photos get a slow
pan (a light Ken Burns) so no scene sits still. The result is an intermediate clip, encoded fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..processes import CancelToken, ProcessSlots
from ..rendering.ffmpeg import run_ffmpeg
from .assets import MediaAsset, MediaRequest, MediaSource

# How much larger than the frame a photo is drawn, to leave room for the pan.
PHOTO_OVERSCAN = 1.12


class MediaFinder:
    """Asks each source in turn; the last one (generated footage) always answers."""

    def __init__(self, sources: Sequence[MediaSource]):
        self.sources = list(sources)

    def find(self, request: MediaRequest, *, cancel: CancelToken, slots: ProcessSlots) -> MediaAsset:
        for source in self.sources:
            asset = source.find(request, cancel=cancel, slots=slots)
            if asset is not None:
                return asset
        raise LookupError(f"no media source could supply {request.query!r}")


def prepare_background(
    asset: MediaAsset,
    request: MediaRequest,
    output: Path,
    *,
    offset: float,
    cancel: CancelToken,
    slots: ProcessSlots,
    log_path: Path,
) -> None:
    fmt, seconds = request.fmt, request.seconds
    cover = (
        f"scale={fmt.width}:{fmt.height}:force_original_aspect_ratio=increase,"
        f"crop={fmt.width}:{fmt.height}"
    )
    if asset.kind == "video":
        inputs = ["-stream_loop", "-1", "-ss", f"{offset:.2f}", "-i", str(asset.path)]
        video_filter = f"{cover},fps={fmt.fps},setsar=1,format=yuv420p"
    else:
        wide, tall = round(fmt.width * PHOTO_OVERSCAN / 2) * 2, round(fmt.height * PHOTO_OVERSCAN / 2) * 2
        inputs = ["-loop", "1", "-framerate", str(fmt.fps), "-i", str(asset.path)]
        # Pan from the top-left of the overscan to its bottom-right over the scene.
        video_filter = (
            f"scale={wide}:{tall}:force_original_aspect_ratio=increase,crop={wide}:{tall},"
            f"crop={fmt.width}:{fmt.height}:"
            f"x='(in_w-out_w)*min(t/{seconds:.3f},1)':y='(in_h-out_h)*min(t/{seconds:.3f},1)',"
            f"setsar=1,format=yuv420p"
        )
    run_ffmpeg(
        [*inputs, "-frames:v", str(round(seconds * fmt.fps)), "-vf", video_filter, "-an",
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-r", str(fmt.fps), str(output)],
        cancel=cancel, slots=slots, log_path=log_path, what=f"preparing background {asset.path.name}",
        expected_seconds=seconds,
    )
