"""The Creator Mode protocol over a real socket, against uvicorn on a free loopback port."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosedOK

from .helpers import SOCIAL_BRIEF, Creator, Server

STAGES = ["scenes", "script", "visuals", "tts", "render"]


def test_session_started_has_the_spec_fields_and_a_resume_token(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        started = client.start("social_media", SOCIAL_BRIEF)
        assert set(started) == {"status", "video_id", "video_type", "stage_order", "current_stage", "resume_token"}
        assert len(started["resume_token"]) >= 22  # at least 128 bits, URL-safe base64
        assert started["video_id"].startswith("vid_")
        assert started["video_type"] == "social_media"
        assert started["stage_order"] == STAGES
        assert started["current_stage"] == "scenes"


def test_stage_running_and_completed_have_exactly_the_spec_fields(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        client.start("social_media", SOCIAL_BRIEF)
        running = client.next_event()
        assert running == {"status": "stage_running", "stage": "scenes", "version": 1,
                           "message": "Executing scenes..."}
        completed = client.next_event()
        assert set(completed) == {"stage", "version", "status", "data", "next_actions", "progress"}
        assert completed["stage"] == "scenes" and completed["version"] == 1
        assert completed["status"] == "completed"
        assert completed["next_actions"] == ["accept", "regenerate"]
        assert completed["progress"] == {"current": 1, "total": 5}
        assert completed["data"]["scene_count"] == len(completed["data"]["scenes_data"]["scenes"]) == 6
        client.accept()
        script = client.wait_completed("script")
        assert script["progress"] == {"current": 2, "total": 5}
        for scene in script["data"]["script"]["scenes"]:
            assert scene["word_count"] > 0 and scene["estimated_seconds"] > 0 and scene["text"]


BAD_MESSAGES: list[tuple[str, str, str]] = [
    ("not json at all", "invalid_json", "not valid JSON"),
    ("[1, 2, 3]", "not_an_object", "JSON object"),
    ('"accept"', "not_an_object", "JSON object"),
    ("{}", "missing_action", "'action'"),
    ('{"action": 7}', "invalid_action", "'action' must be a string"),
    ('{"action": "publish"}', "unknown_action", "'publish'"),
    ('{"action": "accept", "extra": 1}', "unknown_field", "'extra'"),
    ('{"action": "regenerate", "feedback": ["no"]}', "invalid_field", "'feedback'"),
    ('{"action": "start", "video_type": "podcast", "payload": {}}', "unknown_video_type", "'podcast'"),
    ('{"action": "start", "video_type": "moa", "payload": "x"}', "invalid_field", "'payload'"),
    ('{"action": "start", "video_type": "moa", "payload": {}}', "invalid_payload", "payload.drug_name"),
    ('{"action": "start", "video_type": "social_media", "payload": {"drug_name": "A", '
     '"indication": "B", "quality": "max"}}', "invalid_payload", "payload.quality"),
    ('{"action": "start", "video_type": "moa", "payload": {"drug_name": "A", "condition": "B", '
     '"music": "jazz"}}', "invalid_payload", "payload.music"),
    ('{"action": "start", "video_type": "product_ad", "payload": {"topic": "A", "brand_name": "B", '
     '"persona": "C", "tone": "D", "captions": "subtitles"}}', "invalid_payload", "payload.captions"),
    ('{"action": "start", "video_type": "moa", "payload": {"drug_name": "A", "condition": "B", '
     '"language": "english please"}}', "invalid_payload", "payload.language"),
    (json.dumps({"action": "regenerate", "feedback": "x" * 70_000}), "message_too_large", "65,536"),
]


def test_bad_input_gets_a_clear_error_and_the_connection_survives(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        for raw, code, words in BAD_MESSAGES:
            client.send_raw(raw)
            error = client.recv()
            assert error["status"] == "error" and error["code"] == code, (raw[:60], error)
            assert words in error["error"], error
        client.send_raw(b"\x00\x01binary")
        assert client.recv()["code"] == "binary_frame"
        # After all that, the same connection still starts a session.
        assert client.start("social_media", SOCIAL_BRIEF)["status"] == "session_started"


def test_invalid_payload_errors_list_each_field(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        client.send({"action": "start", "video_type": "social_media",
                     "payload": {"drug_name": 5, "quality": "ultra"}})
        error = client.recv()
        assert error["code"] == "invalid_payload"
        assert {f["field"] for f in error["fields"]} == {
            "payload.drug_name", "payload.indication", "payload.quality"}


def test_actions_before_start_are_refused(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        for action in ("accept", "regenerate"):
            client.send({"action": action})
            error = client.recv()
            assert error["code"] == "not_started" and f"'{action}'" in error["error"]


def test_second_start_is_refused_and_the_session_goes_on(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        started = client.start("social_media", SOCIAL_BRIEF)
        client.wait_completed("scenes")
        client.send({"action": "start", "video_type": "social_media", "payload": SOCIAL_BRIEF})
        error = client.next_event()
        assert error["code"] == "already_started" and started["video_id"] in error["error"]
        client.accept()
        assert client.wait_completed("script")["version"] == 1


@pytest.fixture(scope="module")
def visuals_run(server: Server) -> dict[str, Any]:
    """One real social_media visuals stage (seconds of Manim), watched by the tests below: an
    accept and a regenerate sent while it runs, every progress report, and its `completed`."""
    with Creator(server.ws_url, server.token) as client:
        client.start("social_media", SOCIAL_BRIEF)
        client.wait_completed("scenes")
        client.accept()
        client.wait_completed("script")
        client.accept()
        running = client.next_event()
        refusals = {}
        for action in ("accept", "regenerate"):
            client.send({"action": action})
            refusals[action] = client.next_event()
        completed = client.next_event(timeout=180)
        return {"running": running, "refusals": refusals, "completed": completed,
                "progress": [p for p in client.progress_seen if p["stage"] == "visuals"]}


def test_accept_and_regenerate_while_a_stage_runs_are_refused(visuals_run: dict[str, Any]) -> None:
    assert visuals_run["running"]["status"] == "stage_running"
    for error in visuals_run["refusals"].values():
        assert error["code"] == "action_not_allowed", error
        assert "'visuals' is still running" in error["error"]
    # Refusals did not disturb the running stage.
    completed = visuals_run["completed"]
    assert completed["status"] == "completed" and completed["stage"] == "visuals"


def test_regenerate_with_feedback_makes_version_two_in_the_direction_asked(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        client.start("social_media", SOCIAL_BRIEF)
        client.wait_completed("scenes")
        client.accept()
        first = client.wait_completed("script")["data"]
        client.send({"action": "regenerate",
                     "feedback": "Make the script more concise and patient-friendly, "
                                 "and mention it is taken with meals"})
        second_event = client.wait_completed("script")
        second = second_event["data"]
        assert second_event["version"] == 2
        assert second["total_words"] < first["total_words"]
        assert "it is taken with meals" in " ".join(s["text"] for s in second["script"]["scenes"])
        assert second["script"]["feedback"]["understood"] == [
            "shorter", "simpler", "mention: it is taken with meals"]
        # Regenerate without feedback still works (the spec's second form).
        client.send({"action": "regenerate"})
        assert client.wait_completed("script")["version"] == 3


def test_progress_reports_while_stages_run(visuals_run: dict[str, Any]) -> None:
    reports = visuals_run["progress"]
    assert reports, "a multi-second render sent no stage_progress"
    for report in reports:
        assert set(report) == {"status", "stage", "version", "progress", "detail"}
        assert 0.0 <= report["progress"] <= 1.0 and report["detail"]
    fractions = [r["progress"] for r in reports]
    assert fractions == sorted(fractions), "progress went backwards"


def test_stop_answers_and_closes_with_1000(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        started = client.start("social_media", SOCIAL_BRIEF)
        client.wait_completed("scenes")
        client.send({"action": "stop"})
        assert client.next_event() == {"status": "stopped", "video_id": started["video_id"]}
        with pytest.raises(ConnectionClosedOK):
            client.ws.recv(timeout=10)
        assert client.ws.close_code == 1000


def test_stop_before_start_also_closes_cleanly(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        client.send({"action": "stop"})
        assert client.recv() == {"status": "stopped", "video_id": None}
        with pytest.raises(ConnectionClosedOK):
            client.ws.recv(timeout=10)
        assert client.ws.close_code == 1000


def test_sessions_are_independent(server: Server) -> None:
    results: dict[str, Any] = {}

    def run(name: str, drug: str) -> None:
        with Creator(server.ws_url, server.token) as client:
            started = client.start("social_media", {**SOCIAL_BRIEF, "drug_name": drug})
            scenes = client.wait_completed("scenes")
            client.accept()
            script = client.wait_completed("script")
            results[name] = (started["video_id"], scenes, script)

    threads = [threading.Thread(target=run, args=(n, d)) for n, d in (("a", "Alphazol"), ("b", "Betamab"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results["a"][0] != results["b"][0]
    assert "Alphazol" in json.dumps(results["a"][2]) and "Betamab" not in json.dumps(results["a"][2])
    assert "Betamab" in json.dumps(results["b"][2]) and "Alphazol" not in json.dumps(results["b"][2])


def test_completed_data_references_files_by_url(server: Server, visuals_run: dict[str, Any]) -> None:
    visuals = visuals_run["completed"]["data"]
    assert visuals["clip_count"] == len(visuals["clips"]) == 6
    for clip in visuals["clips"]:
        for url in (clip["url"], clip["thumbnail_url"]):
            response = httpx.get(url, timeout=10, headers=server.headers)
            assert response.status_code == 200 and len(response.content) > 1000
        assert clip["sources"][0]["kind"] == "manim"
