"""Short-form (9:16) scenes for `social_media`: bold type, simple shapes, one idea per scene."""

from __future__ import annotations

import math

import numpy as np
from manim import (
    DOWN,
    LEFT,
    PI,
    RIGHT,
    UP,
    Arc,
    Circle,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    GrowFromEdge,
    LaggedStart,
    Line,
    Polygon,
    Rectangle,
    Rotate,
    RoundedRectangle,
    Text,
    Transform,
    VGroup,
    VMobject,
    Write,
)

from .base import BrandScene, brand_font, place


class SocialHook(BrandScene):
    def animate(self) -> None:
        spec = self.spec
        glow = self.soft_glow(3.6, self.palette.primary, 0.10)
        ring = Circle(radius=2.2, color=self.palette.primary, stroke_width=10)
        name = self.text_block(spec["drug"], font_size=72, weight="BOLD", chars_per_line=12)
        subtitle = self.text_block(f"for {spec['indication']}", font_size=36, color=self.palette.muted)
        place(VGroup(ring, glow), 0.08)
        name.move_to(ring)
        place(subtitle, -0.16)
        self.add(glow, ring)
        self.play(Write(name), run_time=self.budget(0.2))
        self.play(
            FadeIn(subtitle, shift=UP * 0.4),
            ring.animate.scale(1.12).set_stroke(opacity=0.5),
            run_time=self.budget(0.15),
        )
        self.play(ring.animate.scale(1 / 1.12).set_stroke(opacity=1), run_time=self.budget(0.12))


class SocialMechanism(BrandScene):
    def animate(self) -> None:
        title = self.title(self.spec["on_screen_text"])
        cell = Circle(radius=2.3, color=self.palette.primary, stroke_width=6)
        cell.set_fill(self.palette.primary, opacity=0.08)
        place(cell, -0.08)
        left_half = RoundedRectangle(corner_radius=0.3, width=1.2, height=0.6, stroke_width=0)
        left_half.set_fill(self.palette.accent, 1)
        right_half = left_half.copy().set_fill(self.palette.text, 1)
        capsule = VGroup(left_half, right_half).arrange(RIGHT, buff=0)
        capsule.move_to(cell.get_center() + UP * 4.2 + LEFT * 2.2).rotate(-PI / 5)
        rng = np.random.default_rng(7)
        scattered = VGroup(
            *[
                Dot(
                    cell.get_center() + np.array([*rng.uniform(-1.5, 1.5, 2), 0.0]),
                    radius=0.12, color=self.palette.warning,
                )
                for _ in range(12)
            ]
        )
        ordered = VGroup(
            *[
                Dot(
                    cell.get_center() + 1.5 * np.array([math.cos(a), math.sin(a), 0.0]),
                    radius=0.12, color=self.palette.primary,
                )
                for a in np.linspace(0, 2 * PI, 12, endpoint=False)
            ]
        )
        self.add(title)
        self.play(Create(cell), run_time=self.budget(0.15))
        self.play(FadeIn(scattered, lag_ratio=0.1), FadeIn(capsule), run_time=self.budget(0.12))
        self.play(
            capsule.animate.move_to(cell.get_center()).scale(0.6).rotate(PI / 5),
            run_time=self.budget(0.18),
        )
        self.play(Transform(scattered, ordered), FadeOut(capsule, scale=0.3), run_time=self.budget(0.2))


class SocialBenefit(BrandScene):
    def animate(self) -> None:
        badge = Circle(radius=1.5, color=self.palette.primary, stroke_width=8)
        badge.set_fill(self.palette.primary, opacity=0.15)
        place(badge, 0.25)
        check = VMobject(stroke_width=14, color=self.palette.primary).set_points_as_corners(
            [
                badge.get_center() + np.array([-0.7, 0.0, 0]),
                badge.get_center() + np.array([-0.15, -0.55, 0]),
                badge.get_center() + np.array([0.8, 0.6, 0]),
            ]
        )
        text = self.text_block(self.spec["on_screen_text"], font_size=40, weight="BOLD")
        place(text, -0.02)
        bars = VGroup(
            *[
                Rectangle(width=0.9, height=h, stroke_width=0).set_fill(color, 0.9)
                for h, color in ((1.0, self.palette.muted), (1.7, self.palette.accent),
                                 (2.5, self.palette.primary))
            ]
        ).arrange(RIGHT, buff=0.4, aligned_edge=DOWN)
        place(bars, -0.3)
        self.add(badge)
        self.play(Create(check), run_time=self.budget(0.14))
        self.play(FadeIn(text, shift=UP * 0.3), run_time=self.budget(0.14))
        self.play(
            LaggedStart(*[GrowFromEdge(bar, DOWN) for bar in bars], lag_ratio=0.3),
            run_time=self.budget(0.2),
        )


