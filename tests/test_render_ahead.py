"""The render's work ahead (stages/render.py `encode_ahead`) gives way at once: a reviewer who
accepts the voice the moment it is ready waits for the work ahead to stop before the render
starts. In-process, milliseconds: nothing is probed or encoded."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from creator_service.models import AudioTrack, Clip, ClipLayers, Visuals, Voiceover
from creator_service.processes import CancelToken, ProcessSlots, StageCancelled
from creator_service.rendering import scene_chunks
from creator_service.stages import render
from creator_service.stages.context import StageContext


def _visuals(clips: int) -> Visuals:
    return Visuals(
        quality="low", width=192, height=108, fps=10, aspect_ratio="16:9", palette="test", palette_colors={},
        clips=[Clip(scene_index=n, path=f"visuals/v1/clips/scene_{n:02d}.mp4", thumbnail="", duration=3.0,
                    width=192, height=108, fps=10, layers=ClipLayers(clip=f"visuals/v1/clips/scene_{n:02d}.mp4"))
               for n in range(clips)],
    )


def _voice(scenes: int) -> Voiceover:
    return Voiceover(engine="test", voice="test", sample_rate=22050, total_duration=3.0 * scenes, tracks=[
        AudioTrack(scene_index=n, path=f"tts/v1/scene_{n:02d}.wav", duration=3.0, sample_rate=22050, text="words")
        for n in range(scenes)])


def test_work_ahead_that_is_cancelled_stops_before_its_next_scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_probe(path: Path) -> object:
        raise AssertionError(f"{path.name} was probed after the work ahead was cancelled")

    monkeypatch.setattr(scene_chunks, "probe", no_probe)
    cancel = CancelToken()
    cancel.cancel()
    ctx = StageContext(
        video_id="vid_test", video_type="doctor_ad", brief=SimpleNamespace(music="none", captions="sidecar"),
        stage="render", version=0, video_dir=tmp_path, work_dir=tmp_path / "ahead", feedback=None, previous=None,
        accepted={"visuals": _visuals(5), "tts": _voice(5)}, progress=lambda fraction, detail: None, cancel=cancel,
        services=SimpleNamespace(settings=SimpleNamespace(music_dir=None, cache_dir=tmp_path, executor="local"),
                                 slots=ProcessSlots(2)),  # type: ignore[arg-type]
    )
    with pytest.raises(StageCancelled):
        render.encode_ahead(ctx)
