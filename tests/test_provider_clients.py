"""The provider clients on their own, against the loopback stand-ins: every failure mode of the
voice and media clients becomes a clear failure, and retries respect Retry-After."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from creator_service.media.assets import MediaRequest
from creator_service.media.pexels import MediaFailure, PexelsSource, best_photo_source, best_video_file
from creator_service.processes import CancelToken, ProcessSlots
from creator_service.providers.elevenlabs_voice import ElevenLabsSpeaker, words_from_alignment
from creator_service.providers.voice import SpeechItem, SpeechJob, VoiceFailure
from creator_service.rendering.formats import video_format
from creator_service.rendering.palettes import PALETTES
from creator_service.settings import ElevenLabsSettings, PexelsSettings

from .fakes import ELEVENLABS_KEY, PEXELS_KEY, FakeProviders


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    providers = FakeProviders().start()
    yield providers
    providers.stop()


@pytest.fixture(autouse=True)
def healthy(fake: FakeProviders) -> None:
    for service in ("elevenlabs", "pexels"):
        fake.set(service, "ok")


def pexels(fake: FakeProviders, tmp_path: Path, key: str = PEXELS_KEY) -> PexelsSource:
    settings = PexelsSettings(api_key=key, base_url=fake.base, timeout=2, max_retries=1)
    return PexelsSource(settings, tmp_path / "cache")


def request(query: str) -> MediaRequest:
    return MediaRequest(query=query, fmt=video_format("16:9", "low"), seconds=3, palette=PALETTES["ocean"])


def find(source: PexelsSource, query: str):  # noqa: ANN201 - the asset or None
    return source.find(request(query), cancel=CancelToken(), slots=ProcessSlots(1))


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("500", "Pexels server error (500)"),
        ("429", "Pexels rate limit (429)"),
        ("timeout", "Pexels timeout: no answer within 2 s"),
        ("malformed", "Pexels answered with something that is not JSON"),
        ("403", "Pexels rejected the API key (403)"),
    ],
)
def test_pexels_failures_are_described(fake: FakeProviders, tmp_path: Path, mode: str, message: str) -> None:
    fake.set("pexels", mode)
    with pytest.raises(MediaFailure, match=message.replace("(", r"\(").replace(")", r"\)")):
        find(pexels(fake, tmp_path), f"failure {mode}")


def test_a_wrong_pexels_key_is_said_plainly(fake: FakeProviders, tmp_path: Path) -> None:
    with pytest.raises(MediaFailure, match=r"Pexels rejected the API key \(401\)"):
        find(pexels(fake, tmp_path, key="wrong"), "bad key")


def test_pexels_429_is_retried_after_the_wait_it_asks_for(fake: FakeProviders, tmp_path: Path) -> None:
    fake.set("pexels", "429", times=1)
    before = len(fake.seen("pexels", "/videos/search"))
    asset = find(pexels(fake, tmp_path), "retry me")
    attempts = fake.seen("pexels", "/videos/search")[before:]
    assert asset is not None and asset.credit.author == "Fake Photographer"
    assert len(attempts) == 2 and attempts[1].at - attempts[0].at >= 0.9


def test_the_best_pexels_file_covers_the_frame_without_waste() -> None:
    video = {"video_files": [
        {"file_type": "video/mp4", "width": 3840, "height": 2160, "link": "uhd"},
        {"file_type": "video/mp4", "width": 1920, "height": 1080, "link": "hd"},
        {"file_type": "video/mp4", "width": 640, "height": 360, "link": "sd"},
        {"file_type": "video/webm", "width": 1920, "height": 1080, "link": "webm"},
    ]}
    assert best_video_file(video, 1920, 1080)["link"] == "hd"
    assert best_video_file(video, 854, 480)["link"] == "hd"
    assert best_video_file({"video_files": [video["video_files"][2]]}, 1920, 1080)["link"] == "sd"
    photo = {"src": {"original": "o", "large2x": "l"}}
    assert best_photo_source(photo, 854) == "l" and best_photo_source(photo, 1920) == "o"


def speaker(fake: FakeProviders, key: str = ELEVENLABS_KEY) -> ElevenLabsSpeaker:
    return ElevenLabsSpeaker(ElevenLabsSettings(api_key=key, base_url=fake.base, voice_id="voice-123",
                                                timeout=2, max_retries=1))


def speak(voice: ElevenLabsSpeaker, tmp_path: Path, text: str = "Hello there, doctor.") -> list:  # noqa: ANN401
    job = SpeechJob(cancel=CancelToken(), slots=ProcessSlots(1), progress=lambda *_: None, log_dir=tmp_path)
    speech = voice.speak([SpeechItem(text=text, path=tmp_path / "a.wav")], job)
    return speech.tracks


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("timeout", "ElevenLabs timeout: no answer within 2 s"),
        ("403", "ElevenLabs refused this voice or model for the account (403)"),
        ("500", "ElevenLabs server error (500) after 1 retries"),
        ("429", "ElevenLabs rate limit (429) still hit after 1 retries"),
    ],
)
def test_elevenlabs_failures_are_described(fake: FakeProviders, tmp_path: Path, mode: str, message: str) -> None:
    fake.set("elevenlabs", mode)
    with pytest.raises(VoiceFailure) as caught:
        speak(speaker(fake), tmp_path)
    assert message in str(caught.value)


def test_elevenlabs_speech_comes_with_word_timings(fake: FakeProviders, tmp_path: Path) -> None:
    track, = speak(speaker(fake), tmp_path, "Ask your doctor today.")
    assert [w.word for w in track.words] == ["Ask", "your", "doctor", "today."]
    assert track.words[-1].end <= track.duration + 0.05 and track.duration > 0.5


def test_the_brief_language_is_enforced_on_models_that_take_a_language_code(fake: FakeProviders, tmp_path: Path) -> None:
    def spoken_with(model: str, language: str) -> dict:
        voice = ElevenLabsSpeaker(ElevenLabsSettings(api_key=ELEVENLABS_KEY, base_url=fake.base, voice_id="voice-123",
                                                     model=model, timeout=2, max_retries=1))
        job = SpeechJob(cancel=CancelToken(), slots=ProcessSlots(1), progress=lambda *_: None, log_dir=tmp_path,
                        language=language)
        voice.speak([SpeechItem(text="Guten Tag.", path=tmp_path / "a.wav")], job)
        return fake.seen("elevenlabs")[-1].body

    flash = spoken_with("eleven_flash_v2_5", "de-DE")
    assert flash["language_code"] == "de" and flash["model_id"] == "eleven_flash_v2_5"
    # The multilingual model refuses the field: it reads the language from the text.
    assert "language_code" not in spoken_with("eleven_multilingual_v2", "de-DE")


def test_characters_group_into_words() -> None:
    class Alignment:
        characters = list("Hi  you")
        character_start_times_seconds = [0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5]
        character_end_times_seconds = [0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6]

    words = words_from_alignment(Alignment())
    assert [(w.word, w.start, w.end) for w in words] == [("Hi", 0.0, 0.2), ("you", 0.3, 0.6)]