class SocialSafety(BrandScene):
    def animate(self) -> None:
        title = self.title(self.spec["on_screen_text"])
        shield = Polygon(
            [-1.3, 1.2, 0], [1.3, 1.2, 0], [1.3, -0.2, 0], [0, -1.6, 0], [-1.3, -0.2, 0],
            color=self.palette.accent, stroke_width=8,
        ).set_fill(self.palette.accent, opacity=0.12)
        place(shield, 0.15)
        mark = Text("!", font=brand_font(), font_size=110, weight="BOLD", color=self.palette.accent)
        mark.move_to(shield.get_center() + UP * 0.15)
        lines = VGroup(
            *[
                self.text_block(line, font_size=30, color=self.palette.text, chars_per_line=26)
                for line in self.spec.get("lines", [])
            ]
        ).arrange(DOWN, buff=0.45)
        place(lines, -0.22)
        self.add(title)
        self.play(Create(shield), run_time=self.budget(0.16))
        self.play(FadeIn(mark, scale=1.4), run_time=self.budget(0.08))
        if len(lines):
            self.play(
                LaggedStart(*[FadeIn(line, shift=UP * 0.2) for line in lines], lag_ratio=0.5),
                run_time=self.budget(0.3),
            )


class SocialCallToAction(BrandScene):
    def animate(self) -> None:
        bubble = RoundedRectangle(corner_radius=0.6, width=self.frame_width * 0.82, height=4.2)
        bubble.set_fill(self.palette.primary, 0.95).set_stroke(width=0)
        tail = Polygon([0.2, 0, 0], [1.3, 0, 0], [0.4, -0.9, 0], stroke_width=0)
        tail.set_fill(self.palette.primary, 0.95)
        place(bubble, 0.12)
        tail.next_to(bubble, DOWN, buff=-0.02).shift(LEFT * 1.2)
        text = self.text_block(
            self.spec["on_screen_text"], font_size=44, weight="BOLD", color=self.palette.background,
            max_width_share=0.72,
        ).move_to(bubble)
        ring = Circle(radius=0.55, color=self.palette.accent, stroke_width=10)
        tube = Arc(radius=1.0, start_angle=PI, angle=-PI, color=self.palette.accent, stroke_width=8)
        stethoscope = VGroup(tube, ring.next_to(tube, DOWN, buff=0.0).shift(RIGHT * 1.0))
        place(stethoscope, -0.2)
        name = Text(self.spec["drug"], font=brand_font(), font_size=52, weight="BOLD", color=self.palette.text)
        place(name, -0.36)
        underline = Line(LEFT, RIGHT, color=self.palette.accent, stroke_width=6)
        underline.set_width(name.width).next_to(name, DOWN, buff=0.2)
        self.add(bubble, tail)
        self.play(Write(text), run_time=self.budget(0.2))
        self.play(Create(stethoscope), run_time=self.budget(0.14))
        self.play(FadeIn(name, shift=UP * 0.3), Create(underline), run_time=self.budget(0.12))


# A clock tick's outer end, before it is rotated into place around the face.
ORIGIN_OFFSET = np.array([0.0, 2.0, 0.0])


class SocialRoutine(BrandScene):
    def animate(self) -> None:
        title = self.title(self.spec["on_screen_text"])
        face = Circle(radius=2.0, color=self.palette.text, stroke_width=8)
        place(face, 0.0)
        ticks = VGroup(
            *[
                Line(ORIGIN_OFFSET * 0.8, ORIGIN_OFFSET, stroke_width=6, color=self.palette.muted)
                .rotate(angle, about_point=np.zeros(3))
                .shift(face.get_center())
                for angle in np.linspace(0, 2 * PI, 12, endpoint=False)
            ]
        )
        hand = Line(face.get_center(), face.get_center() + UP * 1.5, stroke_width=10,
                    color=self.palette.accent)
        self.add(title)
        self.play(Create(face), run_time=self.budget(0.16))
        self.play(FadeIn(ticks, lag_ratio=0.1), GrowFromEdge(hand, DOWN), run_time=self.budget(0.12))
        self.play(Rotate(hand, angle=-2 * PI, about_point=face.get_center()), run_time=self.budget(0.35))


class SocialQuestions(BrandScene):
    def animate(self) -> None:
        title = self.title(self.spec["on_screen_text"])
        marks = VGroup(
            *[Text("?", font=brand_font(), font_size=90, weight="BOLD", color=self.palette.accent)
              for _ in range(3)]
        ).arrange(RIGHT, buff=1.0)
        place(marks, 0.05)
        boxes = VGroup(
            *[
                VGroup(
                    RoundedRectangle(corner_radius=0.1, width=0.7, height=0.7,
                                     color=self.palette.primary, stroke_width=6),
                    Line(LEFT * 1.9, RIGHT * 1.9, color=self.palette.muted, stroke_width=6),
                ).arrange(RIGHT, buff=0.4)
                for _ in range(3)
            ]
        ).arrange(DOWN, buff=0.5)
        place(boxes, -0.12)
        self.add(title)
        self.play(FadeIn(marks, shift=UP * 0.5, lag_ratio=0.3), run_time=self.budget(0.2))
        self.play(Transform(marks, boxes), run_time=self.budget(0.25))


# Scene kind in the plan -> the class that draws it.
SOCIAL_SCENES: dict[str, type[BrandScene]] = {
    "hook": SocialHook,
    "mechanism": SocialMechanism,
    "benefit": SocialBenefit,
    "safety": SocialSafety,
    "cta": SocialCallToAction,
    "routine": SocialRoutine,
    "questions": SocialQuestions,
}
