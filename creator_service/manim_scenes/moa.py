"""Mechanism-of-action scenes (16:9) for `moa`, and the mechanism scene of `doctor_ad`.

Real animated biology from shapes: a membrane with receptors, disease signals binding and an
amplified cascade; a target's pocket; drug molecules docking; the cascade going quiet; a marker
falling into range; a summary.
"""

from __future__ import annotations

import math

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Arrow,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    GrowArrow,
    Indicate,
    LaggedStart,
    Line,
    Rectangle,
    Rotate,
    Text,
    Transform,
    VGroup,
    Write,
)

from .base import BrandScene, brand_font
from .biology import blocked, cascade, drug_molecule, gauge, label, ligand, membrane, receptor


class MoaScene(BrandScene):
    """A titled MoA scene: eyebrow and heading at the top, biology below."""

    def heading(self) -> VGroup:
        eyebrow = Text(self.spec.get("eyebrow", "").upper(), font=brand_font(), font_size=22,
                       color=self.palette.accent, weight="BOLD")
        title = self.text_block(self.spec["on_screen_text"], font_size=40, weight="BOLD",
                                chars_per_line=48, max_width_share=0.8)
        group = VGroup(eyebrow, title).arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        return group.to_corner(UP + LEFT, buff=self.safe_buff())

    def cell_surface(self, receptors: int = 3) -> tuple[VGroup, VGroup]:
        wall = membrane(self.frame_width * 1.1, self.palette, y=-0.4)
        sites = VGroup(*[receptor(self.palette) for _ in range(receptors)])
        for site, x in zip(sites, np.linspace(-4.5, 4.5, receptors)):
            site.move_to([x, -0.25, 0])
        return wall, sites


class MoaDisease(MoaScene):
    def animate(self) -> None:
        heading = self.heading()
        wall, sites = self.cell_surface()
        signals = VGroup(*[ligand(self.palette.warning) for _ in sites])
        for signal, site in zip(signals, sites):
            signal.move_to(site.get_top() + UP * 2.2 + RIGHT * 0.6)
        inside = VGroup(*[cascade(self.palette).scale(0.7).next_to(site, DOWN, buff=0.35) for site in sites])
        self.add(heading)
        self.play(Create(wall), run_time=self.budget(0.16))
        self.play(LaggedStart(*[FadeIn(site, shift=UP * 0.3) for site in sites], lag_ratio=0.2), run_time=self.budget(0.1))
        self.play(FadeIn(signals), run_time=self.budget(0.06))
        self.play(*[s.animate.move_to(site[1].get_center() + UP * 0.05) for s, site in zip(signals, sites)],
                  run_time=self.budget(0.14))
        self.play(LaggedStart(*[Create(c) for c in inside], lag_ratio=0.15), run_time=self.budget(0.12))
        self.play(*[c[0].animate.set_fill(self.palette.warning, 0.8) for c in inside],
                  *[c[1].animate.set_color(self.palette.warning) for c in inside],
                  run_time=self.budget(0.1))


class MoaTarget(MoaScene):
    def animate(self) -> None:
        heading = self.heading()
        wall, _ = self.cell_surface(receptors=1)
        target = receptor(self.palette).scale(2.0).move_to([0, 0.2, 0])
        pocket_label = label("binding pocket", self.palette, 24).next_to(target[1], RIGHT, buff=0.6)
        pointer = GrowArrow(
            Arrow(pocket_label.get_left(), target[1].get_right(), buff=0.1,
                                      color=self.palette.text, stroke_width=4))
        name = label("molecular target", self.palette, 28).next_to(target, LEFT, buff=0.8).shift(UP * 1.2)
        self.add(heading)
        self.play(Create(wall), run_time=self.budget(0.15))
        self.play(FadeIn(target, scale=0.6), run_time=self.budget(0.14))
        self.play(Write(name), pointer, FadeIn(pocket_label), run_time=self.budget(0.16))
        self.play(Indicate(target[1], color=self.palette.primary), run_time=self.budget(0.12))


class MoaBinding(MoaScene):
    def animate(self) -> None:
        heading = self.heading()
        wall, sites = self.cell_surface()
        drugs = VGroup(*[drug_molecule(self.palette) for _ in sites])
        for molecule, site in zip(drugs, sites):
            molecule.move_to(site.get_top() + UP * 2.4 + LEFT * 0.8).rotate(-0.6)
        name = label(self.spec.get("drug", "drug"), self.palette, 26).next_to(drugs[-1], RIGHT, buff=0.3)
        glows = VGroup(*[site[1].copy().set_stroke(self.palette.primary, width=14, opacity=0.6) for site in sites])
        self.add(heading, wall)
        self.play(FadeIn(sites), run_time=self.budget(0.16))
        self.play(FadeIn(drugs, shift=DOWN * 0.4), FadeIn(name), run_time=self.budget(0.1))
        self.play(*[m.animate.rotate(0.6).move_to(site[1].get_center() + UP * 0.08) for m, site in zip(drugs, sites)],
                  FadeOut(name), run_time=self.budget(0.2))
        self.play(FadeIn(glows), *[site[0].animate.set_fill(self.palette.primary, 0.9) for site in sites],
                  run_time=self.budget(0.12))


