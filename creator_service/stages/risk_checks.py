"""The render's `compliance`: the five major-statement rules measured on the finished video,
then the script's content rules (risk_content) again, for the promotional types."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import major_statement as rules
from ..models import Animations, RuleResult, Script
from ..rendering.scene_chunks import EncodedScene, write_join_list
from ..sound import loudness
from .context import StageContext


@dataclass(frozen=True)
class Narration:
    """One scene's speech in video time, and whether it is the major statement."""

    start: float
    end: float
    words: int
    safety: bool


# How many pieces the motion measurement runs in, side by side. It is often the last thing a
# render waits for, after the join, with the cores free; past four, memory bounds it.
MOTION_PIECES = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class SafetyPicture:
    """The safety scenes' picture, measured: the text read on it and how much it moves."""

    readings: list[tuple[float, rules.TextReading | None]]
    motion: tuple[float, float]


def measure_frames(frames: list[rules.SafetyFrames], spans: list[rules.TextSpan]) -> SafetyPicture:
    """The text and motion rules' measurements of the safety windows' frames, side by side
    (numpy frees the GIL): the text read while the motion is measured in pieces."""
    with ThreadPoolExecutor(max_workers=MOTION_PIECES) as pool:
        reading = pool.submit(rules.text_readings, frames, spans)
        motion = rules.picture_motion(frames, [s.box for s in spans], pool=pool, pieces=MOTION_PIECES)
        return SafetyPicture(reading.result(), motion)


class SafetyPictureReader:
    """Measures the safety scenes' picture as soon as the last of them is encoded, while the
    render encodes the other scenes and joins them: the join copies each scene's chunks into
    the video unchanged, so their frames are the finished video's frames.

    `scene_encoded` is called from the encoding threads. The thread that encoded the last safety
    scene takes a process slot for the read before it takes one for another scene, and hands it
    to the read, which runs in `pool`: queued behind the other scenes, the read would wait for
    one of them to finish; run in the encoding thread, it would hold up the join."""

    def __init__(self, ctx: StageContext, scenes: dict[int, tuple[float, float]], first_frames: dict[int, int],
                 spans: list[rules.TextSpan], fps: int, pool: ThreadPoolExecutor) -> None:
        self._ctx, self._scenes, self._first, self._spans, self._fps = ctx, scenes, first_frames, spans, fps
        self._pool = pool
        self._pictures: dict[int, rules.Picture] = {}
        self._lock = threading.Lock()
        self._measured: Future[SafetyPicture] | None = None

    def scene_encoded(self, index: int, encoded: EncodedScene) -> None:
        if index not in self._scenes:
            return
        listing = write_join_list(encoded.chunks, self._fps, _work_dir(self._ctx) / f"scene{index}.ffconcat")
        with self._lock:
            self._pictures[index] = rules.Picture(listing, self._first[index], tuple(encoded.chunks))
            if len(self._pictures) < len(self._scenes):
                return
        slots = self._ctx.services.slots
        slots.acquire(self._ctx.cancel)
        try:
            self._measured = self._pool.submit(self._measure)
        except BaseException:
            slots.release()
            raise

    def _measure(self) -> SafetyPicture:
        """Read the frames under the slot handed over (`scene_encoded`), give it back, measure."""
        order = sorted(self._scenes)
        try:
            frames = rules.safety_frames([self._scenes[n] for n in order], [self._pictures[n] for n in order],
                                         self._fps, cancel=self._ctx.cancel, slots=None,
                                         work_dir=_work_dir(self._ctx))
        finally:
            self._ctx.services.slots.release()
        return measure_frames(frames, self._spans)

    def result(self) -> SafetyPicture:
        """The measurement, once every safety scene has been encoded and measured."""
        if self._measured is None:
            raise RuntimeError("the safety scenes were not all encoded")
        return self._measured.result()


def check_risk_presentation(ctx: StageContext, picture: SafetyPicture, voice_stem: Path, narration: list[Narration],
                            music_under_db: float | None, overlays: list[str]) -> list[RuleResult]:
    """The five major-statement rules, from the measured picture (`SafetyPictureReader`) and the
    voice stem, then the script's content rules."""
    safety = [(n.start, n.end) for n in narration if n.safety]
    rest = [(n.start, n.end) for n in narration if not n.safety]
    work = _work_dir(ctx)
    common: dict[str, Any] = {"cancel": ctx.cancel, "slots": ctx.services.slots}
    ctx.progress(0.98, "checking the safety information: text, motion, sound")
    with ThreadPoolExecutor(max_workers=1) as pool:
        rest_loud = pool.submit(_loudness, voice_stem, rest, work / "rest.log", common)
        safety_lufs = _loudness(voice_stem, safety, work / "safety.log", common)
        rest_lufs = rest_loud.result()
    seconds = {kind: sum(n.end - n.start for n in narration if n.safety is kind) for kind in (True, False)}
    words = {kind: sum(n.words for n in narration if n.safety is kind) for kind in (True, False)}
    found = [
        rules.dual_modality(picture.readings, safety),
        rules.readable_text(picture.readings),
        rules.no_distraction(music_under_db, picture.motion, overlays),
        rules.audio_parity(words[True], seconds[True], words[False], seconds[False], safety_lufs, rest_lufs),
        rules.fair_balance(seconds[True], seconds[False], ctx.services.settings.fair_balance_ratio),
    ]
    script = ctx.accepted.get("script")
    return found + (list(script.compliance) if isinstance(script, Script) else [])


def _work_dir(ctx: StageContext) -> Path:
    work = ctx.work_dir / "compliance"
    work.mkdir(exist_ok=True)
    return work


def _loudness(path: Path, windows: list[tuple[float, float]], log: Path, common: dict[str, Any]) -> float | None:
    if not windows:
        return None
    return loudness.measure_windows(path, windows, log_path=log, **common).integrated_lufs


def safety_overlays(ctx: StageContext, safety_scenes: set[int]) -> list[str]:
    """Lower thirds and callouts the Remotion types put on the safety scenes."""
    animations = ctx.accepted.get("animations")
    if not isinstance(animations, Animations):
        return []
    return [f"{kind} \"{item.get('text') or item.get('title')}\" on scene {item['scene'] + 1}"
            for kind, items in (("lower third", animations.lower_thirds), ("callout", animations.callouts))
            for item in items if item.get("scene") in safety_scenes]
