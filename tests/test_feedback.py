"""What the built-in planner understands of feedback: one test per rule in the README."""

from __future__ import annotations

import pytest

from creator_service.models import Directives
from creator_service.planner.feedback import initial_style, read_feedback


def read(feedback: str | None, base: Directives | None = None) -> tuple[Directives, list[str], list[str]]:
    directives, reading = read_feedback(feedback, base or Directives())
    return directives, reading.understood, reading.notes


@pytest.mark.parametrize("words", ["shorter please", "Make it more concise", "too long", "trim it", "tighten the copy"])
def test_shorter(words: str) -> None:
    directives, understood, _ = read(words)
    assert directives.length < 1.0 and understood == ["shorter"]


@pytest.mark.parametrize("words", ["longer", "more detail please", "expand on it", "too short"])
def test_longer(words: str) -> None:
    directives, understood, _ = read(words)
    assert directives.length > 1.0 and understood == ["longer"]


def test_length_changes_compound_and_are_bounded() -> None:
    directives = Directives()
    for _ in range(10):
        directives, _, _ = read("shorter", directives)
    assert directives.length == pytest.approx(0.4)
    for _ in range(10):
        directives, _, _ = read("longer", directives)
    assert directives.length == pytest.approx(2.0)


@pytest.mark.parametrize("words", ["simpler", "use plain language", "patient-friendly please", "less technical", "no jargon"])
def test_simpler(words: str) -> None:
    assert read(words)[0].style == "simple"


@pytest.mark.parametrize("words", ["more formal", "sound more professional", "more scientific"])
def test_more_formal(words: str) -> None:
    assert read(words)[0].style == "formal"


@pytest.mark.parametrize("words", ["more casual", "friendlier", "more conversational", "warmer"])
def test_more_casual(words: str) -> None:
    assert read(words)[0].style == "casual"


@pytest.mark.parametrize("words", ["more scenes", "add a scene", "one more scene please"])
def test_more_scenes(words: str) -> None:
    directives, understood, _ = read(words)
    assert directives.scene_delta == 1 and understood == ["more scenes"]


@pytest.mark.parametrize("words", ["fewer scenes", "too many scenes", "drop a scene"])
def test_fewer_scenes(words: str) -> None:
    directives, understood, _ = read(words)
    assert directives.scene_delta == -1 and understood == ["fewer scenes"]


@pytest.mark.parametrize(
    ("words", "mention"),
    [
        ("mention once-daily dosing", "once-daily dosing"),
        ("Please mention that it is taken with meals.", "it is taken with meals"),
        ("include 'available in 500 mg tablets'", "available in 500 mg tablets"),
        ("highlight the savings card; make it shorter", "the savings card"),
    ],
)
def test_mention(words: str, mention: str) -> None:
    directives, understood, _ = read(words)
    assert directives.mentions == [mention]
    assert f"mention: {mention}" in understood


def test_add_more_detail_is_length_not_a_mention() -> None:
    directives, understood, _ = read("add more detail")
    assert directives.mentions == [] and understood == ["longer"]


def test_the_spec_feedback_example() -> None:
    directives, understood, _ = read("Make the script more concise and patient-friendly")
    assert understood == ["shorter", "simpler"]
    assert directives.length < 1.0 and directives.style == "simple"


def test_feedback_it_cannot_act_on_is_said_and_gives_a_new_variation() -> None:
    directives, understood, notes = read("I don't like the vibe")
    assert directives.variation == 1 and understood == ["new variation"]
    assert "no rule for this feedback" in notes[0]


def test_regenerate_without_feedback_is_a_new_variation() -> None:
    directives, understood, _ = read(None)
    assert directives.variation == 1 and understood == ["new variation (no feedback given)"]


def test_mentions_are_not_repeated() -> None:
    directives, _, _ = read("mention the savings card")
    directives, understood, _ = read("mention the savings card", directives)
    assert directives.mentions == ["the savings card"]


@pytest.mark.parametrize(
    ("tone", "style"),
    [
        ("engaging and conversational", "casual"),
        ("formal and precise", "formal"),
        ("scientific and professional", "formal"),
        ("clear and educational", "formal"),
        ("clear and reassuring", "neutral"),
        ("simple and kind", "simple"),
    ],
)
def test_the_briefs_tone_sets_the_starting_style(tone: str, style: str) -> None:
    assert initial_style(tone) == style


def test_the_voice_understands_slower_and_faster() -> None:
    from creator_service.models import Voiceover
    from creator_service.stages.tts import read_pace

    first = Voiceover(engine="piper", voice="joe", sample_rate=22050, tracks=[], total_duration=0.0)
    assert read_pace("a bit slower please", first)[0] == pytest.approx(1.12)
    assert read_pace("faster", first)[0] == pytest.approx(1 / 1.12, abs=1e-3)
    pace, reading = read_pace("more bass", first)
    assert pace == 1.0 and "slower" in reading.notes[0]
    assert read_pace(None, None)[0] == 1.0
