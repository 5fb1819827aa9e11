"""Scenes (16:9) for `doctor_ad`: title card, mechanism, clinical-data chart, footage captions,
important safety information and the call to action. The brand logo is laid over every scene
afterwards by ffmpeg, so these scenes keep the top-right corner clear.
"""

from __future__ import annotations

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    FadeIn,
    GrowFromEdge,
    Indicate,
    LaggedStart,
    Line,
    Rectangle,
    RoundedRectangle,
    Text,
    VGroup,
)

from .base import BrandScene, brand_font
from .moa import MoaBinding, MoaScene


class DoctorIndication(MoaScene):
    def animate(self) -> None:
        name = Text(self.spec.get("drug", ""), font=brand_font(), font_size=96, weight="BOLD", color=self.palette.text)
        if name.width > self.frame_width * 0.8:
            name.scale_to_fit_width(self.frame_width * 0.8)
        rule = Line(LEFT, RIGHT, color=self.palette.primary, stroke_width=8).set_width(4)
        line = self.text_block(self.spec["on_screen_text"], font_size=38, color=self.palette.muted,
                               chars_per_line=50)
        VGroup(name, rule, line).arrange(DOWN, buff=0.45).move_to([0, 0.3, 0])
        self.add(name)
        self.play(Create(rule), FadeIn(line, shift=UP * 0.3), run_time=self.budget(0.18))
        self.play(Indicate(name, color=self.palette.primary, scale_factor=1.05), run_time=self.budget(0.14))


class DoctorMechanism(MoaBinding):
    """The binding animation, with the brief's mechanism summary written beneath it."""

    def animate(self) -> None:
        super().animate()
        summary = self.spec.get("caption")
        if summary:
            text = self.text_block(summary, font_size=28, color=self.palette.text, chars_per_line=70,
                                   max_width_share=0.85)
            text.next_to(self.footer_group, UP, buff=self.frame_height * 0.04)
            self.play(FadeIn(text, shift=UP * 0.2), run_time=self.budget(0.12))


class DoctorClinicalData(MoaScene):
    def animate(self) -> None:
        heading = self.heading()
        figures = self.spec.get("figures", [])
        self.add(heading)
        if not figures:
            text = self.text_block(self.spec.get("caption", ""), font_size=34, chars_per_line=56)
            self.play(FadeIn(text), run_time=self.budget(0.2))
            return
        largest = max(abs(f["value"]) for f in figures) or 1.0
        colours = [self.palette.primary, self.palette.muted, self.palette.accent, self.palette.warning]
        bars = VGroup()
        for index, figure in enumerate(figures):
            height = 0.3 + 3.6 * abs(figure["value"]) / largest
            bar = Rectangle(width=1.4, height=height, stroke_width=0).set_fill(colours[index % 4], 0.95)
            value = Text(f"{figure['value']:g}{figure['unit']}", font=brand_font(), font_size=34, weight="BOLD",
                         color=self.palette.text)
            name = self.text_block(figure["label"], font_size=24, color=self.palette.muted, chars_per_line=14)
            bars.add(VGroup(bar, value, name))
        baseline_y = -2.4
        for index, (bar, value, name) in enumerate(bars):
            x = (index - (len(bars) - 1) / 2) * 2.6
            bar.move_to([x, baseline_y + bar.height / 2, 0])
            value.next_to(bar, UP, buff=0.15)
            name.next_to(bar, DOWN, buff=0.2)
        axis = Line([-len(bars) * 1.4, baseline_y, 0], [len(bars) * 1.4, baseline_y, 0],
                    color=self.palette.muted, stroke_width=3)
        self.play(Create(axis), *[FadeIn(b[2]) for b in bars], run_time=self.budget(0.1))
        self.play(LaggedStart(*[GrowFromEdge(b[0], DOWN) for b in bars], lag_ratio=0.3), run_time=self.budget(0.25))
        self.play(*[FadeIn(b[1], shift=UP * 0.2) for b in bars], run_time=self.budget(0.1))
        if self.spec.get("caption"):
            caption = self.text_block(self.spec["caption"], font_size=22, color=self.palette.muted,
                                      chars_per_line=90, max_width_share=0.9).next_to(axis, DOWN, buff=0.9)
            self.add(caption)


class DoctorSafety(BrandScene):
    def animate(self) -> None:
        panel = RoundedRectangle(corner_radius=0.3, width=self.frame_width * 0.86, height=self.frame_height * 0.72,
                                 stroke_color=self.palette.warning, stroke_width=5)
        panel.set_fill(self.palette.background, 0.9)
        title = Text(self.spec["on_screen_text"], font=brand_font(), font_size=40, weight="BOLD", color=self.palette.warning)
        lines = VGroup(
            *[self.text_block(line, font_size=28, chars_per_line=70, max_width_share=0.78, align_left=True)
              for line in self.spec.get("lines", [])]
        ).arrange(DOWN, buff=0.3, aligned_edge=LEFT)
        VGroup(title, lines).arrange(DOWN, buff=0.5, aligned_edge=LEFT).move_to(panel)
        self.add(panel, title)
        if len(lines):
            self.play(LaggedStart(*[FadeIn(line, shift=UP * 0.15) for line in lines], lag_ratio=0.4),
                      run_time=self.budget(0.22))


class DoctorCallToAction(BrandScene):
    def animate(self) -> None:
        name = Text(self.spec.get("drug", ""), font=brand_font(), font_size=80, weight="BOLD", color=self.palette.text)
        if name.width > self.frame_width * 0.8:
            name.scale_to_fit_width(self.frame_width * 0.8)
        prompt = self.text_block(self.spec["on_screen_text"], font_size=36, color=self.palette.background,
                                 weight="BOLD", chars_per_line=50)
        pill = RoundedRectangle(corner_radius=0.45, width=prompt.width + 1.2, height=prompt.height + 0.7,
                                stroke_width=0).set_fill(self.palette.primary, 1)
        button = VGroup(pill, prompt.move_to(pill))
        VGroup(name, button).arrange(DOWN, buff=0.7).move_to([0, 0.2, 0])
        self.add(name)
        self.play(FadeIn(button, shift=UP * 0.3), run_time=self.budget(0.16))


DOCTOR_SCENES: dict[str, type[BrandScene]] = {
    "indication": DoctorIndication,
    "mechanism": DoctorMechanism,
    "clinical_data": DoctorClinicalData,
        "isi": DoctorSafety,
    "cta": DoctorCallToAction,
}
