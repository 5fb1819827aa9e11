"""The major statement of risks, checked on the finished video.

FDA's final rule on the major statement in DTC TV ads (21 CFR 202.1(e)(1), 88 FR 80958) asks
that it be understandable, shown in text while it is spoken (dual modality), easy to read, and
free of distractions. Each rule here turns one of those into measurements on the finished
picture (read from the chunks the MP4 is joined from, copied into it unchanged; a sample in a
still chunk, a held picture, is read from that chunk's first frame) and on the stems, and
reports `{"rule", "passed", "evidence"}` with the times and values it measured. They are aids
for reviewers, not a regulatory determination: the README says what each one can miss.

- `dual_modality`: frames sampled every half second across the safety narration show text in the
  place the captions put it, from no later than 0.5 s after the speech starts until it ends.
- `readable_text`: on those frames, the text's tallest line (ascender to descender) is at least
  3.5 % of the frame's height, and its weakest contrast with what is behind it is at least 4.5:1
  (WCAG).
- `no_distraction`: music at least 20 dB under the voice (measured on the stems); no cut and no
  fast movement in the picture (the mean change between frames a quarter second apart, outside
  the captions); no overlay (lower third, callout) on the safety scenes.
- `audio_parity`: the safety narration is no faster than the rest (words per second ≤ 1.1 ×) and
  within 2 LU of the rest's loudness (ffmpeg's ebur128 on the voice stem).
- `fair_balance`: the risk narration lasts at least `ratio` (0.3) of the benefit narration. This
  is a proxy: time is not the whole of fair balance.
"""

from __future__ import annotations

import bisect
import itertools
import math
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .models import RuleResult
from .processes import CancelToken, ChildProcessFailed, ProcessSlots
from .rendering.ffmpeg import input_args, probe, run_ffmpeg
from .rendering.scene_chunks import Chunk, write_join_list

MIN_TEXT_HEIGHT = 0.035
MIN_CONTRAST = 4.5
MAX_TEXT_DELAY = 0.5
SAMPLE_SECONDS = 0.5
# A pixel this many times brighter (or darker) than the caption's backing is part of a glyph.
GLYPH_CONTRAST = 3.0
MUSIC_UNDER_DB = 20.0
MAX_RATE_RATIO = 1.1
MAX_LOUDNESS_GAP_LU = 2.0
# Mean change (0-255 grey levels) between frames MOTION_SECONDS apart: above CUT_CHANGE is a
# cut; a mean above FAST_CHANGE is fast movement. Measured on our own safety scenes (text
# appearing, a slow pan) at 1-4, and on a cut between two stills at 40 or more.
MOTION_SECONDS = 0.25
CUT_CHANGE = 30.0
FAST_CHANGE = 8.0


@dataclass(frozen=True)
class TextSpan:
    """Where the safety text should be while it is up: seconds, and a [left, top, right,
    bottom] box in frame fractions (from the captions' layout)."""

    start: float
    end: float
    box: tuple[float, float, float, float]
    lines: int = 2


@dataclass(frozen=True)
class TextReading:
    height: float   # the tallest line's glyphs, as a share of the frame's height
    contrast: float  # WCAG contrast between the glyphs and what is right behind them


@dataclass(frozen=True)
class SafetyFrames:
    """The finished video's picture across one safety narration window: RGB frames
    (count, height, width, 3), one every MOTION_SECONDS from `start`."""

    start: float
    frames: np.ndarray


@dataclass(frozen=True)
class Picture:
    """Where a stretch of the finished video's picture is read: the video itself, or an ffconcat
    script of the chunks the final cut joins by stream copy (rendering/scene_chunks.py), whose
    frames are the video's frames, bit for bit; and the video's frame number it starts on.
    `chunks`: the chunks that script lists. A still one (a held picture, every frame the same)
    is read from its key frame alone: decoding a major statement's held stretches frame by
    frame cost more than encoding them (`_frames_of_chunks`)."""

    source: Path
    first_frame: int = 0
    chunks: tuple[Chunk, ...] = ()


