"""Durable sessions over a real socket, on the real engine and store with instant fake stages:
resume, replay, several connections, expiry, `auto`, restarts, and the videos list."""

from __future__ import annotations

import asyncio
import io
import json
import random
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from creator_service.client import run

from .helpers import Creator
from .inprocess import Studio

MOA = {"drug_name": "Aspirin", "condition": "cardiovascular disease"}
MOA_STAGES = ["scenes", "script", "visuals", "tts", "render"]


def resume(client: Creator, started: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    client.send({"action": "resume", "video_id": started["video_id"],
                 "resume_token": token if token is not None else started["resume_token"]})
    return client.next_event(timeout=10)



def start_moa(client: Creator) -> dict[str, Any]:
    return client.start("moa", MOA)


def test_resume_after_a_drop_while_a_stage_runs_does_not_run_it_again(studio: Studio) -> None:
    studio.fakes.hold("script")
    client = studio.connect()
    started = start_moa(client)
    client.wait_completed("scenes")
    client.accept()
    assert client.next_event(timeout=10)["status"] == "stage_running"
    client.ws.close()

    with studio.connect() as again:
        resumed = resume(again, started)
        assert resumed == {
            "status": "session_resumed", "video_id": started["video_id"], "video_type": "moa",
            "stage_order": MOA_STAGES, "current_stage": "script", "state": "running",
            "versions": {"scenes": 1, "script": 1}, "accepted": {"scenes": 1},
        }
        assert again.next_event(timeout=10) == {"status": "stage_running", "stage": "script", "version": 1,
                                                "message": "Executing script..."}
        studio.fakes.release("script")
        done = again.next_event(timeout=10)
        assert (done["status"], done["stage"], done["version"]) == ("completed", "script", 1)
    assert studio.fakes.calls["script"] == 1


def test_resume_replays_the_completed_event_exactly_as_first_sent(studio: Studio) -> None:
    client = studio.connect()
    started = start_moa(client)
    first = client.wait_completed("scenes")
    client.ws.close()
    with studio.connect() as again:
        resumed = resume(again, started)
        assert resumed["state"] == "awaiting_review" and resumed["versions"] == {"scenes": 1}
        assert again.next_event(timeout=10) == first
        # The spec's client loop goes on unchanged.
        again.accept()
        assert again.wait_completed("script", timeout=10)["version"] == 1


def test_resume_replays_a_stage_error_and_regenerate_recovers(studio: Studio) -> None:
    studio.fakes.fail("scenes")
    client = studio.connect()
    started = start_moa(client)
    assert client.next_event(timeout=10)["status"] == "stage_running"
    error = client.next_event(timeout=10)
    assert error["status"] == "error" and error["stage"] == "scenes"
    client.ws.close()
    studio.fakes.succeed("scenes")
    with studio.connect() as again:
        assert resume(again, started)["state"] == "error"
        assert again.next_event(timeout=10) == error
        again.send({"action": "regenerate", "feedback": "try again"})
        assert again.wait_completed("scenes", timeout=10)["version"] == 2


def test_an_unknown_id_and_a_wrong_token_get_the_same_answer_and_the_connection_can_still_start(
    studio: Studio,
) -> None:
    with studio.connect() as owner:
        started = start_moa(owner)
    with studio.connect() as stranger:
        wrong_token = resume(stranger, started, token="x" * 43)
        unknown_id = resume(stranger, {"video_id": "vid_000000000000", "resume_token": started["resume_token"]})
        assert wrong_token == unknown_id
        assert wrong_token["status"] == "error" and wrong_token["code"] == "session_not_found"
        assert start_moa(stranger)["status"] == "session_started"


def test_resume_is_refused_on_a_connection_that_already_has_a_session(studio: Studio) -> None:
    with studio.connect() as client:
        started = start_moa(client)
        client.send({"action": "resume", "video_id": started["video_id"], "resume_token": started["resume_token"]})
        error = client.next_refusal()
        assert error["code"] == "already_started" and started["video_id"] in error["error"]


def test_two_connections_on_one_session_both_get_every_event(studio: Studio) -> None:
    with studio.connect() as first, studio.connect() as second:
        started = start_moa(first)
        first_completed = first.wait_completed("scenes")
        assert resume(second, started)["state"] == "awaiting_review"
        assert second.next_event(timeout=10) == first_completed
        second.accept()
        for client in (first, second):
            assert client.wait_completed("script", timeout=10)["version"] == 1


def test_actions_from_two_connections_apply_in_arrival_order(studio: Studio) -> None:
    studio.fakes.hold("script")
    with studio.connect() as first, studio.connect() as second:
        started = start_moa(first)
        first.wait_completed("scenes")
        resume(second, started)
        second.next_event(timeout=10)
        first.accept()
        second.accept()  # arrives second: the stage it would accept is already accepted
        refused = second.next_refusal()
        assert refused["code"] == "action_not_allowed" and "'script' is still running" in refused["error"]
    assert studio.fakes.calls["script"] == 1


def test_stop_from_one_connection_ends_the_session_for_every_connection(studio: Studio) -> None:
    with studio.connect() as first, studio.connect() as second:
        started = start_moa(first)
        first.wait_completed("scenes")
        resume(second, started)
        second.next_event(timeout=10)
        first.send({"action": "stop"})
        for client in (first, second):
            assert client.next_event(timeout=10) == {"status": "stopped", "video_id": started["video_id"]}
    with studio.connect() as late:
        assert resume(late, started)["code"] == "session_not_found"


def test_auto_accepts_every_remaining_stage(studio: Studio) -> None:
    with studio.connect() as client:
        started = start_moa(client)
        client.wait_completed("scenes")
        client.send({"action": "auto"})
        for stage in MOA_STAGES[1:]:
            assert client.wait_completed(stage, timeout=10)["version"] == 1
        complete = client.next_event(timeout=10)
        assert complete["status"] == "pipeline_complete" and complete["video_id"] == started["video_id"]
    video = httpx.get(f"{studio.http}/videos/{started['video_id']}", timeout=10, headers=studio.headers).json()
    assert video["mode"] == "creator" and video["state"] == "complete"


def test_a_session_nobody_attaches_to_expires_and_keeps_its_files(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", session_idle_hours=1.5 / 3600).start()
    try:
        studio.fakes.hold("script")
        client = studio.connect()
        started = start_moa(client)
        client.wait_completed("scenes")
        client.accept()
        client.next_event(timeout=10)
        client.ws.close()
        video_url = f"{studio.http}/videos/{started['video_id']}"
        deadline = time.monotonic() + 15
        while httpx.get(video_url, timeout=10, headers=studio.headers).json()["state"] != "expired":
            assert time.monotonic() < deadline, "the idle session never expired"
            time.sleep(0.2)
        video = httpx.get(video_url, timeout=10, headers=studio.headers).json()
        assert video["stages"]["script"]["versions"][0]["status"] == "cancelled"
        assert (studio.data_dir / started["video_id"] / "scenes").is_dir()
        with studio.connect() as again:
            assert resume(again, started)["code"] == "session_not_found"
    finally:
        studio.stop()


def test_an_attached_session_does_not_expire(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", session_idle_hours=0.5 / 3600).start()
    try:
        with studio.connect() as client:
            started = start_moa(client)
            client.wait_completed("scenes")
            time.sleep(2.0)
            client.accept()
            assert client.wait_completed("script", timeout=10)["version"] == 1
        assert httpx.get(f"{studio.http}/videos/{started['video_id']}", timeout=10, headers=studio.headers).json()["state"] != "expired"
    finally:
        studio.stop()


def test_after_a_restart_a_session_awaiting_review_awaits_with_the_same_version(studio: Studio) -> None:
    client = studio.connect()
    started = start_moa(client)
    client.wait_completed("scenes")
    client.accept()
    script = client.wait_completed("script")
    client.ws.close()
    studio.restart()
    with studio.connect() as again:
        resumed = resume(again, started)
        assert resumed["state"] == "awaiting_review" and resumed["versions"] == {"scenes": 1, "script": 1}
        replayed = again.next_event(timeout=10)
        assert {k: v for k, v in replayed.items() if k != "data"} == {k: v for k, v in script.items() if k != "data"}
        assert replayed["data"]["script"] == script["data"]["script"]
        again.accept()
        for stage in MOA_STAGES[2:]:
            again.wait_completed(stage, timeout=10)
            again.accept()
        assert again.next_event(timeout=10)["status"] == "pipeline_complete"


def test_after_a_restart_a_running_stage_runs_again_as_its_next_version(studio: Studio) -> None:
    studio.fakes.hold("visuals")
    client = studio.connect()
    started = start_moa(client)
    client.advance_to("visuals", timeout=10)
    assert client.next_event(timeout=10)["version"] == 1
    client.ws.close()
    studio.restart()  # a graceful stop ends version 1's work; it is still held when the new server runs it
    with studio.connect() as again:
        resumed = resume(again, started)
        assert resumed["state"] == "running" and resumed["versions"]["visuals"] == 2
        assert again.next_event(timeout=10)["version"] == 2
        studio.fakes.release("visuals")
        assert again.next_event(timeout=10)["version"] == 2
    history = httpx.get(f"{studio.http}/videos/{started['video_id']}", timeout=10, headers=studio.headers).json()["stages"]["visuals"]
    assert [(v["version"], v["status"]) for v in history["versions"]] == [(1, "cancelled"), (2, "completed")]


def test_creator_sessions_are_listed_beside_jobs_with_versions_feedback_and_acceptance(studio: Studio) -> None:
    with studio.connect() as client:
        started = start_moa(client)
        client.wait_completed("scenes")
        client.send({"action": "regenerate", "feedback": "fewer scenes"})
        client.wait_completed("scenes")
        client.accept()
        client.wait_completed("script")
    job = httpx.post(f"{studio.http}/create-moa", json=MOA, timeout=10, headers=studio.headers).json()
    listing = httpx.get(f"{studio.http}/videos", timeout=10, headers=studio.headers).json()["videos"]
    assert [(v["video_id"], v["mode"]) for v in listing] == [(job["video_id"], "auto"), (started["video_id"], "creator")]
    video = httpx.get(f"{studio.http}/videos/{started['video_id']}", timeout=10, headers=studio.headers).json()
    assert video["state"] == "awaiting_review" and video["current_stage"] == "script"
    scenes = video["stages"]["scenes"]
    assert scenes["accepted_version"] == 2
    assert [(v["version"], v["feedback"]) for v in scenes["versions"]] == [(1, None), (2, "fewer scenes")]


def test_hostile_messages_are_each_answered_and_the_connection_survives(tmp_path: Path) -> None:
    """A few thousand malformed and mutated messages on one connection: every one gets an error
    (or, for a mutation that happens to be valid, a normal answer), nothing crashes, and a valid
    session starts afterwards. (The per-connection rate limit is lifted, as for every test server:
    it has its own test.)"""
    studio = Studio(tmp_path / "data").start()
    rng = random.Random(20261126)
    valid = [json.dumps({"action": "start", "video_type": "moa", "payload": MOA}),
             '{"action": "accept"}', '{"action": "regenerate", "feedback": "shorter"}',
             '{"action": "resume", "video_id": "vid_000000000000", "resume_token": "abc"}', '{"action": "auto"}']
    hostile = ["[" * 20_000, "{\"a\":" * 10_000, '{"action": "accept", "x": ' + "[" * 5000 + "]" * 5000 + "}",
               "1e999999", "-" + "9" * 5000, '{"action": "\\ud800"}', "\x00\x01\x02", '"\\u0000"',
               '{"action": "start", "video_type": "moa", "payload": {"drug_name": "' + "\x07" * 100 + '"}}',
               '{"action": "regenerate", "feedback": ' + "9" * 4000 + "}", "{" * 30 + "}" * 30, "nul", ""]
    messages = list(hostile)
    alphabet = '{}[]":,\\ 0123456789aeiou\x00\x1f\u2028\ud7ff'
    while len(messages) < 2500:
        text = list(rng.choice(valid))
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(text) + 1)
            choice = rng.random()
            if choice < 0.4:
                text.insert(position, rng.choice(alphabet))
            elif choice < 0.8 and text:
                del text[min(position, len(text) - 1)]
            elif text:
                text[min(position, len(text) - 1)] = rng.choice(alphabet)
        messages.append("".join(text))
    with studio.connect() as client:
        for message in messages:
            client.send_raw(message)
            answer = client.next_event(timeout=10)
            assert answer["status"] in ("error", "session_started", "stopped"), (message[:80], answer)
            if answer["status"] != "error":
                client.ws.close()
                client = studio.connect()
        assert start_moa(client)["status"] == "session_started"
        client.ws.close()
    studio.stop()


@pytest.mark.parametrize("body", [b"[" * 20_000, b'{"drug_name": ' + b"[" * 5000, b"\xff\xfe", b"1e99999"])
def test_hostile_http_bodies_get_400_or_422_never_500(studio: Studio, body: bytes) -> None:
    response = httpx.post(f"{studio.http}/create-sm", content=body, timeout=10, headers=studio.headers)
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]


def test_the_python_client_resumes_a_session_and_finishes_it(studio: Studio) -> None:
    client = studio.connect()
    started = start_moa(client)
    client.wait_completed("scenes")
    client.ws.close()
    out = io.StringIO()
    path = asyncio.run(run(studio.ws_url, "moa", {}, auto=True, out=out, idle_timeout=10, token=studio.token,
                           resume=(started["video_id"], started["resume_token"])))
    assert f"Resumed {started['video_id']}: scenes is awaiting_review" in out.getvalue()
    assert Path(path).is_file() and started["video_id"] in path
    assert studio.fakes.calls["scenes"] == 1


def test_a_thousand_mutated_http_bodies_are_each_answered_without_a_server_error(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", max_queue=2000, webhook_allow_private=True).start()
    try:
        rng = random.Random(11)
        valid = json.dumps({"drug_name": "Metformin", "indication": "type 2 diabetes", "quality": "low",
                            "callback_url": "http://127.0.0.1:9/hook"})
        alphabet = '{}[]":,\\ 0123456789e-aeiou\x00\x1f\u2028'
        statuses = set()
        with httpx.Client(timeout=10, headers=studio.headers) as http:
            for _ in range(1000):
                text = list(valid)
                for _ in range(rng.randint(1, 4)):
                    position = min(rng.randrange(len(text) + 1), len(text) - 1)
                    if rng.random() < 0.5:
                        text.insert(position, rng.choice(alphabet))
                    else:
                        del text[position]
                response = http.post(f"{studio.http}/create-sm", content="".join(text).encode("utf-8", "surrogatepass"))
                assert response.status_code in (202, 400, 413, 422), (text, response.text)
                assert response.json().get("error") or response.status_code == 202
                statuses.add(response.status_code)
        assert {400, 422} <= statuses
    finally:
        studio.stop()
