"""Biology drawn from shapes: membranes, receptors, ligands, drug molecules, signal cascades.

Nothing here is a picture of a specific protein: the offline planner describes mechanisms in
general terms, and the drawings match that. They are built to move: ligands bind, pockets fill,
cascades light up or go dark.
"""

from __future__ import annotations

import math

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arc,
    Arrow,
    Circle,
    Cross,
    Line,
    RegularPolygon,
    RoundedRectangle,
    Text,
    Triangle,
    VGroup,
)

from .base import Palette, brand_font


def phospholipid(head_color: str, tail_color: str, flip: bool = False) -> VGroup:
    head = Circle(radius=0.12, stroke_width=0).set_fill(head_color, 1)
    direction = UP if flip else DOWN
    tails = VGroup(
        Line(head.get_center(), head.get_center() + direction * 0.42 + LEFT * 0.05, stroke_width=2, color=tail_color),
        Line(head.get_center(), head.get_center() + direction * 0.42 + RIGHT * 0.05, stroke_width=2, color=tail_color),
    )
    return VGroup(tails, head)


def membrane(width: float, palette: Palette, y: float = 0.0) -> VGroup:
    """A lipid bilayer across the frame: two rows of heads with tails meeting in the middle."""
    count = int(width / 0.3)
    xs = np.linspace(-width / 2, width / 2, count)
    outer = VGroup(*[phospholipid(palette.primary, palette.muted).move_to([x, y + 0.33, 0]) for x in xs])
    inner = VGroup(*[phospholipid(palette.primary, palette.muted, flip=True).move_to([x, y - 0.33, 0]) for x in xs])
    return VGroup(outer, inner)


def receptor(palette: Palette, color: str | None = None) -> VGroup:
    """A transmembrane receptor: a body through the membrane with a cupped binding pocket on top."""
    body = RoundedRectangle(corner_radius=0.18, width=0.7, height=1.5, stroke_width=0)
    body.set_fill(color or palette.accent, 0.95)
    pocket = Arc(radius=0.32, start_angle=math.pi, angle=math.pi, stroke_width=6, color=color or palette.accent)
    pocket.next_to(body, UP, buff=-0.05)
    return VGroup(body, pocket)


def ligand(color: str) -> Triangle:
    """The disease signal: a small triangle that fits a receptor's pocket."""
    return Triangle(stroke_width=0).set_fill(color, 1).scale(0.2).rotate(math.pi)


def drug_molecule(palette: Palette) -> VGroup:
    """A drug: a small ring system of hexagons."""
    rings = VGroup(
        *[RegularPolygon(6, stroke_width=4, color=palette.text).scale(0.16) for _ in range(2)]
    ).arrange(RIGHT, buff=-0.02)
    atom = Circle(radius=0.06, stroke_width=0).set_fill(palette.primary, 1).next_to(rings, RIGHT, buff=0.02)
    return VGroup(rings, atom)


def cascade(palette: Palette, steps: int = 3) -> VGroup:
    """The signal inside the cell: a chain of nodes joined by arrows, read top to bottom."""
    nodes = VGroup(*[Circle(radius=0.24, stroke_width=4, color=palette.muted) for _ in range(steps)])
    nodes.arrange(DOWN, buff=0.5)
    arrows = VGroup(
        *[Arrow(nodes[i].get_bottom(), nodes[i + 1].get_top(), buff=0.05, stroke_width=4, color=palette.muted,
                max_tip_length_to_length_ratio=0.35) for i in range(steps - 1)]
    )
    return VGroup(nodes, arrows)


def blocked(mobject_group: VGroup, color: str) -> VGroup:
    return VGroup(*[Cross(item, stroke_color=color, stroke_width=5).scale(0.6) for item in mobject_group])


def label(text: str, palette: Palette, size: float = 26) -> Text:
    return Text(text, font=brand_font(), font_size=size, color=palette.text)


def gauge(palette: Palette, radius: float = 1.6) -> VGroup:
    """A semicircular gauge: high band in warning colour, target band in the primary colour."""
    high = Arc(radius=radius, start_angle=0, angle=math.pi / 3, stroke_width=18, color=palette.warning)
    middle = Arc(radius=radius, start_angle=math.pi / 3, angle=math.pi / 3, stroke_width=18, color=palette.accent)
    target = Arc(radius=radius, start_angle=2 * math.pi / 3, angle=math.pi / 3, stroke_width=18, color=palette.primary)
    return VGroup(high, middle, target)
