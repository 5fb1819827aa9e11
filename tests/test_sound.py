"""Music beds, the music library, the loudness setting and balanced titles: the rules, fast."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from creator_service.payloads import BRIEF_MODELS, SocialMediaBrief, field_schema
from creator_service.rendering.credits import credit_lines
from creator_service.settings import Settings
from creator_service.sound import beds
from creator_service.sound.music import choose_music
from creator_service.stages.render import music_credits
from creator_service.typography import balanced_lines


@pytest.mark.parametrize("mood", list(beds.MOODS))
def test_a_composed_bed_is_music_and_loops_without_a_seam(mood: str) -> None:
    loop = beds.compose(mood)
    seconds = loop.shape[0] / beds.RATE
    assert 8 <= seconds <= 20 and loop.shape[1] == 2 and np.abs(loop).max() <= 0.71
    mono = loop.mean(axis=1)
    # Seamless: the step from the last sample back to the first is no bigger than a usual step.
    steps = np.abs(np.diff(mono))
    assert abs(mono[0] - mono[-1]) <= np.percentile(steps, 99.9)
    # Music, not noise: a few strong spectral peaks (the chord's notes). Spectral flatness is
    # about 0.5 for white noise and near 0 for pure tones.
    spectrum = np.abs(np.fft.rfft(mono[: beds.RATE * 2]))
    flatness = np.exp(np.mean(np.log(spectrum + 1e-12))) / np.mean(spectrum)
    noise = np.abs(np.fft.rfft(np.random.default_rng(1).standard_normal(beds.RATE * 2)))
    assert flatness < 0.1 < np.exp(np.mean(np.log(noise))) / np.mean(noise)
    frequencies = np.fft.rfftfreq(beds.RATE * 2, 1 / beds.RATE)
    strongest = frequencies[np.argsort(spectrum)[-5:]]
    assert all(50 <= f <= 2000 for f in strongest), strongest
    # Chords change: the first and second chord's spectra differ.
    chord = int(beds.MOODS[mood].seconds_per_chord * beds.RATE)
    first, second = (np.abs(np.fft.rfft(mono[n * chord: n * chord + beds.RATE])) for n in (0, 1))
    assert np.corrcoef(first, second)[0, 1] < 0.9


def test_a_bed_is_made_once_and_cached(tmp_path: Path) -> None:
    path = beds.bed("calm", tmp_path)
    made = path.stat().st_mtime_ns
    assert beds.bed("calm", tmp_path) == path and path.stat().st_mtime_ns == made
    with wave.open(str(path)) as handle:
        assert (handle.getnchannels(), handle.getframerate()) == (2, 48_000)


def test_music_comes_from_the_users_library_by_mood(tmp_path: Path) -> None:
    library = tmp_path / "music"
    library.mkdir()
    for name in ("a-track.wav", "calm-piano.wav", "z-strings.wav"):
        (library / name).write_bytes(b"RIFF")
    (library / "tags.json").write_text(json.dumps({
        "z-strings.wav": {"tags": ["uplifting"], "author": "Ann", "license": "CC-BY"},
        "a-track.wav": {"tags": ["corporate"]},
    }))
    cache = tmp_path / "cache"
    assert choose_music("none", library, cache) is None
    uplifting = choose_music("uplifting", library, cache)
    assert uplifting is not None and uplifting.path.name == "z-strings.wav" and uplifting.source == "library"
    assert uplifting.credit == {"author": "Ann", "license": "CC-BY"}
    calm = choose_music("calm", library, cache)  # from the file's name
    assert calm is not None and calm.path.name == "calm-piano.wav"
    warm = choose_music("warm", library, cache)  # nothing warm in the library: composed
    assert warm is not None and warm.source == "composed" and warm.path.is_relative_to(cache)


def test_a_library_tracks_author_is_on_the_credits_card(tmp_path: Path) -> None:
    library = tmp_path / "music"
    library.mkdir()
    (library / "calm-piano.wav").write_bytes(b"RIFF")
    (library / "tags.json").write_text(json.dumps({"calm-piano.wav": {"author": "Ann Lee", "license": "CC-BY 4.0"}}))
    credits = music_credits(choose_music("calm", library, tmp_path / "cache"))
    assert credit_lines(credits) == ["Music: Ann Lee (CC-BY 4.0)"]
    # A composed bed is ours: no credit.
    assert music_credits(choose_music("warm", library, tmp_path / "cache")) == []


def test_every_brief_has_music_and_captions_with_its_types_defaults() -> None:
    for name, model in BRIEF_MODELS.items():
        fields = [f["name"] for f in field_schema(model)]
        assert fields[-7:] == ["music", "captions", "language", "aspect", "formats", "brand", "references"], name
    assert SocialMediaBrief.model_fields["captions"].default == "burned"
    assert BRIEF_MODELS["moa"].model_fields["captions"].default == "sidecar"
    assert BRIEF_MODELS["compliance_video"].model_fields["music"].default == "none"


@pytest.mark.parametrize(("raw", "expected"), [("", -16.0), ("-23", -23.0), ("-14", -14.0)])
def test_the_loudness_target_is_read_from_the_environment(raw: str, expected: float) -> None:
    assert Settings.from_env({"CREATOR_LOUDNESS_TARGET": raw}).loudness_target == expected


@pytest.mark.parametrize("raw", ["loud", "-2", "-40"])
def test_a_loudness_target_out_of_range_is_refused_by_name(raw: str) -> None:
    with pytest.raises(ValueError, match="CREATOR_LOUDNESS_TARGET"):
        Settings.from_env({"CREATOR_LOUDNESS_TARGET": raw})


@pytest.mark.parametrize(
    ("text", "per_line", "expected"),
    [
        ("How Metformin fits in", 18, ["How Metformin", "fits in"]),
        ("How Metformin fits into your daily routine today", 18,
         ["How Metformin fits", "into your daily", "routine today"]),
        ("Pneumonoultramicroscopicsilicovolcanoconiosis risk", 12,
         ["Pneumonoultramicroscopicsilicovolcanoconiosis", "risk"]),
        ("Short", 18, ["Short"]),
    ],
)
def test_titles_break_into_balanced_lines_and_keep_words_whole(text: str, per_line: int, expected: list[str]) -> None:
    lines = balanced_lines(text, per_line)
    assert lines == expected
    if len(lines) > 1 and all(len(word) <= per_line for word in text.split()):
        assert len(lines[-1].split()) > 1  # no word alone on the last line
