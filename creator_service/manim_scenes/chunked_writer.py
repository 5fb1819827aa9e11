"""Manim's frames encoded once, straight into the final cut's chunks.

Left to itself, Manim encodes each animation as a file of its own (fast and near-lossless) and
joins them into the clip; the first render then decoded every clip and encoded it again in the
final settings, which for a Manim video was most of the render's time. Here every frame of an
opaque clip goes once into one ffmpeg that encodes it in the final settings and cuts it at the
chunk bounds (rendering/scene_chunks.py: `raw_frames_args`). The clip, the reviewer's preview
and the layer a longer scene holds the last frame of, is those chunks joined by stream copy; the
visuals stage puts the chunks in the video's chunk store (`adopt_chunks`), so the render encodes
only where a scene outlives its clip.

Manim still runs one encode job per animation, each on a thread of its own, so drawing goes on
while frames are written; the jobs here all write to the one ffmpeg, and a job is finished
before the next animation's starts, which keeps the frames in order.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Sequence

from ..rendering.ffmpeg import FFMPEG
from ..rendering.formats import VideoFormat
from ..rendering.manim_clips import write_chunk_manifest
from ..rendering.scene_chunks import CHUNK_SECONDS, Chunk, join_args, raw_frames_args


def _command(args: Sequence[str]) -> list[str]:
    return [FFMPEG, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args]


class ChunkEncoder:
    """One ffmpeg reading a clip's raw RGBA frames on stdin and writing its chunks."""

    def __init__(self, fmt: VideoFormat, directory: Path):
        self.fmt = fmt
        self.directory = directory
        self.frames = 0
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("part*.mp4"):  # left by an attempt that was stopped
            stale.unlink()
        self.log = directory / "encode.log"
        with open(self.log, "w", encoding="utf-8") as stderr:
            # In this worker's process group: stopping the worker stops its encoder too.
            self._process = subprocess.Popen(
                _command(raw_frames_args(fmt, directory)), stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL, stderr=stderr,
            )

    def write(self, pixels: Any, repeat: int = 1) -> None:
        """`repeat` copies of one top-left RGBA frame (a C-contiguous uint8 array), unchanged."""
        assert self._process.stdin is not None
        data = memoryview(pixels).cast("B")
        try:
            for _ in range(repeat):
                self._process.stdin.write(data)
        except BrokenPipeError as exc:
            raise RuntimeError(f"the clip's encoder stopped: {self._tail()}") from exc
        self.frames += repeat

    def close(self) -> list[Chunk]:
        """Wait for the last chunk; the chunks in order, each with its number of frames."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.close()
        except BrokenPipeError:
            pass
        if self._process.wait() != 0:
            raise RuntimeError(f"the clip's encoder failed: {self._tail()}")
        files = sorted(self.directory.glob("part*.mp4"))
        size = CHUNK_SECONDS * self.fmt.fps
        lengths = [min(size, self.frames - n * size) for n in range(len(files))]
        if sum(lengths) != self.frames or any(length <= 0 for length in lengths):
            raise RuntimeError(f"the encoder wrote {len(files)} chunk(s) for {self.frames} frames")
        return [Chunk(path, length) for path, length in zip(files, lengths)]

    def abort(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def _tail(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace").strip()[-500:]
        except OSError:
            return ""


def chunked_file_writer(encoder: ChunkEncoder) -> type:
    """A Manim SceneFileWriter whose animations all write into `encoder`, and whose movie is
    the chunks joined. Made per clip (the class closes over its encoder); Manim is imported
    only here, in the worker."""
    from manim.scene.scene_file_writer import SceneFileWriter

    class _Segment:
        """What one animation's encode job writes to: the clip's one encoder."""

        def __init__(self, target: Path):
            self.target = target

        def write_frame(self, pixels: Any, *, repeat: int = 1) -> None:
            encoder.write(pixels, repeat)

        def finish(self) -> None:
            """The encoder goes on with the next animation."""

        def abort(self) -> None:
            encoder.abort()

    class ChunkedFileWriter(SceneFileWriter):  # type: ignore[misc]
        def _create_segment_encoder(self, target: Path) -> _Segment:
            return _Segment(target)

        def close_partial_movie_stream(self) -> None:
            super().close_partial_movie_stream()
            # Frames must reach the one encoder in order: this animation's are all written
            # before the next one's start (a queue of a few frames, so drawing barely waits).
            self.join_all_encode_jobs()

        def combine_to_movie(self) -> None:
            if encoder.frames == 0:
                encoder.abort()
                return  # no animation: no movie, as Manim would do
            chunks = encoder.close()
            movie = Path(self.movie_file_path)
            movie.parent.mkdir(parents=True, exist_ok=True)
            listing = encoder.directory / "clip.ffconcat"
            result = subprocess.run(
                _command(join_args(chunks, encoder.fmt.fps, movie, listing=listing)),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"joining the clip's chunks failed: {result.stderr.strip()[-500:]}")
            listing.unlink(missing_ok=True)
            write_chunk_manifest(chunks, encoder.directory)

    return ChunkedFileWriter
