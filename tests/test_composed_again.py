"""Which scenes a later stage composes again, so that a stage makes only a quick preview of them
instead of final chunks that would be thrown away (creator_service/stages/composed_again.py).
In-process, milliseconds: the rules read only the stage's context."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from creator_service.models import Directives, PlannedScene, ScenePlan
from creator_service.processes import CancelToken
from creator_service.stages.composed_again import captions_burned_over, composed_again, safety_scenes
from creator_service.stages.context import StageContext

KINDS = ["title", "benefit", "safety", "cta"]  # scene 2 is the safety information


def context(video_type: str, stage: str, later: tuple[str, ...], captions: str = "sidecar") -> StageContext:
    plan = ScenePlan(
        video_type=video_type, aspect_ratio="16:9", total_seconds=12.0, directives=Directives(), planner="test",
        scenes=[PlannedScene(index=i, kind=kind, title=kind, on_screen_text=kind, visual="", target_seconds=3.0)
                for i, kind in enumerate(KINDS)],
    )
    return StageContext(
        video_id="vid_test", video_type=video_type, brief=SimpleNamespace(captions=captions), stage=stage,
        version=1, video_dir=Path("/nonexistent"), work_dir=Path("/nonexistent"), feedback=None, previous=None,
        accepted={"scenes": plan}, progress=lambda fraction, detail: None, cancel=CancelToken(),
        services=None,  # type: ignore[arg-type]  # the rules never reach for services
        later_stages=later,
    )


def composed_again_scenes(ctx: StageContext) -> list[int]:
    return [index for index in range(len(KINDS)) if composed_again(ctx, index)]


def test_the_visuals_of_a_remotion_type_are_composed_again_when_animations_follow() -> None:
    assert composed_again_scenes(context("compliance_video", "visuals", ("animations", "tts", "render"))) == [0, 1, 2, 3]
    # Left out of the order: the visuals' chunks are the final ones.
    assert composed_again_scenes(context("compliance_video", "visuals", ("tts", "render"))) == []


def test_the_animations_stage_keeps_final_chunks_except_where_the_render_burns_captions() -> None:
    assert composed_again_scenes(context("compliance_video", "animations", ("tts", "render"))) == []
    # A promotional video's major statement is burned over its safety scene.
    assert composed_again_scenes(context("product_ad", "animations", ("tts", "render"))) == [2]


@pytest.mark.parametrize("video_type", ["compliance_video", "moa", "product_ad"])
def test_burned_captions_make_every_scene_composed_again(video_type: str) -> None:
    ctx = context(video_type, "animations", ("tts", "render"), captions="burned")
    assert composed_again_scenes(ctx) == [0, 1, 2, 3]
    assert all(captions_burned_over(ctx, index) for index in range(len(KINDS)))


def test_only_promotional_types_burn_the_major_statement() -> None:
    for video_type in ("product_ad", "doctor_ad", "social_media"):
        ctx = context(video_type, "visuals", ("tts", "render"))
        assert safety_scenes(ctx) == {2}
        assert [i for i in range(len(KINDS)) if captions_burned_over(ctx, i)] == [2]
    for video_type in ("moa", "compliance_video"):
        ctx = context(video_type, "visuals", ("tts", "render"))
        assert not any(captions_burned_over(ctx, i) for i in range(len(KINDS)))
