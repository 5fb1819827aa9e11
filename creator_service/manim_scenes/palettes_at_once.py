"""One Manim pass that draws a scene in several palettes.

A branch of visuals variants ("warmer", "cooler") renders the same scenes with the same words,
shapes and timing, only in other colours. Building a scene, laying out its text, stepping its
animations and tracing each shape's outline is most of what Manim spends; filling and stroking
the outline is the smaller part. So the scene is built and played once, in the `KEY` palette,
and each frame's outlines are filled once per wanted palette by a camera that reads each
colour through a `ColourMap` and writes its own clip. The pixels are those a render in that
palette draws (tests/test_palettes_at_once.py compares them for every scene we have).

A colour a scene draws is one of its palette's colours, one Manim picks itself (white and black
by default), or a mix of two of those (a Transform half-way from one colour to another, a Write
whose white outline fills in). The key palette's colours are chosen so that every such colour
says which it is: none is white or black, and no mix of two of them could be a mix of others.
A real palette could not promise that (ocean's text is Manim's own white).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable

import cairo
import numpy as np
from manim import Camera, ManimColor
from manim.renderer.cairo_renderer import CairoRenderer
from manim.scene.video_segment_encoder import VideoSegmentEncoder

from ..rendering.layers import thumbnail_path
from .thumbnails import ThumbnailKeeper

# The colours the scene is built in: one per role, picked by a search for the set whose mixes
# (with white and black too) keep farthest apart: 0.049 at the closest, 12 levels of 255.
KEY: dict[str, str] = {
    "background": "#C4D6AB", "primary": "#269EE4", "accent": "#95CC65",
    "warning": "#D33D21", "text": "#37C48A", "muted": "#6784CF",
}
# Colours Manim draws of its own accord, the same in every palette.
FIXED = ("#FFFFFF", "#000000")
# Colours are floats in [0, 1]; Manim keeps them as float64, so a colour read back is exact to
# far better than this, and the key's colours and their mixes are never this close.
SAME = 1e-4


def _rgb(hex_colour: str) -> np.ndarray:
    return np.asarray(ManimColor.parse(hex_colour).to_rgb(), dtype=float)


def _segment_distance(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> float:
    """The least distance between segments p0-p1 and q0-q1: the closest points of the two
    lines, each held within its segment, and each end against the other segment."""
    u, v, w = p1 - p0, q1 - q0, p0 - q0

    def on_segment(point: np.ndarray, start: np.ndarray, span: np.ndarray) -> np.ndarray:
        return start + np.clip(np.dot(point - start, span) / np.dot(span, span), 0.0, 1.0) * span

    candidates = [
        np.linalg.norm(p0 - on_segment(p0, q0, v)), np.linalg.norm(p1 - on_segment(p1, q0, v)),
        np.linalg.norm(q0 - on_segment(q0, p0, u)), np.linalg.norm(q1 - on_segment(q1, p0, u)),
    ]
    a, b, c, d, e = np.dot(u, u), np.dot(u, v), np.dot(v, v), np.dot(u, w), np.dot(v, w)
    denominator = a * c - b * b
    if denominator > 1e-12:
        s, t = (b * e - c * d) / denominator, (a * e - b * d) / denominator
        if 0.0 <= s <= 1.0 and 0.0 <= t <= 1.0:
            candidates.append(np.linalg.norm(w + s * u - t * v))
    return float(min(candidates))


def unambiguous(colours: list[str]) -> bool:
    """Whether every colour and every mix of two of `colours` names its colours and its share
    of each: the colours differ, no three lie on one line, and no two mixes meet."""
    points = [_rgb(colour) for colour in colours]
    if any(np.linalg.norm(a - b) < SAME for a, b in combinations(points, 2)):
        return False
    for (a, b), (c, d) in combinations(combinations(range(len(points)), 2), 2):
        shared = {a, b} & {c, d}
        if shared:
            # Two mixes from one colour meet only there, unless the three colours lie on a line.
            (near,), (far1,), (far2,) = shared, {a, b} - shared, {c, d} - shared
            u, v = points[far1] - points[near], points[far2] - points[near]
            if np.linalg.norm(np.cross(u, v)) < 100 * SAME * max(np.linalg.norm(u), np.linalg.norm(v)):
                return False
        elif _segment_distance(points[a], points[b], points[c], points[d]) < 100 * SAME:
            return False
    return True


class ColourMap:
    """Reads a colour drawn in the key palette as the same colour of another palette."""

    def __init__(self, palette: dict[str, str]) -> None:
        self._from = np.array([_rgb(KEY[role]) for role in KEY] + [_rgb(c) for c in FIXED])
        self._to = np.array([_rgb(palette[role]) for role in KEY] + [_rgb(c) for c in FIXED])
        self._seen: dict[bytes, np.ndarray] = {}

    def rgb(self, colour: np.ndarray) -> np.ndarray:
        key = colour.tobytes()
        mapped = self._seen.get(key)
        if mapped is None:
            mapped = self._seen[key] = self._map(colour)
        return mapped

    def _map(self, colour: np.ndarray) -> np.ndarray:
        distances = np.linalg.norm(self._from - colour, axis=1)
        nearest = int(np.argmin(distances))
        if distances[nearest] < SAME:
            return self._to[nearest]
        for a, b in combinations(range(len(self._from)), 2):
            span = self._from[b] - self._from[a]
            t = float(np.dot(colour - self._from[a], span) / np.dot(span, span))
            if 0.0 < t < 1.0 and np.linalg.norm(self._from[a] + t * span - colour) < SAME:
                return (1 - t) * self._to[a] + t * self._to[b]
        # Not a colour this knows how to read: drawing it in some colour would be a guess.
        raise UnknownColour(f"the scene drew {colour.round(4).tolist()}, which is no palette colour nor a mix of two")

    def rgbas(self, rgbas: np.ndarray) -> np.ndarray:
        if len(rgbas) == 0:
            return rgbas
        mapped = np.array(rgbas, dtype=float, copy=True)
        for row in mapped:
            row[:3] = self.rgb(row[:3])
        return mapped


class UnknownColour(RuntimeError):
    """A scene drew a colour the key palette cannot say the meaning of."""


class PaletteCamera(Camera):
    """A camera that fills and strokes outlines traced by the scene's camera, in one palette."""

    def __init__(self, palette: dict[str, str], **kwargs: Any) -> None:
        super().__init__(background_color=palette["background"], **kwargs)
        self.colours = ColourMap(palette)

    def get_fill_rgbas(self, vmobject: Any) -> Any:
        return self.colours.rgbas(super().get_fill_rgbas(vmobject))

    def get_stroke_rgbas(self, vmobject: Any, background: bool = False) -> Any:
        return self.colours.rgbas(super().get_stroke_rgbas(vmobject, background))

    def paint(self, ctx: cairo.Context, vmobject: Any) -> None:
        """Manim's `display_vectorized` without its first step: the outline is already traced."""
        self.apply_stroke(ctx, vmobject, background=True)
        self.apply_fill(ctx, vmobject)
        self.apply_stroke(ctx, vmobject)