# The text rules read every other of those frames, from MAX_TEXT_DELAY on: one read of the
# window serves the motion rule and the text rules.
_TEXT_FIRST = round(MAX_TEXT_DELAY / MOTION_SECONDS)
_TEXT_STRIDE = round(SAMPLE_SECONDS / MOTION_SECONDS)
assert _TEXT_FIRST * MOTION_SECONDS == MAX_TEXT_DELAY and _TEXT_STRIDE * MOTION_SECONDS == SAMPLE_SECONDS


def sampled_frames(start: float, end: float, fps: int) -> list[int]:
    """The video's frames a window from `start` to `end` seconds is measured on: the frame on
    screen every MOTION_SECONDS from `start`, while before `end` (at least one)."""
    count = max(1, math.ceil(round((end - start) / MOTION_SECONDS, 6)))
    # Frame k is on screen from k / fps to (k + 1) / fps; the nudge keeps float error from
    # taking a moment that falls on a frame's first instant for the frame before.
    return [math.floor((start + k * MOTION_SECONDS) * fps + 1e-6) for k in range(count)]


def safety_frames(windows: list[tuple[float, float]], pictures: list[Picture], fps: int, *, cancel: CancelToken,
                  slots: ProcessSlots | None, work_dir: Path) -> list[SafetyFrames]:
    """Each safety narration window's sampled frames (`sampled_frames`), read from the picture
    that holds it (`slots=None`: under a slot the caller holds), decoded once (a window of
    1080p is about 550 frames to decode: reading it once for both kinds of rule halves the
    decoding)."""
    if len(pictures) != len(windows):
        raise ValueError(f"{len(windows)} safety window(s) but {len(pictures)} picture(s) to read them from")
    return [SafetyFrames(start, _frames(picture, sampled_frames(start, end, fps), fps, cancel=cancel, slots=slots,
                                        work_dir=work_dir, name=f"safety{number}"))
            for number, ((start, end), picture) in enumerate(zip(windows, pictures))]


def _frames(picture: Picture, frames: list[int], fps: int, *, cancel: CancelToken, slots: ProcessSlots | None,
            work_dir: Path, name: str) -> np.ndarray:
    """The video's `frames`, read from `picture`, as one RGB array (count, height, width, 3)."""
    wanted = [frame - picture.first_frame for frame in frames]
    if wanted[0] < 0:
        raise ValueError(f"frame {frames[0]} comes before {picture.source.name}, which starts at "
                         f"frame {picture.first_frame}")
    how = {"cancel": cancel, "slots": slots, "work_dir": work_dir}
    if any(chunk.still for chunk in picture.chunks):
        return _frames_of_chunks(list(picture.chunks), wanted, fps, name=name, **how)  # type: ignore[arg-type]
    width, height = _probe_size(picture.source)
    data = _decode(picture.source, wanted, width, height, name=name, **how)  # type: ignore[arg-type]
    if len(data) != len(wanted):
        raise ChildProcessFailed(f"read {len(data)} of the {len(wanted)} frames sampled from {picture.source.name} "
                                 f"(frames {frames[0]}-{frames[-1]} of the video)")
    return data


