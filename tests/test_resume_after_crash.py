"""Creator sessions survive `kill -9` of the real server: resume with the token and carry on."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from .helpers import (
    SOCIAL_BRIEF,
    Creator,
    Server,
    assert_broadcast_loudness,
    ffprobe,
    processes_mentioning,
    running_server,
    wait_for_render_processes,
)

pytestmark = pytest.mark.render


def kill_9(server: Server, video_id: str) -> None:
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    gone = time.monotonic()
    while processes_mentioning(video_id):  # the render children die with the server
        assert time.monotonic() - gone < 5, "render processes outlived the killed server"
        time.sleep(0.05)


def test_after_kill_9_a_stage_awaiting_review_resumes_with_the_same_version_and_finishes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as first:
        client = Creator(first.ws_url, first.token)
        started = client.start("social_media", SOCIAL_BRIEF)
        client.advance_to("visuals")
        visuals = client.wait_completed("visuals")
        kill_9(first, started["video_id"])

    # The restarted server masters for EBU broadcast: the render that runs on it follows.
    with running_server(data, CREATOR_LOUDNESS_TARGET="-23") as second, Creator(second.ws_url, second.token) as again:
        again.send({"action": "resume", "video_id": started["video_id"], "resume_token": started["resume_token"]})
        resumed = again.next_event()
        assert resumed["state"] == "awaiting_review" and resumed["current_stage"] == "visuals"
        assert resumed["versions"] == {"scenes": 1, "script": 1, "visuals": 1}
        replayed = again.next_event()
        assert replayed["version"] == 1
        # Same files; only the port in their URLs differs, since the new server has another.
        assert [c["url"].split("/videos/")[1] for c in replayed["data"]["clips"]] == \
            [c["url"].split("/videos/")[1] for c in visuals["data"]["clips"]]
        again.accept()
        for stage in ("tts", "render"):
            assert again.wait_completed(stage)["version"] == 1
            again.accept()
        complete = again.next_event()
        assert complete["status"] == "pipeline_complete"
        streams = {s["codec_type"] for s in ffprobe(Path(complete["video_path"]))["streams"]}
        assert streams == {"video", "audio"}
        assert_broadcast_loudness(Path(complete["video_path"]), target=-23.0)


def test_after_kill_9_a_running_stage_runs_again_as_its_next_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as first:
        client = Creator(first.ws_url, first.token)
        started = client.start("social_media", {**SOCIAL_BRIEF, "quality": "high"})
        video_id = started["video_id"]
        client.advance_to("visuals")
        assert client.next_event()["stage"] == "visuals"
        wait_for_render_processes(video_id)
        kill_9(first, video_id)

    with running_server(data) as second, Creator(second.ws_url, second.token) as again:
        again.send({"action": "resume", "video_id": video_id, "resume_token": started["resume_token"]})
        resumed = again.next_event()
        assert resumed["state"] == "running" and resumed["versions"]["visuals"] == 2
        running = again.next_event()
        assert (running["status"], running["stage"], running["version"]) == ("stage_running", "visuals", 2)
        again.send({"action": "stop"})
        assert again.next_event() == {"status": "stopped", "video_id": video_id}
