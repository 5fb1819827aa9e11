"""Child process: render a list of Manim clips, one after another.

Run as `python -m creator_service.manim_scenes.worker JOBS.json`. Manim's configuration is
global to the process, so a process renders one clip at a time, each inside its own
`tempconfig`; importing Manim costs about two seconds, so one process renders several clips.
Progress goes to stdout as JSON lines: `{"job", "t", "total"}` while rendering and
`{"job", "done": path}` when a clip is written. With `--warm` it is a pool's worker
(creator_service/warm.py), serving jobs files named on stdin until let go.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # it imports Manim, which this module imports only inside the functions that render
    from .palettes_at_once import PaletteClip


def scene_classes() -> dict[str, type]:
    from .doctor import DOCTOR_SCENES
    from .footage import FootageCaption
    from .moa import MOA_SCENES
    from .social import SOCIAL_SCENES

    registry: dict[str, type] = {}
    for family, scenes in (("social_media", SOCIAL_SCENES), ("moa", MOA_SCENES), ("doctor_ad", DOCTOR_SCENES)):
        for kind, cls in scenes.items():
            registry[f"{family}.{kind}"] = cls
        # Any scene with footage behind it is drawn as a caption over transparent space.
        registry[f"{family}.footage"] = FootageCaption
    return registry


def encode_frames_without_copying() -> bool:
    """Make Manim's segment encoder wrap each frame instead of copying it.

    Manim 0.22 hands every frame to PyAV with `VideoFrame.from_ndarray`, which copies the 8 MB
    of a 1080p RGBA frame line by line: 10-20 ms a frame here, as much as the drawing and the
    encoding together. The file writer gives the encoder ownership of each array (it is never
    touched again), so wrapping it with `from_numpy_buffer` is safe and the pixels are the same.
    Returns False, leaving Manim as it is, if its encoder no longer looks as expected.
    """
    from fractions import Fraction

    import av
    from manim.scene import video_segment_encoder

    encoder_type = video_segment_encoder.VideoSegmentEncoder
    expected = ("write_frame", "_validate_frame", "_operation_error")
    if not all(hasattr(encoder_type, name) for name in expected) or not hasattr(av.VideoFrame, "from_numpy_buffer"):
        return False

    def write_frame(self: Any, pixels: Any, *, repeat: int = 1) -> None:
        self._validate_frame(pixels, repeat)
        time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
        try:
            frame = av.VideoFrame.from_numpy_buffer(pixels, format="rgba")
            frame.time_base = time_base
            for _ in range(repeat):
                frame.pts = self._next_pts
                self._next_pts += 1
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
        except BaseException as error:
            raise self._operation_error("encode", error) from error

    encoder_type.write_frame = write_frame
    return True


def use_brand_font(font: dict[str, str] | None) -> None:
    """Register the brand kit's font file with Pango (for this process) and make it the family
    every Text uses; without one, DejaVu Sans."""
    from .base import use_font

    if font:
        import manimpango

        if not manimpango.register_font(font["path"]):
            raise RuntimeError(f"Pango could not load the brand font {font['path']}")
    use_font(font["family"] if font else None)


def render_job(index: int, job: dict[str, Any], registry: dict[str, type]) -> Path:
    """Render one clip to `job["output"]`, and the same scene in each palette of `job["also"]`
    to that entry's `output` (a branch's variants that differ only in colour). With
    `job["thumbnail"]` ({"frame", "width"}), each clip's thumbnail too (layers.thumbnail_path)."""
    from ..rendering.layers import thumbnail_path
    from ..rendering.scene_chunks import grid_path
    from .palettes_at_once import PaletteClip, UnknownColour
    from .thumbnails import ThumbnailRenderer

    still = job.get("thumbnail")
    clips = [PaletteClip(job["spec"]["palette"], Path(job["output"]), thumbnail=still),
             *(PaletteClip(other["palette"], Path(other["output"]), thumbnail=still) for other in job.get("also", []))]
    use_brand_font(job["spec"].get("font"))
    for clip in clips:
        # Only a clip this run encodes on the grid may say it is, and only this run's thumbnail
        # may stand beside it (a version's folder is reused when a scene is redone).
        grid_path(clip.target).unlink(missing_ok=True)
        thumbnail_path(clip.target).unlink(missing_ok=True)
    if len(clips) == 1 and job.get("final"):
        text_boxes = _render_final(index, job, registry[job["scene"]], clips[0])
        _write_layout(clips[0].target, text_boxes)
        return clips[0].target
    if len(clips) > 1:
        try:
            text_boxes = _render_palettes(index, job, registry[job["scene"]], clips)
        except UnknownColour as exc:
            # A colour the key palette cannot read: each palette on its own, as always.
            logging.getLogger(__name__).warning("%s: %s; drawing each palette on its own", job["scene"], exc)
        else:
            for clip in clips:
                _write_layout(clip.target, text_boxes)
            return clips[0].target
    for clip in clips:
        spec = {**job["spec"], "palette": clip.palette}
        keeper = clip.thumbnail_keeper()
        produced, text_boxes = _render_scene(index, job, registry[job["scene"]], spec,
                                             partial(ThumbnailRenderer, keeper) if keeper else None)
        clip.target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), clip.target)
        if keeper is not None:
            keeper.write()
        _write_layout(clip.target, text_boxes)
    return clips[0].target


