"""Captions: the narration as timed text, for every video type.

One list of cues is built from the voice's word timings (`speech_timing` estimates them for
voices that do not report them). A cue holds at most two lines of at most 42 characters, ends
at a sentence's end or a pause, and starts when its first word is said. The cues are written as
WebVTT and SRT sidecars, and, when captions are burned, as ASS subtitles that ffmpeg's libass
draws over the picture, each word lighting up as it is spoken where the type asks for it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .formats import VideoFormat

FONT = "DejaVu Sans"
MAX_LINE_CHARS = 42
ASS_NEWLINE = "\\N"
SENTENCE_END = frozenset(".!?…。！？")
# A silence this long between words ends a cue.
PAUSE_SECONDS = 0.5
HOLD_SECONDS = 0.4
# Title-safe area: this share of the frame is kept clear on every side.
TITLE_SAFE_MARGIN = 0.1
# Burned captions move in steps of this share of the height to find a place clear of text.
CAPTION_STEP = 0.01
# The least room left between a moved cue and the scene's text, as a share of the height: a cue
# that merely touches a title reads as part of it.
TEXT_CLEARANCE = 0.01
# DejaVu Sans Bold's average advance, as a share of the font size (measured on English text).
AVERAGE_CHAR_WIDTH_EM = 0.62


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


def frame_edge(seconds: float, fps: int) -> float:
    """`seconds` moved to halfway between the two frames nearest it. A cue then shows from the
    frame nearest its time (at most half a frame off), and no frame falls within a few
    milliseconds of a cue's start or end, where ffmpeg's and libass's rounding could show or
    hide it a frame early or late: which frames a cue is on is a fact the render can count on
    when it reuses a held picture's chunks under it (scene_chunks.py)."""
    return max(0.0, (round(seconds * fps) - 0.5) / fps)


def _clean(word: str) -> str:
    # ASS reads braces and backslashes as commands.
    return re.sub(r"[{}\\]", "", word)


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


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    # Each word with when it is said, and the cue's lines (each a list of word positions).
    words: list[tuple[str, float, float]]
    lines: list[list[int]]

    def text(self) -> str:
        return "\n".join(join_words([self.words[i][0] for i in line]) for line in self.lines)


def _lines(words: list[str], max_chars: int) -> list[list[int]] | None:
    """The words as one line, or as two lines as even as can be; None when they do not fit."""
    if len(join_words(words)) <= max_chars:
        return [list(range(len(words)))]
    best: list[list[int]] | None = None
    for cut in range(1, len(words)):
        first, second = join_words(words[:cut]), join_words(words[cut:])
        if len(first) <= max_chars and len(second) <= max_chars:
            widest = max(len(first), len(second))
            if best is None or widest < max(len(join_words([words[i] for i in line])) for line in best):
                best = [list(range(cut)), list(range(cut, len(words)))]
    return best


# Scripts written without spaces between words whose characters are read one by one: Han
# (Chinese, Japanese kanji) and kana. Their captions light up character by character.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def unspaced(text: str) -> bool:
    return bool(text) and _UNSPACED.match(text) is not None


def join_words(words: list[str]) -> str:
    """Words as written: a space between two, but none next to a character of an unspaced
    script (a Chinese or Japanese sentence split into characters is written back as it was;
    as in Chinese and Japanese typesetting, a Latin word or a number beside them takes none)."""
    return "".join(word if n == 0 or unspaced(words[n - 1][-1:]) or unspaced(word[:1]) else " " + word
                   for n, word in enumerate(words))


