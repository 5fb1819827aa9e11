"""What every Creator Studio Manim scene shares: the brand palette, text that fits the frame,
a time budget, and progress lines on stdout for the parent process.

Scenes never use Tex/MathTex (no LaTeX on our machines) and always name their font: without
`font=`, Pango falls back to a serif face.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    Circle,
    Line,
    Mobject,
    Scene,
    Text,
    VGroup,
    config,
)

from ..typography import balanced_lines

FONT = "DejaVu Sans"
# The family every Text uses: DejaVu Sans, or the brand kit's font for the clip being rendered
# (the worker registers the file with Pango and sets this before each clip).
_font = {"family": FONT}


def use_font(family: str | None) -> None:
    _font["family"] = family or FONT


def brand_font() -> str:
    return _font["family"]


@dataclass(frozen=True)
class Palette:
    background: str = "#0B1F3A"
    primary: str = "#19C3B1"
    accent: str = "#FFB547"
    warning: str = "#FF6B6B"
    text: str = "#FFFFFF"
    muted: str = "#9FB3C8"


class BrandScene(Scene):
    """A scene rendered from a JSON spec, planned to last `spec["duration"]` seconds.

    Subclasses build their animation in `animate()`, timed as shares of that duration. The clip
    ends when the animation does: whoever uses it holds its last frame for the rest of the
    scene (ffmpeg's tpad), which costs a fraction of what Manim spends on a frame, still or not.
    """

    spec: dict[str, Any] = {}
    job_index: int = 0

    def setup(self) -> None:
        self.palette = Palette(**self.spec.get("palette", {}))
        self.camera.background_color = self.palette.background
        self.clip_seconds = float(self.spec.get("duration", 5.0))

    def construct(self) -> None:
        # Kept: text placed low in a scene goes above it, never across the rule.
        self.footer_group = self.footer()
        self.add(self.footer_group)
        self.animate()

    def footer(self) -> VGroup:
        """The brand line on every frame: the video never shows an empty screen."""
        label = str(self.spec.get("footer") or self.spec.get("drug") or "")
        rule = Line(LEFT, RIGHT, stroke_width=3, color=self.palette.accent)
        rule.set_width(self.frame_width * 0.16)
        name = Text(label, font=brand_font(), font_size=24, weight="BOLD", color=self.palette.muted)
        if name.width > self.frame_width * 0.6:
            name.scale_to_fit_width(self.frame_width * 0.6)
        group = VGroup(rule, name).arrange(DOWN, buff=0.18)
        # Inside the action-safe area (5 %), below where the captions' bottom band ends (10 %).
        return group.to_edge(DOWN, buff=self.frame_height * 0.065)

    def animate(self) -> None:  # pragma: no cover - every scene overrides it
        raise NotImplementedError

    # -- time ------------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        return float(self.renderer.time)

    def budget(self, share: float, minimum: float = 0.4) -> float:
        """A run time that is `share` of the scene, so animations scale with the narration."""
        return max(minimum, self.clip_seconds * share)

    def play(self, *args: Any, **kwargs: Any) -> None:
        super().play(*args, **kwargs)
        self._note_text()
        self._report()

    def _note_text(self) -> None:
        """Remember where text has been on screen (the clip's layout data): each text's box,
        the union of where it went, in frame fractions from the top left."""
        boxes: dict[int, list[float]] = getattr(self, "_text_boxes", {})
        footer = getattr(self, "footer_group", None)
        for mobject in self.mobjects:
            # The brand line counts as one text, its rule included: nothing may cross it.
            parts = [mobject] if mobject is footer else mobject.get_family()
            for part in parts:
                if part is not footer and (not isinstance(part, Text) or part.width == 0):
                    continue
                glyphs = part.family_members_with_points()
                if max((float(g.get_fill_opacity()) for g in glyphs), default=0.0) < 0.05:
                    continue
                left, right = part.get_left()[0], part.get_right()[0]
                top, bottom = part.get_top()[1], part.get_bottom()[1]
                box = [0.5 + left / self.frame_width, 0.5 - top / self.frame_height,
                       0.5 + right / self.frame_width, 0.5 - bottom / self.frame_height]
                seen = boxes.get(id(part))
                boxes[id(part)] = box if seen is None else [
                    min(seen[0], box[0]), min(seen[1], box[1]), max(seen[2], box[2]), max(seen[3], box[3])]
        self._text_boxes = boxes

    @property
    def text_boxes(self) -> list[list[float]]:
        self._note_text()
        return [[round(v, 4) for v in box] for box in getattr(self, "_text_boxes", {}).values()]

    def _report(self) -> None:
        print(
            json.dumps({"job": self.job_index, "t": round(self.elapsed, 3), "total": self.clip_seconds}),
            file=sys.stdout,
            flush=True,
        )

    # -- layout ----------------------------------------------------------------------------

    @property
    def frame_width(self) -> float:
        return float(config.frame_width)

    @property
    def frame_height(self) -> float:
        return float(config.frame_height)

    def safe_buff(self, share: float = 0.07) -> np.ndarray:
        """A margin from the frame's edges as a share of each side, for `to_edge`/`to_corner`:
        a fixed number of units would put text at the very edge of a frame taller or wider
        than the layout's design frame."""
        return np.array([self.frame_width * share, self.frame_height * share, 0.0])

    @property
    def portrait(self) -> bool:
        return self.frame_height > self.frame_width

    def text_block(
        self,
        text: str,
        *,
        font_size: float,
        color: str | None = None,
        weight: str = "NORMAL",
        max_width_share: float = 0.86,
        chars_per_line: int | None = None,
        align_left: bool = False,
    ) -> VGroup:
        """Balanced lines (centred, or flush left) that never run off the frame: a block too
        wide, a long word's line included, shrinks to fit."""
        width = self.frame_width * max_width_share
        per_line = chars_per_line or (18 if self.portrait else 34)
        lines = balanced_lines(text, per_line) or [" "]
        block = VGroup(
            *[
                Text(line, font=brand_font(), font_size=font_size, color=color or self.palette.text,
                     weight=weight)
                for line in lines
            ]
        ).arrange(DOWN, buff=0.18 * font_size / 48, aligned_edge=LEFT if align_left else ORIGIN)
        if block.width > width:
            block.scale_to_fit_width(width)
        return block

    def title(self, text: str) -> VGroup:
        block = self.text_block(text, font_size=44 if self.portrait else 40, weight="BOLD")
        return block.to_edge(UP, buff=self.frame_height * 0.08)

    def soft_glow(self, radius: float, color: str, opacity: float = 0.12) -> Circle:
        return Circle(radius=radius, stroke_width=0, fill_color=color, fill_opacity=opacity)


def place(mobject: Mobject, y_share: float) -> Mobject:
    """Centre horizontally at a height given as a share of the frame (+0.5 top, -0.5 bottom)."""
    return mobject.move_to(ORIGIN + UP * config.frame_height * y_share)
