"""Languages: the brief's tag reaches the planner, the voice and the captions; other scripts
render with a font that has their glyphs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from creator_service.payloads import SocialMediaBrief
from creator_service.planner.decks import DECKS
from creator_service.planner.template import TemplatePlanner
from creator_service.processes import CancelToken, ProcessSlots
from creator_service.providers.voice import (
    EspeakSpeaker,
    PiperSpeaker,
    SpeechItem,
    SpeechJob,
    VoiceChain,
    VoiceUnavailable,
)
from creator_service.rendering.captions import Spoken, ass_filter, write_ass
from creator_service.rendering.formats import video_format
from creator_service.rendering.wav import read_mono
from creator_service.settings import Settings
from creator_service.speech_timing import speech_runs


def job(tmp_path: Path, language: str) -> SpeechJob:
    return SpeechJob(cancel=CancelToken(), slots=ProcessSlots(1), progress=lambda f, d: None,
                     log_dir=tmp_path, language=language)


def test_the_built_in_planner_says_it_writes_english_only() -> None:
    planner = TemplatePlanner(DECKS)
    german = SocialMediaBrief(drug_name="Metformin", indication="Typ-2-Diabetes", language="de")
    plan = planner.plan_scenes("social_media", german, None, None)
    assert any("English only" in note and "'de'" in note for note in plan.feedback.notes)
    script = planner.write_script("social_media", german, plan, None, None)
    assert any("English only" in note for note in script.feedback.notes)
    english = SocialMediaBrief(drug_name="Metformin", indication="type 2 diabetes")
    assert not any("English only" in n for n in planner.plan_scenes("social_media", english, None, None).feedback.notes)


def test_a_language_without_a_piper_voice_is_spoken_by_espeak_in_that_language(tmp_path: Path) -> None:
    items = [SpeechItem("Guten Tag. Wie geht es Ihnen?", tmp_path / "de.wav")]
    speech = VoiceChain([PiperSpeaker(), EspeakSpeaker()]).speak(items, job(tmp_path, "de-DE"))
    assert (speech.engine, speech.voice) == ("espeak-ng", "de")
    assert any("no Piper voice for language 'de'" in note for note in speech.notes)
    assert (tmp_path / "de.wav").stat().st_size > 10_000


def test_espeak_words_are_timed_by_its_own_word_events_on_the_audio(tmp_path: Path) -> None:
    text = "Ask your doctor today. Metformin lowers HbA1c by 1.5 percent."
    track, = EspeakSpeaker().speak([SpeechItem(text, tmp_path / "en.wav")], job(tmp_path, "en")).tracks
    words = track.words
    assert track.timing == "aligned" and [w.word for w in words] == text.split()
    assert all(a.start < b.start and a.end <= b.start + 1e-9 for a, b in zip(words, words[1:]))
    samples, rate = read_mono(track.path)
    runs = speech_runs(samples, rate)
    # Every word starts where there is sound (within a frame of a speech run), never in a pause.
    assert all(any(start - 0.03 <= w.start <= end for start, end in runs) for w in words), (words, runs)
    # The sentence's last word ends before the pause; the next sentence starts after it.
    today, metformin = words[3], words[4]
    assert metformin.start - today.end > 0.15
    # "1.5" is three spoken words in one text word: it lasts longer than "by".
    assert (words[8].end - words[8].start) > 2 * (words[7].end - words[7].start)


def test_a_language_no_voice_has_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VoiceUnavailable, match="espeak-ng has no voice for language 'xx'"):
        EspeakSpeaker().speak([SpeechItem("x", tmp_path / "x.wav")], job(tmp_path, "xx"))


def test_piper_models_per_language_are_read_from_the_environment() -> None:
    settings = Settings.from_env({"CREATOR_PIPER_MODELS": "de=/m/de.onnx, fr-FR=/m/fr.onnx"})
    assert settings.piper_models == {"de": "/m/de.onnx", "fr-fr": "/m/fr.onnx"}
    with pytest.raises(ValueError, match="CREATOR_PIPER_MODELS"):
        Settings.from_env({"CREATOR_PIPER_MODELS": "de"})


def burned(tmp_path: Path, text: str) -> np.ndarray:
    fmt = video_format("16:9", "low")
    script = write_ass([Spoken(0.0, 2.0, text)], fmt, {"accent": "#FFB547", "background": "#0B1F3A"},
                       tmp_path / f"{abs(hash(text))}.ass", highlight=False)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"color=c=black:s={fmt.width}x{fmt.height}:d=1",
         "-vf", ass_filter(script), "-ss", "0.5", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(fmt.height, fmt.width)


@pytest.mark.parametrize(("first", "second"), [("日本語です", "中文字幕"), ("مرحبا بكم", "شكرا لكم"),
                                               ("नमस्ते दुनिया", "धन्यवाद मित्र")])
def test_other_scripts_are_drawn_with_real_glyphs(tmp_path: Path, first: str, second: str) -> None:
    # A missing glyph draws as the same empty box whatever the character, so two different
    # texts of missing glyphs look alike; real glyphs differ. Both must be drawn at all.
    a, b = burned(tmp_path, first) > 128, burned(tmp_path, second) > 128
    assert a.sum() > 200 and b.sum() > 200
    assert (a != b).sum() > 0.5 * min(a.sum(), b.sum())


def test_the_glyph_check_sees_missing_glyphs(tmp_path: Path) -> None:
    # Private-use characters have no glyph in any installed font: the boxes are identical.
    a = burned(tmp_path, "\ue000\ue001\ue002") > 128
    b = burned(tmp_path, "\ue003\ue004\ue005") > 128
    assert a.sum() > 0 and (a != b).sum() == 0