def _pieces(timed: list[tuple[str, float, float]], max_chars: int) -> list[tuple[str, float, float]]:
    """Each word as a unit of the captions, with its time. A word with characters of an
    unspaced script (Chinese, Japanese arrive as one long "word" a sentence) is split into
    those characters, each with its share of the word's time by length, so that cues break
    anywhere between them and each lights up as it is said; other words longer than a line
    (Thai) are cut into line-sized pieces."""
    pieces: list[tuple[str, float, float]] = []
    for word, start, end in timed:
        if any(unspaced(char) for char in word):
            parts = _unspaced_parts(word)
        elif len(word) <= max_chars:
            pieces.append((word, start, end))
            continue
        else:
            parts = [word[first:first + max_chars] for first in range(0, len(word), max_chars)]
        share, clock = (end - start) / len(word), start
        for part in parts:
            pieces.append((part, clock, clock + len(part) * share))
            clock += len(part) * share
    return pieces


def _unspaced_parts(word: str) -> list[str]:
    """Each character of an unspaced script on its own; punctuation and runs of other
    characters (a Latin brand name, a number) stay with the character before them."""
    parts: list[str] = []
    for char in word:
        if unspaced(char) or not parts or unspaced(parts[-1][-1]) and char.isalnum():
            parts.append(char)
        else:
            parts[-1] += char
    return parts


def _cue(words: list[tuple[str, float, float]], max_chars: int) -> Cue:
    lines = _lines([w for w, _, _ in words], max_chars) or [list(range(len(words)))]
    return Cue(words[0][1], words[-1][2], words, lines)