class MoaDownstream(MoaScene):
    def animate(self) -> None:
        heading = self.heading()
        wall, sites = self.cell_surface()
        for site in sites:
            site[0].set_fill(self.palette.primary, 0.9)
        drugs = VGroup(*[drug_molecule(self.palette).move_to(site[1].get_center() + UP * 0.08) for site in sites])
        inside = VGroup(*[cascade(self.palette).scale(0.7).next_to(site, DOWN, buff=0.35) for site in sites])
        for chain in inside:
            chain[0].set_fill(self.palette.warning, 0.8)
            chain[1].set_color(self.palette.warning)
        crosses = VGroup(*[blocked(chain[1], self.palette.text) for chain in inside])
        self.add(wall, sites, drugs)
        self.add(heading)
        self.play(FadeIn(inside), run_time=self.budget(0.14))
        self.play(LaggedStart(*[Create(c) for c in crosses], lag_ratio=0.2), run_time=self.budget(0.16))
        self.play(*[chain[0].animate.set_fill(self.palette.muted, 0.15) for chain in inside],
                  *[chain[1].animate.set_color(self.palette.muted).set_opacity(0.35) for chain in inside],
                  run_time=self.budget(0.18))


class MoaOutcome(MoaScene):
    def animate(self) -> None:
        heading = self.heading()
        dial = gauge(self.palette, radius=2.0).move_to([0, -0.6, 0])
        needle_base = dial[1].get_arc_center()
        needle = Line(needle_base, needle_base + 1.8 * np.array([math.cos(0.35), math.sin(0.35), 0]),
                                          stroke_width=8, color=self.palette.text)
        hub = Dot(needle_base, radius=0.12, color=self.palette.text)
        high = label("high", self.palette, 22).next_to(dial[0], RIGHT, buff=0.2)
        target = label("target range", self.palette, 22).next_to(dial[2], LEFT, buff=0.2)
        self.add(heading)
        self.play(Create(dial), run_time=self.budget(0.16))
        self.play(FadeIn(needle), FadeIn(hub), FadeIn(high), FadeIn(target), run_time=self.budget(0.08))
        self.play(Rotate(needle, angle=math.pi * 0.62, about_point=needle_base), run_time=self.budget(0.3))


class MoaSummary(MoaScene):
    def animate(self) -> None:
        heading = self.heading()
        bullets = VGroup(
            *[
                VGroup(
                    Dot(radius=0.12, color=self.palette.primary),
                    self.text_block(text, font_size=32, chars_per_line=44),
                ).arrange(RIGHT, buff=0.35)
                for text in self.spec.get("bullets", [])[:4]
            ]
        ).arrange(DOWN, buff=0.5, aligned_edge=LEFT).move_to([0, -0.6, 0])
        self.add(heading)
        if len(bullets):
            self.play(LaggedStart(*[FadeIn(b, shift=RIGHT * 0.4) for b in bullets], lag_ratio=0.4),
                      run_time=self.budget(0.35))


class MoaContext(MoaScene):
    def animate(self) -> None:
        heading = self.heading()
        bar = Rectangle(width=10, height=0.35, stroke_width=0).set_fill(self.palette.muted, 0.4)
        bar.move_to([0, -0.8, 0])
        marks = VGroup(*[Dot(radius=0.14, color=self.palette.accent).move_to(bar.get_left() + RIGHT * x)
                         for x in (1.5, 4.5, 8.0)])
        highlight = Rectangle(width=3.5, height=0.35, stroke_width=0).set_fill(self.palette.primary, 0.9)
        highlight.move_to(bar.get_left() + RIGHT * 4.5)
        self.add(heading)
        self.play(Create(bar), run_time=self.budget(0.16))
        self.play(LaggedStart(*[FadeIn(m, scale=1.5) for m in marks], lag_ratio=0.3), run_time=self.budget(0.14))
        self.play(Transform(bar.copy(), highlight), run_time=self.budget(0.16))


MOA_SCENES: dict[str, type[BrandScene]] = {
    "disease": MoaDisease,
    "target": MoaTarget,
    "binding": MoaBinding,
    "downstream": MoaDownstream,
    "outcome": MoaOutcome,
    "summary": MoaSummary,
    "context": MoaContext,
}
