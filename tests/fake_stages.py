"""Instant stand-in stage handlers, so that rules about state, protocol and storage run the real
engine, store and socket in milliseconds. Nothing here renders; the real handlers have their own
(slower, marked) tests.

A test holds a stage running with `hold(stage)` and lets it finish with `release(stage)`, makes one
fail with `fail(stage)`, and reads `calls` to see which stage versions really ran.
"""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path

from creator_service.models import (
    Animations,
    Directives,
    FinalVideo,
    PlannedScene,
    SceneNarration,
    ScenePlan,
    SceneTiming,
    Script,
    StageOutput,
    Visuals,
    Voiceover,
)
from creator_service.processes import StageCancelled
from creator_service.settings import Settings
from creator_service.stages.context import StageContext, StageFailure
from creator_service.video_types import VIDEO_TYPES, VideoType

SCENES = 3
# How long the fake work ahead of the render runs unless cancelled.
AHEAD_SECONDS = 5.0


class FakeStages:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        # (stage, the scenes a per-scene regenerate asked for) for every run.
        self.runs: list[tuple[str, frozenset[int] | None]] = []
        # Each stage's `later_stages`, as its latest run was given them.
        self.later: dict[str, tuple[str, ...]] = {}
        self._held: dict[str, threading.Event] = {}
        self._failing: set[str] = set()
        self._lock = threading.Lock()
        # The render stage writes a real (tiny) MP4, a different colour per version, where a
        # test plays the videos (the studio's synced players).
        self.real_videos = False
        self.aheads: list[str] = []
        # The voice each work ahead was for (the fake voice names its version).
        self.ahead_voices: list[str] = []

    def hold(self, stage: str) -> None:
        with self._lock:
            self._held[stage] = threading.Event()

    def release(self, stage: str) -> None:
        with self._lock:
            event = self._held.pop(stage, None)
        if event is not None:
            event.set()

    def release_all(self) -> None:
        with self._lock:
            held, self._held = list(self._held.values()), {}
        for event in held:
            event.set()

    def fail(self, stage: str) -> None:
        self._failing.add(stage)

    def succeed(self, stage: str) -> None:
        self._failing.discard(stage)

    def registry(self, real: frozenset[str] = frozenset()) -> dict[str, VideoType]:
        """Every real video type, with these handlers in place of the real ones, except for the
        `real` stages (the planning stages are instant for real: no renderer runs)."""
        return {name: replace(vt, handlers={stage: vt.handlers[stage] if stage in real else self.handle
                                            for stage in vt.stage_order},
                              render_ahead=self.ahead if vt.render_ahead and "render" not in real else vt.render_ahead)
                for name, vt in VIDEO_TYPES.items()}

    def ahead(self, ctx: StageContext) -> None:
        """The render's work ahead, recorded: "started", then "cancelled" if it is stopped
        within AHEAD_SECONDS, else "finished"."""
        self.aheads.append("started")
        voice = ctx.accepted["tts"]
        assert isinstance(voice, Voiceover)
        self.ahead_voices.append(voice.voice)
        if ctx.cancel.wait(AHEAD_SECONDS):
            self.aheads.append("cancelled")
            raise StageCancelled()
        self.aheads.append("finished")

    def handle(self, ctx: StageContext) -> StageOutput:
        self.calls[ctx.stage] += 1
        self.runs.append((ctx.stage, ctx.scenes))
        self.later[ctx.stage] = ctx.later_stages
        with self._lock:
            held = self._held.get(ctx.stage)
        while held is not None and not held.is_set():
            if ctx.cancel.wait(0.02):
                raise StageCancelled()
        if ctx.stage in self._failing or "please fail" in (ctx.feedback or ""):
            raise StageFailure(f"the fake {ctx.stage} stage was told to fail")
        ctx.progress(1.0, "done")
        if ctx.stage == "render" and self.real_videos:
            return _render(ctx, real=True)
        return OUTPUTS[ctx.stage](ctx)


def _scenes(ctx: StageContext) -> ScenePlan:
    return ScenePlan(
        video_type=ctx.video_type, aspect_ratio="16:9", total_seconds=3.0 * SCENES, directives=Directives(),
        planner="fake", scenes=[PlannedScene(index=i, kind="title", title=f"Scene {i}", on_screen_text=f"Scene {i}",
                                             visual="a title", target_seconds=3.0) for i in range(SCENES)],
    )


def _script(ctx: StageContext) -> Script:
    text = f"Narration, version {ctx.version}" + (f" ({ctx.feedback})" if ctx.feedback else "")
    return Script(persona="fake", tone="fake", directives=Directives(), planner="fake", total_words=3 * SCENES,
                  estimated_seconds=3.0 * SCENES,
                  scenes=[SceneNarration(scene_index=i, kind="title", title=f"Scene {i}", text=text, word_count=3,
                                         estimated_seconds=3.0) for i in range(SCENES)])


def _visuals(ctx: StageContext) -> Visuals:
    return Visuals(quality="low", width=320, height=180, fps=15, aspect_ratio="16:9", palette="fake",
                   palette_colors={}, clips=[])


def _animations(ctx: StageContext) -> Animations:
    return Animations(clips=[], end_card=None, lower_thirds=[], callouts=[])


def _tts(ctx: StageContext) -> Voiceover:
    return Voiceover(engine="fake", voice=f"fake v{ctx.version}", sample_rate=22050, tracks=[], total_duration=9.0)


def _render(ctx: StageContext, real: bool = False) -> FinalVideo:
    # Not a video unless `real`: these handlers stand in for the renderers where no test looks at pixels.
    path = ctx.work_dir / "final.mp4"
    if real:
        colour = ("0x1A73E8", "0xE8711A", "0x1AE873", "0xE81A73")[ctx.version % 4]
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c={colour}:s=320x180:r=15:d=9",
                        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)], check=True)
    else:
        path.write_bytes(b"fake video " + str(ctx.version).encode())
    return FinalVideo(path=ctx.relative(path), duration=9.0, size_bytes=path.stat().st_size, width=320, height=180,
                      fps=15, video_codec="none", audio_codec="none",
                      scenes=[SceneTiming(scene_index=i, start=3.0 * i, duration=3.0) for i in range(SCENES)])


OUTPUTS = {"scenes": _scenes, "script": _script, "visuals": _visuals, "animations": _animations, "tts": _tts,
           "render": _render}


def fake_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for an in-process server; per-user limits as generous as for any test server."""
    generous = Settings(data_dir=data_dir, max_render_processes=2, max_jobs=2, videos_per_hour=100_000,
                        running_sessions_per_user=1000, actions_per_second=100_000.0)
    return replace(generous, **overrides)  # type: ignore[arg-type]