def build_cues(spoken: list[Spoken], max_chars: int = MAX_LINE_CHARS) -> list[Cue]:
    """Cues of at most two lines of `max_chars`, each ending at a sentence end, a pause, or
    when the next word would not fit."""
    cues: list[Cue] = []
    for part in spoken:
        current: list[tuple[str, float, float]] = []
        for word, start, end in _pieces(_timed_words(part), max_chars):
            if current and (start - current[-1][2] > PAUSE_SECONDS
                            or _lines([w for w, _, _ in current] + [word], max_chars) is None):
                cues.append(_cue(current, max_chars))
                current = []
            current.append((word, start, end))
            if word[-1:] in SENTENCE_END:
                cues.append(_cue(current, max_chars))
                current = []
        if current:
            cues.append(_cue(current, max_chars))
    # A cue stays up a little after its last word, never into the next cue (times in ms).
    starts = [round(cue.start, 3) for cue in cues]
    held = []
    for number, cue in enumerate(cues):
        following = starts[number + 1] if number + 1 < len(cues) else None
        end = round(cue.end + HOLD_SECONDS, 3)
        if following is not None:
            end = min(max(round(cue.end, 3), following - 0.04), end, following)
        held.append(Cue(starts[number], round(end, 3), cue.words, cue.lines))
    return held


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def write_vtt(cues: list[Cue], path: Path, language: str = "en") -> Path:
    blocks = [f"WEBVTT\nLanguage: {language}\n"]
    for cue in cues:
        blocks.append(f"{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}\n{_plain(cue.text())}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def write_srt(cues: list[Cue], path: Path) -> Path:
    blocks = [
        f"{number}\n{_clock(cue.start, ',')} --> {_clock(cue.end, ',')}\n{_plain(cue.text())}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def _plain(text: str) -> str:
    # "-->" would end a WebVTT timing line early; "<" would open a tag.
    return text.replace("-->", "->").replace("<", "‹")


def burned_layout(fmt: VideoFormat) -> tuple[int, int, int]:
    """(font size, characters per line, bottom margin) for captions drawn on this format: large
    enough to read, and lines that fit inside the title-safe area at that size."""
    portrait = fmt.height > fmt.width
    # Glyphs from ascender to descender measure 0.75-0.85 of the size, by font: at 5 % of the
    # height they clear the 3.5 % the major statement's text needs (readable_text) in any font,
    # in portrait too, where lines then hold about 14 characters.
    size = round(fmt.height * 0.05)
    safe_width = fmt.width * (1 - 2 * TITLE_SAFE_MARGIN)
    per_line = min(MAX_LINE_CHARS, int(safe_width / (AVERAGE_CHAR_WIDTH_EM * size)))
    margin_v = round(fmt.height * (0.14 if portrait else TITLE_SAFE_MARGIN))
    return size, per_line, margin_v


@dataclass(frozen=True)
class SceneText:
    """Where a scene shows text, for burned captions to keep clear of: [left, top, right,
    bottom] boxes in frame fractions, from the renderer's layout data."""

    start: float
    end: float
    boxes: list[list[float]]


def caption_height(fmt: VideoFormat) -> float:
    """How much of the frame's height two lines of burned captions take, box included."""
    size = burned_layout(fmt)[0]
    return (2 * size * 1.25 + 2 * max(2, size // 5)) / fmt.height


def caption_band(fmt: VideoFormat, margin: float) -> list[float]:
    """The box two lines of captions occupy `margin` (a share of the height) above the bottom:
    [left, top, right, bottom], frame fractions, the full title-safe width."""
    bottom = 1 - margin
    return [TITLE_SAFE_MARGIN, bottom - caption_height(fmt), 1 - TITLE_SAFE_MARGIN, bottom]


def _overlap(a: list[float], b: list[float]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, width) * max(0.0, height)


def caption_margin(fmt: VideoFormat, boxes: list[list[float]]) -> float:
    """Where a cue goes (its margin above the bottom, as a share of the height): the usual
    place when the scene shows no text there, else the nearest place inside the title-safe
    area that is clear of all its text, else the place that covers the least."""
    usual = burned_layout(fmt)[2] / fmt.height
    highest = 1 - TITLE_SAFE_MARGIN - caption_height(fmt)
    steps = int((highest - TITLE_SAFE_MARGIN) / CAPTION_STEP) + 1
    places = sorted((TITLE_SAFE_MARGIN + n * CAPTION_STEP for n in range(steps)), key=lambda m: abs(m - usual))
    places.insert(0, usual)
    # The script says a margin in whole pixels: each place is judged where it will really be.
    lowest_px, highest_px = math.ceil(TITLE_SAFE_MARGIN * fmt.height), math.floor(highest * fmt.height)
    places = [min(max(round(m * fmt.height), lowest_px), highest_px) / fmt.height for m in places]
    clear = [[box[0], box[1] - TEXT_CLEARANCE, box[2], box[3] + TEXT_CLEARANCE] for box in boxes]
    covered = [(sum(_overlap(caption_band(fmt, m), box) for box in clear), m) for m in places]
    for amount, margin in covered:
        if amount == 0:
            return margin
    return min(covered)[1]


@dataclass(frozen=True)
class PlacedCue:
    """A burned cue and where it sits: its margin above the bottom, as a share of the height."""

    cue: Cue
    margin: float

    def box(self, fmt: VideoFormat) -> tuple[float, float, float, float]:
        """The cue's own lines and their backing, in frame fractions: [left, top, right, bottom]."""
        size = burned_layout(fmt)[0]
        bottom = 1 - self.margin
        tall = (len(self.cue.lines) * size * 1.25 + 2 * max(2, size // 5)) / fmt.height
        return (TITLE_SAFE_MARGIN, bottom - tall, 1 - TITLE_SAFE_MARGIN, bottom)


def placed_cues(spoken: list[Spoken], fmt: VideoFormat, *, scenes: list[SceneText] | None = None,
                only: list[tuple[float, float]] | None = None,
                gapless: list[tuple[float, float]] | None = None) -> list[PlacedCue]:
    """The cues burned over this format, each placed clear of its scene's text. `only`: just
    the cues that start inside these windows. `gapless` (the safety narration's windows): the
    cues there follow each other without a gap, so the major statement's text stays up from
    its first word to its last."""
    cues = build_cues(spoken, burned_layout(fmt)[1])
    if only is not None:
        cues = [cue for cue in cues if _window_of(cue.start, only) is not None]
    if gapless:
        joined = []
        for cue, following in zip(cues, [*cues[1:], None]):
            window = _window_of(cue.start, gapless)
            end = cue.end
            if following is not None and window is not None and _window_of(following.start, gapless) == window:
                end = following.start
            joined.append(Cue(cue.start, end, cue.words, cue.lines))
        cues = joined
    placed = []
    for cue in cues:
        # The text the cue's scene shows while the cue is up.
        boxes = [box for scene in scenes or [] if scene.start < cue.end and cue.start < scene.end
                 for box in scene.boxes]
        placed.append(PlacedCue(cue, caption_margin(fmt, boxes)))
    return placed


def _window_of(time: float, windows: list[tuple[float, float]]) -> int | None:
    return next((n for n, (start, end) in enumerate(windows) if start <= time < end), None)


def write_ass(spoken: list[Spoken], fmt: VideoFormat, palette: dict[str, str], path: Path,
              *, highlight: bool = True, font: str = FONT, scenes: list[SceneText] | None = None,
              only: list[tuple[float, float]] | None = None, gapless: list[tuple[float, float]] | None = None) -> Path:
    placed = placed_cues(spoken, fmt, scenes=scenes, only=only, gapless=gapless)
    return write_placed_ass(placed, fmt, palette, path, highlight=highlight, font=font)


def write_placed_ass(placed: list[PlacedCue], fmt: VideoFormat, palette: dict[str, str], path: Path,
                     *, highlight: bool = True, font: str = FONT) -> Path:
    """ASS subtitles for libass: cues already placed (`placed_cues`)."""
    size, _, margin_v = burned_layout(fmt)
    margin_h = round(fmt.width * TITLE_SAFE_MARGIN)
    # Highlighted words sweep from white to the accent; plain captions are white on a dark box.
    primary = _ass_colour(palette["accent"]) if highlight else _ass_colour("#FFFFFF")

    def style(name: str, alignment: int, margin: int) -> str:
        return (
            f"Style: {name},{font},{size},{primary},{_ass_colour('#FFFFFF')},"
            f"{_ass_colour('#000000', 0x50)},{_ass_colour('#000000', 0x50)},-1,0,0,0,100,100,0,0,3,"
            f"{max(2, size // 5)},0,{alignment},{margin_h},{margin_h},{margin},1"
        )

    lines = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {fmt.width}",
        f"PlayResY: {fmt.height}",
        "WrapStyle: 2",
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
        "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        style("Caption", 2, margin_v),
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    for cue_placed in placed:
        cue = cue_placed.cue
        rows = []
        for line in cue.lines:
            words = [cue.words[i][0] for i in line]
            if highlight:
                # Each word's karaoke tag goes right before it, after the space if there is one.
                spaced = join_words(words)
                tagged, at = [], 0
                for i, word in zip(line, words):
                    found = spaced.index(word, at)
                    tagged.append(spaced[at:found])
                    tagged.append(f"{{\\kf{max(1, round((cue.words[i][2] - cue.words[i][1]) * 100))}}}{word}")
                    at = found + len(word)
                rows.append("".join(tagged))
            else:
                rows.append(join_words(words))
        # Each cue's own bottom margin (the event's MarginV) keeps it clear of its scene's text.
        start, end = frame_edge(cue.start, fmt.fps), frame_edge(cue.end, fmt.fps)
        lines.append(f"Dialogue: 0,{_timestamp(start)},{_timestamp(end)},Caption,,"
                     f"0,0,{round(cue_placed.margin * fmt.height)},,{ASS_NEWLINE.join(rows)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ass_filter(path: Path, fonts_dir: Path | None = None) -> str:
    """libass over the picture; `fonts_dir` adds a folder of fonts (a brand kit's) to the system's."""
    def escape(value: Path) -> str:
        return str(value.resolve()).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")

    extra = f":fontsdir='{escape(fonts_dir)}'" if fonts_dir else ""
    return f"ass=filename='{escape(path)}'{extra}"
