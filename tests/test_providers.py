"""OpenAI plans and writes, ElevenLabs speaks, Pexels supplies footage: the real clients against
stand-ins on 127.0.0.1 that speak each API's request and response shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from creator_service.client import EXAMPLE_PAYLOADS

from .fakes import ELEVENLABS_KEY, OPENAI_KEY, PEXELS_KEY, FakeProviders
from .helpers import SOCIAL_BRIEF, Creator, Server, assert_broadcast_loudness, ffprobe, running_server


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    providers = FakeProviders().start()
    yield providers
    providers.stop()


@pytest.fixture(scope="module")
def studio(fake: FakeProviders, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("providers") / "data", **fake.env()) as server:
        yield server


@pytest.fixture(autouse=True)
def healthy(fake: FakeProviders) -> Iterator[None]:
    for service in ("openai", "elevenlabs", "pexels"):
        fake.set(service, "ok")
    yield


def start(client: Creator) -> dict[str, Any]:
    return client.start("social_media", SOCIAL_BRIEF)


def test_providers_reports_what_is_active_and_never_the_keys(studio: Server, fake: FakeProviders) -> None:
    response = httpx.get(f"{studio.http}/providers", timeout=10, headers=studio.headers)
    answer = response.json()
    assert answer["llm"] == {"provider": "openai", "model": "fake-gpt", "base_url": f"{fake.base}/v1",
                             "api_key_set": True}
    assert answer["voice"]["provider"] == "elevenlabs" and answer["voice"]["voice"] == "voice-123"
    assert answer["media"]["sources"] == ["pexels", "library", "generated"]
    for key in (OPENAI_KEY, ELEVENLABS_KEY, PEXELS_KEY):
        assert key not in response.text


def test_a_whole_video_with_every_provider(studio: Server, fake: FakeProviders) -> None:
    with Creator(studio.ws_url, studio.token) as client:
        start(client)
        scenes = client.wait_completed("scenes")["data"]
        assert scenes["scenes_data"]["planner"] == "openai:fake-gpt"
        assert scenes["scenes_data"]["scenes"][0]["on_screen_text"] == "LLM scene 1"
        client.accept()
        script = client.wait_completed("script")["data"]
        assert "written by the language model" in script["script"]["scenes"][0]["text"]
        client.accept()
        visuals = client.wait_completed("visuals", timeout=300)["data"]
        pexels = [s for clip in visuals["clips"] for s in clip["sources"] if s["kind"] == "pexels"]
        assert pexels and pexels[0]["author"] == "Fake Photographer"
        assert pexels[0]["url"] == "https://www.pexels.com/video/fake-4242/"
        client.accept()
        tts = client.wait_completed("tts", timeout=120)["data"]
        assert tts["engine"] == "elevenlabs"
        words = tts["tracks"][0]["words"]
        assert [w["word"] for w in words[:3]] == ["This", "is", "scene"]
        assert all(a["end"] <= b["start"] + 1e-6 for a, b in zip(words, words[1:]))
        client.accept()
        render = client.wait_completed("render", timeout=300)["data"]
        client.accept()
        done = client.next_event()
    assert done["status"] == "pipeline_complete"
    info = ffprobe(Path(done["video_path"]))
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    assert_broadcast_loudness(Path(done["video_path"]))
    # The credits card naming the photographer closes the video.
    assert render["scenes"][-1]["duration"] == pytest.approx(3.0, abs=0.1)

    # The clients spoke each API as it is spoken: keys in the right headers, real shapes.
    chat = fake.seen("openai")[0]
    assert chat.body["model"] == "fake-gpt" and chat.body["response_format"]["type"] == "json_schema"
    speech = fake.seen("elevenlabs")[0]
    assert speech.path.startswith("/v1/text-to-speech/voice-123/with-timestamps")
    assert "output_format=mp3_44100_128" in speech.path and speech.body["model_id"] == "eleven_multilingual_v2"
    search = fake.seen("pexels", "/videos/search")[0]
    assert "orientation=portrait" in search.path and search.headers["authorization"] == PEXELS_KEY
    # The best file for a 480x854 frame was fetched: the one that covers it, not the small one.
    assert fake.seen("pexels", "/files/clip.mp4") and not fake.seen("pexels", "/files/clip_small.mp4")


def test_feedback_and_the_previous_version_reach_the_prompt(studio: Server, fake: FakeProviders) -> None:
    with Creator(studio.ws_url, studio.token) as client:
        start(client)
        first = client.wait_completed("scenes")["data"]
        before = len(fake.seen("openai"))
        client.send({"action": "regenerate", "feedback": "Open on a sunrise and keep it upbeat"})
        second = client.wait_completed("scenes")
    assert second["version"] == 2
    prompt = fake.seen("openai")[before].body["messages"][-1]["content"]
    assert "Reviewer feedback: Open on a sunrise and keep it upbeat" in prompt
    assert first["scenes_data"]["scenes"][0]["on_screen_text"] in prompt  # the previous version
    assert second["data"]["scenes_data"]["feedback"]["understood"] == [
        "sent to fake-gpt with the previous version and your feedback"]
    system = fake.seen("openai")[before].body["messages"][0]["content"]
    assert "patients and the public" in system and "Never make absolute or promotional claims" in system
    # The brief's language reaches the model (the default, English, here).
    assert "in the language with BCP-47 tag 'en'" in system


LLM_FAILURES = [
    ("timeout", "OpenAI API timeout"),
    ("401", "OpenAI rejected the API key (401)"),
    ("403", "OpenAI refused access to model 'fake-gpt' (403)"),
    ("429", "OpenAI rate limit (429) still hit after 1 retries"),
    ("500", "OpenAI server error (500) after 1 retries"),
    ("malformed", "OpenAI's answer did not match the expected structure"),
    ("schema", "OpenAI's answer did not match the expected structure"),
]


@pytest.mark.parametrize(("mode", "message"), LLM_FAILURES)
def test_each_llm_failure_is_a_stage_error_and_regenerate_recovers(
    studio: Server, fake: FakeProviders, mode: str, message: str
) -> None:
    with Creator(studio.ws_url, studio.token) as client:
        start(client)
        fake.set("openai", mode)
        assert client.next_event()["status"] == "stage_running"
        error = client.next_event(timeout=60)
        assert error["status"] == "error" and error["stage"] == "scenes", error
        assert message in error["error"]
        assert error["next_actions"] == ["regenerate", "stop"]
        fake.set("openai", "ok")
        client.send({"action": "regenerate"})
        completed = client.wait_completed("scenes")
        assert completed["version"] == 2 and completed["data"]["scene_count"] == 5


def test_a_failure_at_the_script_keeps_the_accepted_plan(studio: Server, fake: FakeProviders) -> None:
    with Creator(studio.ws_url, studio.token) as client:
        start(client)
        plan = client.wait_completed("scenes")["data"]
        client.accept()
        fake.set("openai", "500")
        assert client.next_event()["stage"] == "script"
        assert "server error" in client.next_event(timeout=60)["error"]
        fake.set("openai", "ok")
        client.send({"action": "regenerate"})
        script = client.wait_completed("script")["data"]
    assert script["scene_count"] == plan["scene_count"]


def test_429_waits_as_asked_and_then_succeeds(studio: Server, fake: FakeProviders) -> None:
    with Creator(studio.ws_url, studio.token) as client:
        start(client)
        fake.set("openai", "429", times=1)
        before = len(fake.seen("openai"))
        assert client.wait_completed("scenes")["version"] == 1
    attempts = fake.seen("openai")[before:]
    assert len(attempts) == 2 and attempts[1].at - attempts[0].at >= 0.9  # Retry-After: 1


def test_voice_failures_are_stage_errors_and_regenerate_recovers(studio: Server, fake: FakeProviders) -> None:
    with Creator(studio.ws_url, studio.token) as client:
        start(client)
        client.advance_to("tts")
        fake.set("elevenlabs", "401")
        assert client.next_event()["stage"] == "tts"
        assert "ElevenLabs rejected the API key (401)" in client.next_event(timeout=60)["error"]
        fake.set("elevenlabs", "500")
        client.send({"action": "regenerate"})
        assert client.next_event()["version"] == 2
        assert "ElevenLabs server error (500)" in client.next_event(timeout=60)["error"]
        fake.set("elevenlabs", "429", times=1)
        client.send({"action": "regenerate"})
        tts = client.wait_completed("tts", timeout=120)
    assert tts["version"] == 3 and tts["data"]["engine"] == "elevenlabs"


def test_media_failures_are_stage_errors_and_empty_results_fall_back(studio: Server, fake: FakeProviders) -> None:
    with Creator(studio.ws_url, studio.token) as client:
        client.start("social_media", {**SOCIAL_BRIEF, "indication": "rare media failure"})
        client.advance_to("visuals")
        fake.set("pexels", "401")
        assert client.next_event()["stage"] == "visuals"
        error = client.next_event(timeout=120)
        assert "Pexels rejected the API key (401)" in error["error"]
        fake.set("pexels", "empty")
        client.send({"action": "regenerate"})
        visuals = client.wait_completed("visuals", timeout=300)["data"]
    kinds = {s["kind"] for clip in visuals["clips"] for s in clip["sources"]}
    assert "pexels" not in kinds and "generated" in kinds


def test_stock_media_is_downloaded_once_and_shared(studio: Server, fake: FakeProviders) -> None:
    def visuals_once() -> None:
        with Creator(studio.ws_url, studio.token) as client:
            start(client)
            client.advance_to("visuals")
            client.wait_completed("visuals", timeout=300)

    visuals_once()
    searches, downloads = len(fake.seen("pexels", "/videos/search")), len(fake.seen("pexels", "/files/"))
    visuals_once()
    assert len(fake.seen("pexels", "/videos/search")) == searches
    assert len(fake.seen("pexels", "/files/")) == downloads
    cache = studio.data_dir / ".cache" / "pexels"
    assert len(list((cache / "files").iterdir())) == 1
    assert json.loads(next((cache / "searches").iterdir()).read_text())["credit"]["kind"] == "pexels"


def test_a_compliance_script_from_the_llm_is_still_checked(studio: Server, fake: FakeProviders) -> None:
    with Creator(studio.ws_url, studio.token) as client:
        client.start("compliance_video", EXAMPLE_PAYLOADS["compliance_video"])
        client.wait_completed("scenes")
        client.accept()
        assert client.next_event()["stage"] == "script"
        error = client.next_event(timeout=60)
    # The fake LLM's sentences are not in the reference text: the rules catch them.
    assert error["status"] == "error" and "unsupported_statement" in error["error"]
    assert "missing_approved_use" in error["error"]
