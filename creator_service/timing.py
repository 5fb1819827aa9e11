"""How long things take to say, shared by the planner (estimates) and the renderer (cuts)."""

from __future__ import annotations

# Piper's bundled voice, slowed slightly for clarity, speaks about 2.8 words a second.
WORDS_PER_SECOND = 2.8
# Silence around each scene's narration: a breath before, a beat after.
LEAD_IN_SECONDS = 0.3
TAIL_SECONDS = 0.5
SCENE_PADDING_SECONDS = LEAD_IN_SECONDS + TAIL_SECONDS


def estimate_seconds(words: int) -> float:
    """A scene's length: its narration at the voice's pace, plus the pauses around it."""
    return round(words / WORDS_PER_SECOND + SCENE_PADDING_SECONDS, 2)
