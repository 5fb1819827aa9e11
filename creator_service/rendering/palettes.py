"""Colour palettes for generated visuals, and what a reviewer can say to pick one."""

from __future__ import annotations

import re

from ..models import FeedbackReading

PALETTES: dict[str, dict[str, str]] = {
    "ocean": {
        "background": "#0B1F3A", "primary": "#19C3B1", "accent": "#FFB547",
        "warning": "#FF6B6B", "text": "#FFFFFF", "muted": "#9FB3C8",
    },
    "sunrise": {
        "background": "#2B1331", "primary": "#FF8A5B", "accent": "#FFD166",
        "warning": "#EF476F", "text": "#FFFFFF", "muted": "#C9A9C9",
    },
    "clinic": {
        "background": "#F4F7FA", "primary": "#1565C0", "accent": "#00897B",
        "warning": "#C62828", "text": "#12263A", "muted": "#5F7387",
    },
    "forest": {
        "background": "#10261C", "primary": "#5FD38D", "accent": "#F2C14E",
        "warning": "#F25F5C", "text": "#FFFFFF", "muted": "#A3BFAE",
    },
}
ORDER = list(PALETTES)

_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(warm(er)?|orange|sunny|energetic)\b", re.I), "sunrise"),
    (re.compile(r"\b(light(er)?|bright(er)?|white|clean|clinical)\b", re.I), "clinic"),
    (re.compile(r"\b(green|natural|calm(er)?|fresh)\b", re.I), "forest"),
    (re.compile(r"\b(dark(er)?|blue|cool(er)?|navy)\b", re.I), "ocean"),
)


def choose_palette(feedback: str | None, previous: str | None) -> tuple[str, FeedbackReading]:
    """First version: ocean. Regenerate: the palette the feedback names, else the next one."""
    if previous is None:
        return ORDER[0], FeedbackReading()
    for pattern, name in _WORDS:
        if feedback and pattern.search(feedback):
            return name, FeedbackReading(feedback=feedback, understood=[f"palette: {name}"])
    following = ORDER[(ORDER.index(previous) + 1) % len(ORDER)] if previous in ORDER else ORDER[0]
    notes = [] if not feedback else [
        "For visuals the built-in renderer understands colour words (warmer, lighter, green, "
        "darker); it moved to the next palette."
    ]
    return following, FeedbackReading(
        feedback=feedback, understood=[f"palette: {following} (next variation)"], notes=notes
    )
