"""A failing stage is an `error` event; regenerate retries it, stop ends it, nothing is lost."""

from __future__ import annotations

from typing import Iterator

import httpx
import pytest

from .helpers import SOCIAL_BRIEF, Creator, Server, running_server


@pytest.fixture(scope="module")
def server_without_voice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A Piper model that does not exist, and no fallback: the tts stage must fail.
    with running_server(
        tmp_path_factory.mktemp("novoice") / "data",
        CREATOR_VOICE="piper",
        CREATOR_PIPER_MODEL="/nonexistent/voice.onnx",
    ) as running:
        yield running


def test_a_failing_stage_sends_the_spec_error_and_can_be_retried(server_without_voice: Server) -> None:
    with Creator(server_without_voice.ws_url, server_without_voice.token) as client:
        client.start("social_media", SOCIAL_BRIEF)
        client.advance_to("visuals")
        visuals = client.wait_completed("visuals", timeout=180)
        client.accept()

        assert client.next_event()["stage"] == "tts"
        error = client.next_event()
        assert set(error) == {"stage", "version", "status", "error", "next_actions"}
        assert error["stage"] == "tts" and error["version"] == 1 and error["status"] == "error"
        assert error["next_actions"] == ["regenerate", "stop"]
        assert "no voice could speak the script" in error["error"]
        assert "/nonexistent/voice.onnx" in error["error"]

        client.accept()
        refused = client.next_event()
        assert refused["code"] == "action_not_allowed" and "'tts' failed" in refused["error"]

        client.send({"action": "regenerate", "feedback": "try again"})
        assert client.next_event() == {"status": "stage_running", "stage": "tts", "version": 2,
                                       "message": "Executing tts..."}
        assert client.next_event()["version"] == 2

        # The failure lost nothing: the accepted clips are still served.
        for clip in visuals["data"]["clips"]:
            assert httpx.get(clip["url"], timeout=10, headers=server_without_voice.headers).status_code == 200

        client.send({"action": "stop"})
        assert client.next_event()["status"] == "stopped"