def _frames_of_chunks(chunks: list[Chunk], wanted: list[int], fps: int, *, cancel: CancelToken,
                      slots: ProcessSlots | None, work_dir: Path, name: str) -> np.ndarray:
    """Frames `wanted` (counted from the first chunk's first frame) of the chunks joined: those
    in moving chunks decoded from those chunks alone, those in still chunks from each still
    file's key frame, its first frame, once (a chunk starts on a key frame, and a still one has
    no other: checked, by the count)."""
    starts = list(itertools.accumulate((chunk.frames for chunk in chunks), initial=0))
    places = []
    for frame in wanted:
        number = bisect.bisect_right(starts, frame) - 1
        if number >= len(chunks):
            raise ValueError(f"frame {frame} is past the {starts[-1]} frames of the chunks")
        places.append((number, frame - starts[number]))
    moving = sorted({number for number, _ in places if not chunks[number].still})
    stills = list({chunks[number].path: chunks[number] for number, _ in places if chunks[number].still}.values())
    # Where each moving chunk starts in a join of the moving chunks alone.
    moving_from = dict(zip(moving, itertools.accumulate((chunks[n].frames for n in moving), initial=0)))
    in_moving = [moving_from[number] + at for number, at in places if number in moving_from]
    how = {"cancel": cancel, "slots": slots, "work_dir": work_dir}
    width, height = _probe_size(chunks[places[0][0]].path)
    empty = np.zeros((0, height, width, 3), dtype=np.uint8)
    moving_frames = still_frames = empty
    if moving:
        listing = write_join_list([chunks[n] for n in moving], fps, work_dir / f"{name}.moving.ffconcat")
        moving_frames = _decode(listing, in_moving, width, height, name=f"{name}.moving", **how)  # type: ignore[arg-type]
    if stills:
        listing = write_join_list(stills, fps, work_dir / f"{name}.stills.ffconcat")
        still_frames = _decode(listing, None, width, height, name=f"{name}.stills", **how)  # type: ignore[arg-type]
    if len(moving_frames) != len(in_moving) or len(still_frames) != len(stills):
        raise ChildProcessFailed(f"read {len(moving_frames)} of {len(in_moving)} frames sampled from moving chunks "
                                 f"and {len(still_frames)} key frames of {len(stills)} still chunk(s)")
    picked, next_moving = [], iter(moving_frames)
    for number, _ in places:
        picked.append(still_frames[stills.index(chunks[number])] if chunks[number].still else next(next_moving))
    return np.stack(picked)