def _render_palettes(index: int, job: dict[str, Any], cls: type, clips: list[PaletteClip]) -> list[list[float]]:
    """One pass in the key palette, painted in every clip's palette (palettes_at_once.py)."""
    from .palettes_at_once import KEY, PalettesRenderer

    return _render_own_clips(index, job, cls, {**job["spec"], "palette": KEY}, lambda: PalettesRenderer(clips))


def _render_final(index: int, job: dict[str, Any], cls: type, clip: PaletteClip) -> list[list[float]]:
    """The clip encoded by ffmpeg in the final cut's settings, on its chunk grid (final_clip.py)."""
    from .final_clip import FinalClipRenderer

    log_dir = Path(job["media_dir"])
    log_dir.mkdir(parents=True, exist_ok=True)
    return _render_own_clips(index, job, cls, job["spec"],
                             lambda: FinalClipRenderer(clip.target, log_dir / "final-clip.log", clip.thumbnail_keeper()))


def _render_own_clips(index: int, job: dict[str, Any], cls: type, spec: dict[str, Any],
                      make: Callable[[], Any]) -> list[list[float]]:
    """Render with a renderer that writes clips of its own instead of Manim's (its
    `finish_clips` once the scene is drawn; its `abort_clips`, removing them, if it fails)."""
    made: list[Any] = []

    def renderer() -> Any:
        made.append(make())
        return made[0]

    try:
        _, text_boxes = _render_scene(index, job, cls, spec, renderer)
        made[0].finish_clips()
    except BaseException:
        for unfinished in made:
            unfinished.abort_clips()
        raise
    return text_boxes


def _render_scene(index: int, job: dict[str, Any], cls: type, spec: dict[str, Any],
                  renderer: Callable[[], Any] | None = None) -> tuple[Path, list[list[float]]]:
    """Render the scene of `job` with `spec`: the clip Manim wrote, and where it showed text."""
    from manim import config, tempconfig

    media_dir = Path(job["media_dir"])
    width, height = int(job["width"]), int(job["height"])
    # Layouts are written in scene units for their design frame (16 x 9 landscape, 9 x 16
    # portrait); in any other aspect the frame grows to hold the whole design frame.
    from ..rendering.formats import VideoFormat, design_frame

    frame_width, frame_height = design_frame(job.get("design_aspect", "16:9"), VideoFormat(width, height, 1))
    settings = {
        "media_dir": str(media_dir),
        "pixel_width": width,
        "pixel_height": height,
        "frame_rate": int(job["fps"]),
        "frame_height": frame_height,
        "frame_width": frame_width,
        # Scenes drawn over footage are transparent (QuickTime RLE with alpha), for ffmpeg to lay
        # over the background.
        "format": "mov" if job.get("transparent") else "mp4",
        "transparent": bool(job.get("transparent")),
        "disable_caching": True,
        "progress_bar": "none",
        "verbosity": "WARNING",
        "output_file": f"clip_{index}",
        "write_to_movie": True,
        # Clips are intermediate: the render stage encodes the final cut. Encoding them fast
        # at high quality halves Manim's time at 1080p.
        "video_encoder_options": {} if job.get("transparent") else {"crf": "16", "preset": "ultrafast"},
    }
    with tempconfig(settings):
        scene_type = type(cls.__name__, (cls,), {"spec": spec, "job_index": index})
        # The renderer is made inside the config: its camera reads the frame's size from it.
        scene = scene_type(renderer=renderer() if renderer else None)
        scene.render()
        assert config.pixel_width == width
        return Path(scene.renderer.file_writer.movie_file_path), scene.text_boxes


def _write_layout(clip: Path, text_boxes: list[list[float]]) -> None:
    """The layout data: where the clip shows text, so captions can keep clear of it."""
    from ..rendering.manim_clips import layout_path

    layout_path(clip).write_text(json.dumps({"text_boxes": text_boxes}), encoding="utf-8")


def prepare() -> dict[str, type]:
    """What every worker does before its first clip: import Manim and our scenes (1.5-2 s)."""
    logging.getLogger("manim").setLevel(logging.WARNING)
    encode_frames_without_copying()
    return scene_classes()


def render_all(jobs_path: str, registry: dict[str, type]) -> int:
    jobs = json.loads(Path(jobs_path).read_text(encoding="utf-8"))
    for job in jobs:
        output = render_job(job["index"], job, registry)
        print(json.dumps({"job": job["index"], "done": str(output)}), flush=True)
    return 0


def serve() -> int:
    """A warm worker (creator_service/warm.py): prepared ahead of need, it renders each jobs file
    named on stdin."""
    from ..warm import serve_job_files

    registry = prepare()
    return serve_job_files(lambda jobs_path: render_all(str(jobs_path), registry))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--warm"]:
        return serve()
    return render_all(argv[0], prepare())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
