"""A Manim clip encoded once, in the final cut's settings, on the final cut's chunk grid.

A Manim scene shown alone (no logo, no captions burned over it, nothing composed on top) is,
frame for frame, what the final cut shows. Manim would encode it quickly for the preview, and
the render would then decode it and encode every frame again in the final settings. Instead,
this renderer hands each frame Manim draws to the same ffmpeg, with the same codec settings
(rendering/scene_chunks.py), that encodes the final cut's chunks, with a key frame wherever a
chunk starts. The clip is the reviewer's preview, and the render cuts it into the final cut's
chunks without decoding a frame (scene_chunks.split_args).

The frames go down a pipe as raw RGBA, from a thread of their own, so that Manim draws the
next frame while ffmpeg encodes this one. Manim's own clip is never written.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from queue import Queue
from typing import Any, BinaryIO

import numpy as np
from manim.renderer.cairo_renderer import CairoRenderer

from ..rendering.ffmpeg import ffmpeg_command
from ..rendering.scene_chunks import clip_grid, final_clip_args, grid_path
from .thumbnails import ThumbnailKeeper

# Frames waiting for the pipe: at 1080p each is 8 MB, so a few keep memory small while the
# drawing runs ahead of the encoder.
QUEUED_FRAMES = 4


class FinalClipRenderer(CairoRenderer):
    """Manim's Cairo renderer, writing its frames to one ffmpeg that encodes the final clip."""

    def __init__(self, target: Path, log_path: Path, thumbnail: ThumbnailKeeper | None = None) -> None:
        super().__init__()
        self.target = target
        self.thumbnail = thumbnail
        # Written beside the target and moved into place whole: a reviewer's player never
        # reads a clip half written.
        self._partial = target.with_name(f".{target.stem}.partial{target.suffix}")
        self.log_path = log_path
        self._ffmpeg: subprocess.Popen[bytes] | None = None
        self._frames: Queue[tuple[np.ndarray, int] | None] = Queue(maxsize=QUEUED_FRAMES)
        self._writer: threading.Thread | None = None
        self._write_error: BaseException | None = None

    def init_scene(self, scene: Any, session_spec: Any, file_writer_settings: Any) -> None:
        super().init_scene(scene, session_spec, file_writer_settings)
        camera = self.camera
        self.target.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self._ffmpeg = subprocess.Popen(
                # The Manim worker's own process group: stopping the worker stops this too.
                ffmpeg_command(final_clip_args(camera.pixel_width, camera.pixel_height, int(camera.frame_rate),
                                               self._partial)),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
            )
        self._writer = threading.Thread(target=self._write, args=(self._ffmpeg.stdin,), name="final-clip-pipe")
        self._writer.start()

    def _write(self, pipe: BinaryIO) -> None:
        while (item := self._frames.get()) is not None:
            if self._write_error is not None:
                continue  # drain, so that add_frame never blocks on a dead pipe
            frame, repeat = item
            try:
                data = np.ascontiguousarray(frame).data
                for _ in range(repeat):
                    pipe.write(data)
            except BaseException as error:  # noqa: BLE001 - raised in the drawing thread by finish_clips()
                self._write_error = error
        try:
            pipe.close()  # ffmpeg's end of input: it finishes the clip
        except OSError as error:
            self._write_error = self._write_error or error

    def add_frame(self, frame: Any, num_frames: int = 1) -> None:
        # Every frame goes to ffmpeg (the frame is Manim's own copy: get_frame); Manim's file
        # writer gets none, so it writes no clip of its own.
        if self.skip_animations:
            return
        self.time += num_frames / self.camera.frame_rate
        if self.thumbnail is not None:
            self.thumbnail.see(frame, num_frames)
        self._frames.put((frame, num_frames))

    def scene_finished(self, scene: Any) -> None:
        # Manim's own clip has no frames (add_frame): nothing to join into a movie.
        self.file_writer.join_all_encode_jobs()

    def finish_clips(self) -> None:
        """Wait for ffmpeg to write the clip, and record the grid it was cut on; raises if
        the pipe or ffmpeg failed."""
        self._stop_writing()
        assert self._ffmpeg is not None
        if self._ffmpeg.wait() != 0 or self._write_error is not None:
            raise RuntimeError(f"ffmpeg could not encode the final clip {self.target.name}: "
                               f"{self._write_error or self.log_path.read_text(errors='replace')[-2000:]}")
        os.replace(self._partial, self.target)
        grid_path(self.target).write_text(json.dumps(clip_grid(int(self.camera.frame_rate))), encoding="utf-8")
        if self.thumbnail is not None:
            self.thumbnail.write()

    def abort_clips(self) -> None:
        """Stop ffmpeg and remove whatever it wrote."""
        if self._ffmpeg is not None and self._ffmpeg.poll() is None:
            self._ffmpeg.kill()
        self._stop_writing()
        if self._ffmpeg is not None:
            self._ffmpeg.wait()
        self._partial.unlink(missing_ok=True)
        self.target.unlink(missing_ok=True)
        grid_path(self.target).unlink(missing_ok=True)

    def _stop_writing(self) -> None:
        if self._writer is not None:
            self._frames.put(None)
            self._writer.join()
            self._writer = None