def _decode(source: Path, chosen: list[int] | None, width: int, height: int, *, cancel: CancelToken,
            slots: ProcessSlots | None, work_dir: Path, name: str) -> np.ndarray:
    """Frames `chosen` (by number, from 0) of `source`, or with None its key frames alone, as
    one RGB array (count, height, width, 3)."""
    raw = work_dir / f"{name}.rgb"
    if chosen is None:
        reading = ["-skip_frame", "nokey", *input_args(source), "-an"]
    else:
        # Picked by number as they are decoded: no seek, whose landing differs between demuxers.
        picked = "+".join(f"eq(n,{frame})" for frame in chosen)
        reading = [*input_args(source), "-an", "-vf", f"select='{picked}'", "-frames:v", str(len(chosen))]
    run_ffmpeg([*reading, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", str(raw)],
               cancel=cancel, slots=slots, log_path=work_dir / f"{name}.log", what=f"reading frames ({name})")
    size, frame = raw.stat().st_size, width * height * 3
    try:
        if size % frame:
            raise ChildProcessFailed(f"reading frames ({name}) wrote {size} bytes, not whole {width}x{height} frames")
        if size == 0:
            return np.zeros((0, height, width, 3), dtype=np.uint8)
        # Mapped, not read in: the frames (a 1080p window is about 90 of them, 550 MB) stay in
        # the page cache ffmpeg just wrote them to, rather than being copied into the server's
        # own memory, which took 0.4 s of a product_ad render's CPU. Unlinked at once (below):
        # the mapping keeps the file's pages until the array goes. Read-only: the rules only look.
        return np.memmap(raw, dtype=np.uint8, mode="r", shape=(size // frame, height, width, 3))
    finally:
        raw.unlink(missing_ok=True)


def _probe_size(video: Path) -> tuple[int, int]:
    info = probe(video)
    if not info.width or not info.height:
        raise ValueError(f"{video.name} has no picture to read")
    return info.width, info.height


def _linear(c: np.ndarray) -> np.ndarray:
    """sRGB components (0-1) to linear light, as WCAG 2 defines it."""
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


# Every 8-bit component's linear value, worked out once: a frame's pixels are looked up, not
# raised to the power 2.4 one by one (the same numbers, several times faster).
_LINEAR_OF_BYTE = _linear(np.arange(256, dtype=np.float64) / 255.0)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB pixels (0-255)."""
    linear = _LINEAR_OF_BYTE[rgb] if rgb.dtype == np.uint8 else _linear(rgb.astype(np.float64) / 255.0)
    return linear[..., 0] * 0.2126 + linear[..., 1] * 0.7152 + linear[..., 2] * 0.0722


def contrast_ratio(a: float, b: float) -> float:
    high, low = max(a, b), min(a, b)
    return (high + 0.05) / (low + 0.05)


def read_text(frame: np.ndarray, box: tuple[float, float, float, float], lines: int = 2) -> TextReading | None:
    """The text in `box` of a frame (a caption's `lines` lines), or None when there is none.

    The box's middle fifth across is surely glyphs on their backing, and the backing is most of
    it: its median is the backing's luminance, and a glyph pixel is one at least GLYPH_CONTRAST
    from it (white and highlighted words alike). Across the middle three fifths, a row is text
    when it crosses at least two narrow strokes (a plain picture, or the backing's edge, has
    none); a line is a run of such rows, grown by the rows above and below with one stroke (the
    ascenders and descenders, and crossbars), and measured from top to bottom."""
    height, width = frame.shape[:2]
    left, top, right, bottom = box
    middle, span = (left + right) / 2, (right - left)
    rows_slice = slice(int(top * height), int(np.ceil(bottom * height)))
    core = relative_luminance(
        frame[rows_slice, int((middle - span / 10) * width):int(np.ceil((middle + span / 10) * width))])
    wide = relative_luminance(
        frame[rows_slice, int((middle - span * 0.3) * width):int(np.ceil((middle + span * 0.3) * width))])
    if core.size == 0:
        return None
    backing = float(np.median(core))
    dark_backing = backing < 0.18

    def glyphs_of(luminance: np.ndarray) -> np.ndarray:
        if dark_backing:
            return (luminance + 0.05) >= GLYPH_CONTRAST * (backing + 0.05)
        return (backing + 0.05) >= GLYPH_CONTRAST * (luminance + 0.05)

    core_glyphs = glyphs_of(core)
    if not 0.01 <= float(core_glyphs.mean()) <= 0.45:
        return None
    glyphs = glyphs_of(wide)
    em = (rows_slice.stop - rows_slice.start) / (1.25 * lines + 0.4)
    rows, widths = _runs(glyphs)
    strokes = _per_row(rows, widths <= max(2.0, em * 0.3), len(glyphs))
    # Rows of crossbars and joined tops (wide runs) carry a line on, but never start one.
    marked = _per_row(rows, widths <= max(2.0, em * 2), len(glyphs))
    text_rows = np.flatnonzero(_grow(strokes >= 2, marked >= 1))
    if text_rows.size < 3:
        return None
    runs = np.split(text_rows, np.flatnonzero(np.diff(text_rows) > 1) + 1)
    tallest = max(run[-1] - run[0] + 1 for run in runs)
    # The glyphs' own colour is their brightest tenth (the rest is anti-aliased edge).
    contrast = contrast_ratio(float(np.percentile(core[core_glyphs], 90)), backing)
    return TextReading(height=tallest / height, contrast=round(contrast, 2))


def _grow(seeds: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """`seeds`, extended up and down through contiguous `allowed` rows."""
    grown = seeds.copy()
    for order in (range(1, len(seeds)), range(len(seeds) - 2, -1, -1)):
        step = -1 if order.step == 1 else 1
        for row in order:
            if not grown[row] and allowed[row] and grown[row + step]:
                grown[row] = True
    return grown


def _runs(glyphs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every run of glyph pixels along the rows of `glyphs`: its row and its width. All rows at
    once: nonzero lists a row's run starts, and its run ends, left to right, so the n-th start
    and the n-th end are one run's."""
    padded = np.zeros((glyphs.shape[0], glyphs.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = glyphs
    steps = np.diff(padded, axis=1)
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    return rows, ends - starts


def _per_row(rows: np.ndarray, chosen: np.ndarray, count: int) -> np.ndarray:
    """How many of the chosen runs each of `count` rows has."""
    return np.bincount(rows[chosen], minlength=count)


def text_readings(windows: list[SafetyFrames], spans: list[TextSpan]) -> list[tuple[float, TextReading | None]]:
    """The text read every SAMPLE_SECONDS across each safety narration window, from MAX_TEXT_DELAY
    after its speech starts to just before it ends."""
    readings: list[tuple[float, TextReading | None]] = []
    for window in windows:
        for index in range(_TEXT_FIRST, len(window.frames), _TEXT_STRIDE):
            at = window.start + index * MOTION_SECONDS
            span = next((s for s in spans if s.start <= at < s.end), None)
            readings.append((round(at, 2), read_text(window.frames[index], span.box, span.lines) if span else None))
    return readings


def dual_modality(readings: list[tuple[float, TextReading | None]], windows: list[tuple[float, float]]) -> RuleResult:
    missing = [at for at, reading in readings if reading is None]
    passed = bool(readings) and not missing
    summary = (f"text is on screen at all {len(readings)} sampled moments of the safety narration" if passed else
               "no safety narration to check" if not readings else
               f"no text on screen at {len(missing)} of {len(readings)} moments of the safety narration "
               f"(first at {missing[0]:.2f} s)")
    return RuleResult(rule="dual_modality", passed=passed, evidence={
        "summary": summary, "audio": [[round(a, 2), round(b, 2)] for a, b in windows],
        "samples": len(readings), "text_missing_at": missing[:20], "max_delay_seconds": MAX_TEXT_DELAY})


def readable_text(readings: list[tuple[float, TextReading | None]]) -> RuleResult:
    seen = [r for _, r in readings if r is not None]
    if not seen:
        return RuleResult(rule="readable_text", passed=False,
                          evidence={"summary": "no safety text was found on screen to measure"})
    # The text's size is its tallest line, ascender to descender (a line without either reads
    # shorter, though its letters are the same size); its contrast is the weakest seen.
    height = max(r.height for r in seen)
    contrast = min(r.contrast for r in seen)
    passed = height >= MIN_TEXT_HEIGHT and contrast >= MIN_CONTRAST
    summary = (f"text {height:.1%} of the height (≥ {MIN_TEXT_HEIGHT:.1%}), contrast {contrast}:1 "
               f"(≥ {MIN_CONTRAST}:1)")
    return RuleResult(rule="readable_text", passed=passed, evidence={
        "summary": summary if passed else f"too hard to read: {summary}", "min_height": round(height, 4),
        "min_contrast": contrast, "samples": len(seen)})


def picture_motion(windows: list[SafetyFrames], exclude: list[tuple[float, float, float, float]], *,
                   pool: Executor | None = None, pieces: int = 1) -> tuple[float, float]:
    """(largest, mean) change between frames MOTION_SECONDS apart across the windows, in grey
    levels, outside the `exclude` boxes (the captions, whose words change by design).

    With `pool`, each window is measured in `pieces` runs of consecutive frames side by side
    (numpy frees the GIL), each piece ending on the frame the next one starts on: the same
    changes, in a fraction of the time (a render's check often waits for this last)."""
    runs = [window.frames[first:last + 1] for window in windows
            for first, last in _pieces(len(window.frames), pieces if pool else 1)]
    measured = (pool.map if pool else map)(lambda run: frame_changes(run, exclude), runs)
    changes = [change for run in measured for change in run]
    if not changes:
        return 0.0, 0.0
    return round(max(changes), 2), round(float(np.mean(changes)), 2)


def _pieces(count: int, pieces: int) -> list[tuple[int, int]]:
    """(first, last) frame of each of about `pieces` runs over `count` frames, sharing their
    ends, so that every consecutive pair falls in exactly one run."""
    pairs = count - 1
    if pairs < 1:
        return []
    pieces = max(1, min(pieces, pairs))
    ends = [round(pairs * n / pieces) for n in range(pieces + 1)]
    return list(zip(ends, ends[1:]))


def frame_changes(frames: np.ndarray, exclude: list[tuple[float, float, float, float]]) -> list[float]:
    """The change from each of `frames` to the next, in grey levels, outside the `exclude` boxes."""
    count, height, width = frames.shape[:3]
    keep = np.ones((height, width), dtype=bool)
    for left, top, right, bottom in exclude:
        keep[int(top * height):int(np.ceil(bottom * height)), int(left * width):int(np.ceil(right * width))] = False
    kept = int(np.count_nonzero(keep))
    if count < 2 or not kept:
        return []
    # Each pixel's grey level (the mean of R, G and B) times three, in integers: the same
    # changes as in floats, about ten times faster on a window of 1080p frames. Summed where
    # kept rather than gathered first: the same sum, without copying the pixels. A frame at a
    # time: the whole window's grey levels at once held some 350 MB more of the server's memory.
    def tripled(frame: np.ndarray) -> np.ndarray:
        return frame[..., 0].astype(np.int16) + frame[..., 1] + frame[..., 2]

    changes, before = [], tripled(frames[0])
    for frame in frames[1:]:
        after = tripled(frame)
        changes.append(float(np.sum(np.abs(after - before), where=keep, dtype=np.int64)) / kept / 3)
        before = after
    return changes


def no_distraction(music_under_db: float | None, motion: tuple[float, float], overlays: list[str]) -> RuleResult:
    problems = []
    if music_under_db is not None and music_under_db < MUSIC_UNDER_DB:
        problems.append(f"the music is only {music_under_db} dB under the voice (≥ {MUSIC_UNDER_DB:.0f} dB)")
    largest, mean = motion
    if largest >= CUT_CHANGE:
        problems.append(f"the picture cuts (a change of {largest} grey levels)")
    elif mean >= FAST_CHANGE:
        problems.append(f"the picture moves fast (mean change {mean} grey levels)")
    if overlays:
        problems.append(f"other text overlays appear: {', '.join(overlays)}")
    summary = "; ".join(problems) or "no music within 20 dB of the voice, no cut, no fast movement, no other overlay"
    return RuleResult(rule="no_distraction", passed=not problems, evidence={
        "summary": summary, "music_under_voice_db": music_under_db, "largest_change": largest,
        "mean_change": mean, "overlays": overlays, "cut_at": CUT_CHANGE, "fast_at": FAST_CHANGE})


def audio_parity(safety_words: int, safety_seconds: float, rest_words: int, rest_seconds: float,
                 safety_lufs: float | None, rest_lufs: float | None) -> RuleResult:
    safety_rate = safety_words / safety_seconds if safety_seconds else 0.0
    rest_rate = rest_words / rest_seconds if rest_seconds else 0.0
    problems = []
    if rest_rate and safety_rate > MAX_RATE_RATIO * rest_rate:
        problems.append(f"the safety narration is faster: {safety_rate:.2f} words/s against {rest_rate:.2f}")
    gap = None if safety_lufs is None or rest_lufs is None else round(abs(safety_lufs - rest_lufs), 2)
    if gap is None:
        problems.append("the loudness could not be measured")
    elif gap > MAX_LOUDNESS_GAP_LU:
        problems.append(f"its loudness is {gap} LU from the rest's (≤ {MAX_LOUDNESS_GAP_LU:.0f} LU)")
    summary = "; ".join(problems) or (f"{safety_rate:.2f} words/s against {rest_rate:.2f}, "
                                      f"{gap} LU from the rest's loudness")
    return RuleResult(rule="audio_parity", passed=not problems, evidence={
        "summary": summary, "safety_words_per_second": round(safety_rate, 2),
        "rest_words_per_second": round(rest_rate, 2), "safety_lufs": safety_lufs, "rest_lufs": rest_lufs,
        "loudness_gap_lu": gap})


def fair_balance(risk_seconds: float, benefit_seconds: float, ratio: float) -> RuleResult:
    share = risk_seconds / benefit_seconds if benefit_seconds else 0.0
    passed = risk_seconds > 0 and share >= ratio
    summary = (f"the risk narration lasts {risk_seconds:.1f} s, {share:.0%} of the benefit narration's "
               f"{benefit_seconds:.1f} s (at least {ratio:.0%})")
    return RuleResult(rule="fair_balance", passed=passed, evidence={
        "summary": summary if passed else f"too little risk narration: {summary}",
        "risk_seconds": round(risk_seconds, 2), "benefit_seconds": round(benefit_seconds, 2),
        "ratio": round(share, 3), "required_ratio": ratio, "proxy": True})
