"""A caption drawn over footage: the scene is rendered transparent and ffmpeg lays it over
the stock clip or generated light behind it. Shared by every Manim video type."""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, Line, Rectangle, Text, VGroup

from .base import BrandScene, brand_font


class FootageCaption(BrandScene):
    """Drawn over footage (transparent): a caption card low on the frame, over a soft scrim."""

    def animate(self) -> None:
        scrim = Rectangle(width=self.frame_width, height=self.frame_height * 0.42, stroke_width=0)
        scrim.set_fill(self.palette.background, 0.55).to_edge(DOWN, buff=0)
        eyebrow = Text(self.spec.get("eyebrow", "").upper(), font=brand_font(), font_size=22, weight="BOLD",
                       color=self.palette.accent)
        text = self.text_block(self.spec["on_screen_text"], font_size=40, weight="BOLD", max_width_share=0.8,
                               align_left=True)
        card = VGroup(eyebrow, text).arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        card.to_corner(DOWN + LEFT, buff=self.safe_buff(0.08)).shift(UP * self.frame_height * 0.08)
        accent = Line(card.get_corner(UP + LEFT) + LEFT * 0.3, card.get_corner(DOWN + LEFT) + LEFT * 0.3,
                      color=self.palette.primary, stroke_width=8)
        self.add(scrim)
        self.play(Create(accent), FadeIn(card, shift=RIGHT * 0.4), run_time=self.budget(0.2))
