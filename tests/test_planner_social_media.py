"""The built-in social_media planner: a short-form plan, a script that follows feedback."""

from __future__ import annotations

import itertools

import pytest

from creator_service.models import Directives, ScenePlan, Script
from creator_service.payloads import SocialMediaBrief
from creator_service.planner.copy_social_media import SOCIAL_MEDIA_DECK
from creator_service.planner.template import TemplatePlanner, count_words

BRIEF = SocialMediaBrief(drug_name="Metformin", indication="type 2 diabetes",
                         key_benefit="helps keep blood sugar in range")
PLANNER = TemplatePlanner({"social_media": SOCIAL_MEDIA_DECK})


def plan(feedback: str | None = None, previous: ScenePlan | None = None) -> ScenePlan:
    return PLANNER.plan_scenes("social_media", BRIEF, feedback, previous)


def script(feedback: str | None = None, previous: Script | None = None, scene_plan: ScenePlan | None = None) -> Script:
    return PLANNER.write_script("social_media", BRIEF, scene_plan or plan(), feedback, previous)


def all_text(s: Script) -> str:
    return " ".join(scene.text for scene in s.scenes)


def test_the_plan_is_short_form_9_16_in_the_spec_order() -> None:
    p = plan()
    assert p.aspect_ratio == "9:16"
    assert [s.kind for s in p.scenes] == ["hook", "problem", "mechanism", "benefit", "safety", "cta"]
    assert 20 <= p.total_seconds <= 45
    assert [s.index for s in p.scenes] == list(range(6))


def test_the_script_names_the_drug_indication_and_benefit() -> None:
    text = all_text(script())
    assert "Metformin" in text and "type 2 diabetes" in text
    assert "Metformin helps keep blood sugar in range" in text


def test_the_script_says_the_words_it_counts() -> None:
    s = script()
    for scene in s.scenes:
        assert scene.word_count == count_words(scene.text)
    assert s.total_words == sum(scene.word_count for scene in s.scenes)


def test_persona_and_tone_are_recorded_and_shape_the_words() -> None:
    casual = script()
    formal_brief = BRIEF.model_copy(update={"tone": "formal and precise", "persona": "medical narrator"})
    formal_plan = PLANNER.plan_scenes("social_media", formal_brief, None, None)
    formal = PLANNER.write_script("social_media", formal_brief, formal_plan, None, None)
    assert casual.persona == "friendly health narrator" and formal.persona == "medical narrator"
    assert casual.directives.style == "casual" and formal.directives.style == "formal"
    assert all_text(casual) != all_text(formal)


def test_shorter_feedback_means_fewer_words() -> None:
    first = script()
    second = script("shorter", first)
    assert second.total_words < first.total_words


def test_longer_feedback_means_more_words() -> None:
    first = script()
    assert script("longer, more detail", first).total_words > first.total_words


def test_more_formal_and_simpler_change_the_words() -> None:
    first = script()
    formal = script("more formal", first)
    simple = script("simpler", first)
    assert formal.directives.style == "formal" and "healthcare provider" in all_text(formal)
    assert simple.directives.style == "simple" and all_text(simple) != all_text(first)


def test_mention_appears_in_the_narration() -> None:
    second = script("mention the free savings card", script())
    assert "the free savings card" in all_text(second)


def test_more_and_fewer_scenes_change_the_plan() -> None:
    first = plan()
    more = plan("more scenes", first)
    fewer = plan("fewer scenes", first)
    assert len(more.scenes) == 7 and "routine" in [s.kind for s in more.scenes]
    assert len(fewer.scenes) == 5 and "mechanism" not in [s.kind for s in fewer.scenes]
    # The safety note and the call to action always close the video.
    for p in (more, fewer):
        assert [s.kind for s in p.scenes][-2:] == ["safety", "cta"]


def test_the_fewest_scenes_keeps_the_essentials_and_says_so() -> None:
    p = plan()
    for _ in range(4):
        p = plan("fewer scenes", p)
    assert [s.kind for s in p.scenes] == ["hook", "benefit", "safety", "cta"]
    assert any("fewest" in note for note in p.feedback.notes)


def test_scene_count_feedback_on_the_script_keeps_the_plan() -> None:
    first = script()
    second = script("more scenes", first)
    assert len(second.scenes) == len(first.scenes)
    assert any("accepted scene plan" in note for note in second.feedback.notes)


def test_scene_plan_feedback_carries_into_the_script() -> None:
    p = plan("mention once-daily dosing and make it more formal", plan())
    s = script(scene_plan=p)
    assert "once-daily dosing" in all_text(s) and s.directives.style == "formal"


def test_regenerate_without_feedback_gives_a_different_wording() -> None:
    first = script()
    assert all_text(script(None, first)) != all_text(first)


@pytest.mark.parametrize(
    ("style", "length", "delta"),
    list(itertools.product(["neutral", "casual", "simple", "formal"], [0.4, 0.7, 1.0, 1.35, 2.0], [-2, 0, 3])),
)
def test_every_combination_stays_between_20_and_45_seconds(style: str, length: float, delta: int) -> None:
    directives = Directives(style=style, length=length, scene_delta=delta, mentions=["a reminder"])
    base = plan().model_copy(update={"directives": directives})
    p = plan(None, base)
    s = script(scene_plan=p)
    assert 20 <= s.estimated_seconds <= 45, (style, length, delta, s.estimated_seconds)
