"""The render's `compliance`: the five major-statement rules measured on the finished video,
then the script's content rules (risk_content) again, for the promotional types."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import major_statement as rules
from ..models import Animations, RuleResult, Script
from ..sound import loudness
from .context import StageContext


@dataclass(frozen=True)
class Narration:
    """One scene's speech in video time, and whether it is the major statement."""

    start: float
    end: float
    words: int
    safety: bool


def check_risk_presentation(ctx: StageContext, video: Path, voice_stem: Path, narration: list[Narration],
                            spans: list[rules.TextSpan], music_under_db: float | None,
                            overlays: list[str]) -> list[RuleResult]:
    safety = [(n.start, n.end) for n in narration if n.safety]
    rest = [(n.start, n.end) for n in narration if not n.safety]
    work = ctx.work_dir / "compliance"
    work.mkdir(exist_ok=True)
    common: dict[str, Any] = {"cancel": ctx.cancel, "slots": ctx.services.slots}
    ctx.progress(0.98, "checking the safety information: text, motion, sound")
    # The two loudness readings run beside the one read of the safety windows' frames; the
    # text and motion rules then measure those frames side by side (numpy frees the GIL).
    with ThreadPoolExecutor(max_workers=2) as pool:
        safety_loud = pool.submit(_loudness, voice_stem, safety, work / "safety.log", common)
        rest_loud = pool.submit(_loudness, voice_stem, rest, work / "rest.log", common)
        frames = rules.safety_frames(video, safety, work_dir=work, **common)
        moving = pool.submit(rules.picture_motion, frames, [s.box for s in spans])
        readings = rules.text_readings(frames, spans)
        motion, safety_lufs, rest_lufs = moving.result(), safety_loud.result(), rest_loud.result()
    seconds = {kind: sum(n.end - n.start for n in narration if n.safety is kind) for kind in (True, False)}
    words = {kind: sum(n.words for n in narration if n.safety is kind) for kind in (True, False)}
    found = [
        rules.dual_modality(readings, safety),
        rules.readable_text(readings),
        rules.no_distraction(music_under_db, motion, overlays),
        rules.audio_parity(words[True], seconds[True], words[False], seconds[False], safety_lufs, rest_lufs),
        rules.fair_balance(seconds[True], seconds[False], ctx.services.settings.fair_balance_ratio),
    ]
    script = ctx.accepted.get("script")
    return found + (list(script.compliance) if isinstance(script, Script) else [])


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
