"""Kinetic captions: the narration on screen, each word lighting up as it is spoken.

Written as ASS subtitles (karaoke timing) and burned in by ffmpeg's libass at render time, when
the voice's real timing is known. Within a scene, words are timed in proportion to their length
across the scene's spoken audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .formats import VideoFormat

FONT = "DejaVu Sans"


@dataclass(frozen=True)
class Spoken:
    """One scene's narration: when its speech starts, how long it lasts, what it says, and,
    when the voice reported them, when each word is said (seconds from the speech's start)."""

    start: float
    duration: float
    text: str
    words: list[tuple[str, float, float]] = field(default_factory=list)


def _ass_colour(hex_colour: str, alpha: int = 0) -> str:
    value = hex_colour.lstrip("#")
    red, green, blue = value[0:2], value[2:4], value[4:6]
    return f"&H{alpha:02X}{blue}{green}{red}".upper()


def _timestamp(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6_000)
    secs, cs = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{cs:02d}"


def _clean(word: str) -> str:
    # ASS reads braces and backslashes as commands.
    return re.sub(r"[{}\\]", "", word)


def caption_events(spoken: list[Spoken], words_per_line: int) -> list[tuple[float, float, str]]:
    """(start, end, karaoke text) for each caption line."""
    events: list[tuple[float, float, str]] = []
    for part in spoken:
        timed = _timed_words(part)
        for first in range(0, len(timed), words_per_line):
            chunk = timed[first:first + words_per_line]
            pieces = [f"{{\\kf{max(1, round((end - start) * 100))}}}{word}" for word, start, end in chunk]
            events.append((chunk[0][1], chunk[-1][2], " ".join(pieces)))
    return events


def _timed_words(part: Spoken) -> list[tuple[str, float, float]]:
    """(word, start, end) in video time: the voice's own timings, or, without them, the
    speech's length shared out in proportion to each word's length."""
    if part.words:
        timed = []
        for number, (word, start, end) in enumerate(part.words):
            # A word lights until the next one starts, so the sweep never pauses mid-line.
            following = part.words[number + 1][1] if number + 1 < len(part.words) else end
            if _clean(word):
                timed.append((_clean(word), part.start + start, part.start + max(end, following)))
        return timed
    words = [_clean(w) for w in part.text.split() if _clean(w)]
    if not words or part.duration <= 0:
        return []
    weights = [len(w) + 2 for w in words]
    per_weight = part.duration / sum(weights)
    timed, clock = [], part.start
    for word, weight in zip(words, weights):
        timed.append((word, clock, clock + weight * per_weight))
        clock += weight * per_weight
    return timed


def write_ass(spoken: list[Spoken], fmt: VideoFormat, palette: dict[str, str], path: Path) -> Path:
    portrait = fmt.height > fmt.width
    size = round(fmt.height * (0.034 if portrait else 0.05))
    margin_v = round(fmt.height * (0.16 if portrait else 0.1))
    margin_h = round(fmt.width * 0.08)
    style = (
        f"Style: Caption,{FONT},{size},{_ass_colour(palette['accent'])},{_ass_colour('#FFFFFF')},"
        f"{_ass_colour(palette['background'], 0x40)},{_ass_colour('#000000', 0x80)},-1,0,0,0,100,100,0,0,3,"
        f"{max(2, size // 5)},0,2,{margin_h},{margin_h},{margin_v},1"
    )
    lines = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {fmt.width}",
        f"PlayResY: {fmt.height}",
        "WrapStyle: 0",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
        "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        style,
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    for start, end, text in caption_events(spoken, 4 if portrait else 7):
        lines.append(f"Dialogue: 0,{_timestamp(start)},{_timestamp(end)},Caption,,0,0,0,,{text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ass_filter(path: Path) -> str:
    escaped = str(path.resolve()).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")
    return f"ass=filename='{escaped}'"