class TracingCamera(Camera):
    """The scene's own camera: it traces each shape's outline (Python, curve by curve, the
    dear part) and hands it to every palette's camera to paint. It paints nothing itself."""

    def __init__(self, painters: list[PaletteCamera], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.painters = painters

    def display_multiple_non_background_colored_vmobjects(self, vmobjects: Iterable[Any], pixel_array: Any) -> None:
        if pixel_array is not self.pixel_array:
            raise NotImplementedError("drawing in several palettes draws into the frame only")
        ctx = self.get_cairo_context(pixel_array)
        painters = [(painter, painter.get_cairo_context(painter.pixel_array)) for painter in self.painters]
        for vmobject in vmobjects:
            self.set_cairo_context_path(ctx, vmobject)
            outline = ctx.copy_path()
            for painter, painter_ctx in painters:
                painter_ctx.new_path()
                painter_ctx.append_path(outline)
                painter.paint(painter_ctx, vmobject)

    # Our scenes draw vector shapes only; anything else would be missing from the palettes'
    # clips, so it fails the clip rather than pass unseen.
    def display_multiple_background_colored_vmobjects(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("drawing in several palettes: background-coloured shapes")

    def display_multiple_point_cloud_mobjects(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("drawing in several palettes: point clouds")

    def display_multiple_image_mobjects(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("drawing in several palettes: images")


@dataclass(frozen=True)
class PaletteClip:
    """A palette to draw the scene in, the clip it is written to, and, if asked for, the
    thumbnail beside it: `{"frame", "width"}` (thumbnails.py)."""

    palette: dict[str, str]
    target: Path
    thumbnail: dict[str, int] | None = None

    def thumbnail_keeper(self) -> ThumbnailKeeper | None:
        """A keeper for one drawing of this clip, or None if no thumbnail was asked for."""
        if self.thumbnail is None:
            return None
        return ThumbnailKeeper(thumbnail_path(self.target), self.thumbnail["frame"], self.thumbnail["width"])


@dataclass
class _Output:
    camera: PaletteCamera
    target: Path
    keeper: ThumbnailKeeper | None
    static: np.ndarray | None = None
    encoder: VideoSegmentEncoder | None = None


class PalettesRenderer(CairoRenderer):
    """Manim's Cairo renderer, writing each frame once per palette, and no clip of its own
    (the key palette's outlines are never painted)."""

    def __init__(self, clips: list[PaletteClip]) -> None:
        super().__init__()
        self._outputs = [_Output(PaletteCamera(clip.palette), clip.target, clip.thumbnail_keeper()) for clip in clips]
        self.camera = TracingCamera([output.camera for output in self._outputs])

    def init_scene(self, scene: Any, session_spec: Any, file_writer_settings: Any) -> None:
        super().init_scene(scene, session_spec, file_writer_settings)
        spec = file_writer_settings.video_encoder
        if spec is None:
            raise RuntimeError("drawing in several palettes needs a video output")
        for output in self._outputs:
            output.encoder = VideoSegmentEncoder(target=output.target, spec=spec)

    def update_frame(self, scene: Any, mobjects: Iterable[Any] | None = None, include_submobjects: bool = True,
                     ignore_skipping: bool = True, **kwargs: Any) -> None:
        if self.skip_animations and not ignore_skipping:
            return
        # Each palette's camera starts from its own still part of the picture; the tracing
        # camera then draws into all of them.
        for output in self._outputs:
            if output.static is not None:
                output.camera.set_frame_to_background(output.static)
            else:
                output.camera.reset()
        super().update_frame(scene, mobjects, include_submobjects, ignore_skipping, **kwargs)

    def save_static_frame_data(self, scene: Any, static_mobjects: Iterable[Any]) -> Any:
        for output in self._outputs:
            output.static = None
        image = super().save_static_frame_data(scene, static_mobjects)
        if image is not None:
            for output in self._outputs:
                output.static = output.camera.pixel_array.copy()
        return image

    def add_frame(self, frame: Any, num_frames: int = 1) -> None:
        # Manim's own clip would be the key palette's unpainted frames: only the time moves on.
        # Every caller draws the frame (update_frame) just before: each camera holds its own.
        if self.skip_animations:
            return
        self.time += num_frames / self.camera.frame_rate
        for output in self._outputs:
            assert output.encoder is not None
            pixels = output.camera.pixel_array.copy()
            if output.keeper is not None:
                output.keeper.see(pixels, num_frames)
            output.encoder.write_frame(pixels, repeat=num_frames)

    def scene_finished(self, scene: Any) -> None:
        # Manim's own clip has no frames (add_frame): nothing to join into a movie.
        self.file_writer.join_all_encode_jobs()

    def finish_clips(self) -> None:
        for output in self._outputs:
            if output.encoder is not None:
                output.encoder.finish()
            if output.keeper is not None:
                output.keeper.write()

    def abort_clips(self) -> None:
        for output in self._outputs:
            if output.encoder is not None:
                output.encoder.abort()
