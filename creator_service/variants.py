"""What a reviewer needs to choose between a branch's versions, per stage:

| stage | comparison |
|---|---|
| scenes, script | a word-level diff against the version under review, word counts and durations |
| visuals, animations | each version's thumbnails per scene |
| tts | durations and voice |
| render | each video's URL, duration and size |
"""

from __future__ import annotations

import difflib
from typing import Any

from .models import (
    Animations,
    FileUrls,
    FinalVideo,
    ScenePlan,
    Script,
    StageOutput,
    Visuals,
    Voiceover,
)


def words_of(output: StageOutput) -> list[str]:
    if isinstance(output, Script):
        return " ".join(scene.text for scene in output.scenes).split()
    if isinstance(output, ScenePlan):
        return " ".join(f"{s.title}. {s.on_screen_text}" for s in output.scenes).split()
    return []


def word_diff(base: list[str], variant: list[str]) -> list[dict[str, str]]:
    """The variant against the base, as runs: {"op": "equal"|"insert"|"delete"|"replace", ...}."""
    runs = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=base, b=variant, autojunk=False).get_opcodes():
        run = {"op": op}
        if op in ("equal", "delete", "replace"):
            run["base"] = " ".join(base[i1:i2])
        if op in ("insert", "replace"):
            run["variant"] = " ".join(variant[j1:j2])
        runs.append(run)
    return runs


def _seconds(output: StageOutput) -> float | None:
    if isinstance(output, Script):
        return output.estimated_seconds
    if isinstance(output, ScenePlan):
        return output.total_seconds
    return None


def describe(stage: str, output: StageOutput, base: StageOutput | None, urls: FileUrls) -> dict[str, Any]:
    if isinstance(output, (Script, ScenePlan)):
        words = words_of(output)
        entry: dict[str, Any] = {"word_count": len(words), "seconds": _seconds(output)}
        if base is not None:
            entry["diff"] = word_diff(words_of(base), words)
        return entry
    if isinstance(output, (Visuals, Animations)):
        return {"thumbnails": [{"scene_index": clip.scene_index, "thumbnail_url": urls(clip.thumbnail),
                                "url": urls(clip.path)} for clip in output.clips]}
    if isinstance(output, Voiceover):
        return {"engine": output.engine, "voice": output.voice, "total_duration": output.total_duration,
                "durations": [track.duration for track in output.tracks]}
    if isinstance(output, FinalVideo):
        return {"video_url": urls(output.path), "duration": output.duration, "size_bytes": output.size_bytes}
    return {}


def comparison(stage: str, base: tuple[int, StageOutput] | None,
               made: list[tuple[int, StageOutput | None, str | None]], urls: FileUrls) -> dict[str, Any]:
    base_output = base[1] if base else None
    versions: dict[str, Any] = {}
    if base is not None:
        versions[str(base[0])] = {"under_review": True, **describe(stage, base[1], None, urls)}
    for version, output, error in made:
        versions[str(version)] = ({"error": error} if output is None
                                  else describe(stage, output, base_output, urls))
    return {"base_version": base[0] if base else None, "versions": versions}
