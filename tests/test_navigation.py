"""Moving through the pipeline: a custom stage order, goto with reuse, skip, attempt limits and
stage timeouts. Over a real socket, on the in-process server with instant fake stages (one test
renders for real, to see a timeout kill real children)."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from creator_service.auth.users import UserDirectory
from creator_service.client import ClientFailure, run
from creator_service.deliveries import Outbox
from creator_service.store import SessionStore

from .fake_stages import fake_settings
from .fakes import FakeProviders
from .helpers import SOCIAL_BRIEF, Creator, processes_mentioning, running_server, wait_for_render_processes
from .inprocess import Studio

MOA = {"drug_name": "Aspirin", "condition": "cardiovascular disease"}
AD = {"topic": "New diabetes medication", "brand_name": "DiabetEase", "persona": "narrator", "tone": "clear"}


def start(client: Creator, video_type: str, payload: dict[str, Any], order: list[str] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"action": "start", "video_type": video_type, "payload": payload}
    if order is not None:
        message["stage_order"] = order
    client.send(message)
    answer = client.next_event(timeout=10)
    if answer["status"] == "session_started":
        client.stage_order = answer["stage_order"]
    return answer



# ---- stage order --------------------------------------------------------------------------


def test_a_custom_order_that_respects_the_dependencies_runs_as_given(studio: Studio) -> None:
    order = ["scenes", "script", "tts", "visuals", "animations", "render"]
    with studio.connect() as client:
        assert start(client, "product_ad", AD, order)["stage_order"] == order
        accept_every_stage(client, order)
    # Each stage is told what follows it in this session's order (composed_again.py reads it).
    assert studio.fakes.later["tts"] == ("visuals", "animations", "render")
    assert studio.fakes.later["visuals"] == ("animations", "render")
    assert studio.fakes.later["render"] == ()


def accept_every_stage(client: Creator, order: list[str]) -> None:
    for stage in order:
        client.wait_completed(stage, timeout=10)
        client.accept()
    assert client.next_event(timeout=10)["status"] == "pipeline_complete"


def test_an_optional_stage_may_be_left_out_of_the_order(studio: Studio) -> None:
    order = ["scenes", "script", "visuals", "tts", "render"]
    with studio.connect() as client:
        assert start(client, "product_ad", AD, order)["stage_order"] == order
        accept_every_stage(client, order)
    assert studio.fakes.calls["animations"] == 0
    assert studio.fakes.later["visuals"] == ("tts", "render")


@pytest.mark.parametrize(("order", "words"), [
    (["scenes", "script", "visuals", "render", "tts"], "'render' must come last"),
    (["scenes", "visuals", "script", "tts", "render"], "stage 'visuals' reads 'script', so 'script' must come before it"),
    (["script", "scenes", "visuals", "tts", "render"], "stage 'script' reads 'scenes'"),
    (["scenes", "script", "visuals", "render"], "stage 'tts' is required"),
    (["scenes", "script", "visuals", "tts", "tts", "render"], "'tts' appears more than once"),
    (["scenes", "script", "visuals", "animations", "tts", "render"], "'animations' is not a stage of moa"),
])
def test_a_bad_order_is_refused_naming_the_stage_and_the_rule(studio: Studio, order: list[str], words: str) -> None:
    with studio.connect() as client:
        refused = start(client, "moa", MOA, order)
        assert refused["code"] == "invalid_stage_order" and words in refused["error"], refused
        assert refused["fields"][0]["field"] == "stage_order"
        assert start(client, "moa", MOA)["status"] == "session_started"  # the connection goes on


# ---- goto ---------------------------------------------------------------------------------


def test_goto_offers_the_accepted_version_and_unchanged_later_stages_are_reused(studio: Studio) -> None:
    with studio.connect() as client:
        start(client, "moa", MOA)
        completed = client.advance_to("visuals", timeout=10)
        visuals = client.wait_completed("visuals", timeout=10)
        client.send({"action": "goto", "stage": "script"})
        again = client.next_event(timeout=10)
        assert again == completed["script"]  # the accepted version, as it was first sent
        client.accept()
        reused = client.next_event(timeout=10)
        assert reused["status"] == "completed" and reused["stage"] == "visuals" and reused["version"] == 1
        assert reused["data"].pop("reused") is True and reused["data"] == visuals["data"]
    assert studio.fakes.calls["visuals"] == 1  # no work done


def test_after_goto_a_changed_stage_makes_the_stages_that_read_it_run_again(studio: Studio) -> None:
    with studio.connect() as client:
        start(client, "moa", MOA)
        client.advance_to("tts", timeout=10)
        client.wait_completed("tts", timeout=10)
        client.send({"action": "goto", "stage": "script"})
        client.next_event(timeout=10)
        client.send({"action": "regenerate", "feedback": "third scene is wrong"})
        assert client.wait_completed("script", timeout=10)["version"] == 2
        client.accept()
        # visuals and tts read the script: both run again, as version 2.
        assert client.wait_completed("visuals", timeout=10)["version"] == 2
        client.accept()
        assert client.wait_completed("tts", timeout=10)["version"] == 2
        client.accept()
        assert client.wait_completed("render", timeout=10)["version"] == 1
        client.accept()
        assert client.next_event(timeout=10)["status"] == "pipeline_complete"


def test_goto_after_the_video_is_complete_reopens_it(studio: Studio) -> None:
    with studio.connect() as client:
        start(client, "moa", MOA)
        client.advance_to("render", timeout=10)
        client.wait_completed("render", timeout=10)
        client.accept()
        assert client.next_event(timeout=10)["status"] == "pipeline_complete"
        client.send({"action": "goto", "stage": "tts"})
        assert client.next_event(timeout=10)["stage"] == "tts"
        client.accept()
        render = client.next_event(timeout=10)
        assert render["stage"] == "render" and render["data"]["reused"] is True
        client.accept()
        assert client.next_event(timeout=10)["status"] == "pipeline_complete"


def test_goto_while_a_stage_runs_or_to_a_stage_not_reached_is_refused(studio: Studio) -> None:
    studio.fakes.hold("script")
    with studio.connect() as client:
        start(client, "moa", MOA)
        client.wait_completed("scenes", timeout=10)
        client.send({"action": "goto", "stage": "render"})
        assert "'render' has not been reached yet" in client.next_refusal()["error"]
        client.accept()
        client.send({"action": "goto", "stage": "scenes"})
        refused = client.next_refusal()
        assert refused["code"] == "action_not_allowed" and "'script' is running" in refused["error"]


# ---- skip ---------------------------------------------------------------------------------


def test_an_optional_stage_awaiting_review_is_skipped_and_the_render_does_without_it(studio: Studio) -> None:
    with studio.connect() as client:
        start(client, "product_ad", AD)
        client.advance_to("animations", timeout=10)
        client.wait_completed("animations", timeout=10)
        client.send({"action": "skip"})
        assert client.next_event(timeout=10) == {"status": "stage_skipped", "stage": "animations"}
        for stage in ("tts", "render"):
            client.wait_completed(stage, timeout=10)
            client.accept()
        assert client.next_event(timeout=10)["status"] == "pipeline_complete"


def test_a_running_optional_stage_is_skipped_and_its_work_cancelled(studio: Studio) -> None:
    studio.fakes.hold("animations")
    with studio.connect() as client:
        started = start(client, "product_ad", AD)
        client.advance_to("animations", timeout=10)
        assert client.next_event(timeout=10)["stage"] == "animations"
        client.send({"action": "skip"})
        assert client.next_event(timeout=10) == {"status": "stage_skipped", "stage": "animations"}
        assert client.wait_completed("tts", timeout=10)["version"] == 1
    attempts = SessionStore(studio.data_dir / "creator.db").attempts(started["video_id"])
    assert [(a.stage, a.status) for a in attempts if a.stage == "animations"] == [("animations", "cancelled")]


def test_skipping_a_required_stage_is_refused_naming_the_stages_that_need_it(studio: Studio) -> None:
    with studio.connect() as client:
        start(client, "product_ad", AD)
        client.advance_to("visuals", timeout=10)
        client.wait_completed("visuals", timeout=10)
        client.send({"action": "skip"})
        refused = client.next_refusal()
        assert refused["code"] == "action_not_allowed"
        assert "stage 'visuals' cannot be skipped: animations, render need it" in refused["error"]
        client.accept()  # the session goes on
        assert client.wait_completed("animations", timeout=10)["version"] == 1


# ---- limits and timeouts ------------------------------------------------------------------


def test_regenerate_past_the_attempt_limit_is_refused_and_the_session_survives(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", max_attempts_per_stage=2).start()
    try:
        with studio.connect() as client:
            start(client, "moa", MOA)
            client.wait_completed("scenes", timeout=10)
            client.send({"action": "regenerate"})
            assert client.wait_completed("scenes", timeout=10)["version"] == 2
            client.send({"action": "regenerate"})
            refused = client.next_refusal()
            assert refused["code"] == "regeneration_limit" and "2 attempts" in refused["error"]
            assert (refused["attempts"], refused["limit"]) == (2, 2)
            client.accept()
            assert client.wait_completed("script", timeout=10)["version"] == 1
    finally:
        studio.stop()


def test_a_stage_past_its_timeout_is_a_stage_error_and_regenerate_retries(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", stage_timeouts={"script": 0.5}).start()
    try:
        studio.fakes.hold("script")
        with studio.connect() as client:
            start(client, "moa", MOA)
            client.wait_completed("scenes", timeout=10)
            client.accept()
            assert client.next_event(timeout=10)["status"] == "stage_running"
            error = client.next_event(timeout=10)
            assert error["status"] == "error" and error["error"] == "script timed out after 0.5 s"
            studio.fakes.release("script")
            client.send({"action": "regenerate"})
            assert client.wait_completed("script", timeout=10)["version"] == 2
    finally:
        studio.stop()


@pytest.mark.render
def test_a_timed_out_stage_leaves_no_child_processes(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", CREATOR_STAGE_TIMEOUT_VISUALS="4") as server:
        with Creator(server.ws_url, server.token) as client:
            video_id = client.start("social_media", {**SOCIAL_BRIEF, "quality": "high"})["video_id"]
            client.advance_to("visuals")
            assert client.next_event()["stage"] == "visuals"
            wait_for_render_processes(video_id)
            error = client.next_event(timeout=30)
            assert error["status"] == "error" and error["error"] == "visuals timed out after 4 s"
            gone = time.monotonic()
            while processes_mentioning(video_id):
                assert time.monotonic() - gone < 5, "the timed-out stage's processes are still running"
                time.sleep(0.05)


def test_the_python_client_goes_back_and_skips(studio: Studio) -> None:
    answers = iter(["a", "a", "a", "k", "g", "script", "a", "a", "a", "s"])
    out = io.StringIO()
    with pytest.raises(ClientFailure, match="stopped"):
        asyncio.run(run(studio.ws_url, "product_ad", AD, auto=False, out=out, ask=lambda _: next(answers),
                        idle_timeout=10, token=studio.token))
    text = out.getvalue()
    assert "animations skipped" in text
    assert text.count("== script v1") == 2  # offered again after the goto
    assert "(offered again: nothing this stage reads has changed)" in text
    assert studio.fakes.calls["script"] == 1 and studio.fakes.calls["tts"] == 1


# ---- stage webhooks -------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[FakeProviders]:
    running = FakeProviders().start()
    yield running
    running.stop()


def wait_for_hooks(receiver: FakeProviders, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while len(receiver.seen("webhook")) < count:
        assert time.monotonic() < deadline, [r.body for r in receiver.seen("webhook")]
        time.sleep(0.05)
    return [r.body for r in receiver.seen("webhook")]


def test_a_stage_webhook_hears_every_completion_error_and_the_end(tmp_path: Path,
                                                                   receiver: FakeProviders) -> None:
    studio = Studio(tmp_path / "data", webhook_allow_private=True).start()
    try:
        hook = f"{receiver.base}/hooks/job"
        studio.fakes.fail("tts")
        with studio.connect() as client:
            client.send({"action": "start", "video_type": "moa", "payload": MOA, "callback_url": hook})
            started = client.next_event(timeout=10)
            client.stage_order = started["stage_order"]
            client.advance_to("tts", timeout=10)
            assert client.next_event(timeout=10)["status"] == "stage_running"
            assert client.next_event(timeout=10)["status"] == "error"
            studio.fakes.succeed("tts")
            client.send({"action": "regenerate"})
            client.wait_completed("tts", timeout=10)
            client.accept()
            client.wait_completed("render", timeout=10)
            client.accept()
            assert client.next_event(timeout=10)["status"] == "pipeline_complete"
        bodies = wait_for_hooks(receiver, 7)
        assert [(b["stage"], b["version"], b["status"]) for b in bodies] == [
            ("scenes", 1, "completed"), ("script", 1, "completed"), ("visuals", 1, "completed"),
            ("tts", 1, "error"), ("tts", 2, "completed"), ("render", 1, "completed"),
            ("render", 1, "pipeline_complete")]
        assert len({b["delivery_id"] for b in bodies}) == len(bodies)
        assert all(b["video_id"] == started["video_id"] for b in bodies)
        assert bodies[0]["status_url"] == f"{studio.http}/videos/{started['video_id']}"
        assert "fake tts stage was told to fail" in bodies[3]["error"]
    finally:
        studio.stop()


def test_an_unsafe_stage_webhook_is_refused_at_start(studio: Studio) -> None:
    with studio.connect() as client:
        client.send({"action": "start", "video_type": "moa", "payload": MOA,
                     "callback_url": "http://169.254.169.254/latest"})
        refused = client.next_event(timeout=10)
        assert refused["code"] == "invalid_field" and refused["fields"][0]["field"] == "callback_url"


def test_a_delivery_a_dead_server_left_pending_is_sent_after_the_restart(tmp_path: Path,
                                                                          receiver: FakeProviders) -> None:
    studio = Studio(tmp_path / "data", webhook_allow_private=True).start()
    with studio.connect() as client:
        video_id = client.start("moa", MOA)["video_id"]
    studio.stop()
    # What a server killed between storing a delivery and sending it leaves behind.
    store = SessionStore(studio.data_dir / "creator.db")
    left = Outbox(store, UserDirectory(store), fake_settings(studio.data_dir)).enqueue(
        video_id, "admin", f"{receiver.base}/hooks/job", {"video_id": video_id, "stage": "scenes", "version": 1,
                                                          "status": "completed"})
    store.close()
    studio.start()
    try:
        [body] = wait_for_hooks(receiver, 1)
        assert body["delivery_id"] == left and body["video_id"] == video_id
        deadline = time.monotonic() + 10
        while True:
            status = httpx.get(f"{studio.http}/videos/{video_id}", headers=studio.headers, timeout=10).json()
            if status["webhooks"] and status["webhooks"][0]["status"] == "delivered":
                break
            assert time.monotonic() < deadline, status["webhooks"]
            time.sleep(0.1)
    finally:
        studio.stop()


# ---- one scene at a time ------------------------------------------------------------------


@pytest.mark.parametrize(("scenes", "words"), [
    ([], "must name at least one scene"),
    ([1, 1], "names scene 1 more than once"),
    ([3], "scene 3 is out of range: this video has 3 scenes (0 to 2)"),
    ([-1], "scene -1 is out of range"),
    ("2", "must be a list of scene numbers"),
])
def test_bad_scene_lists_are_refused_naming_scenes(studio: Studio, scenes: Any, words: str) -> None:
    with studio.connect() as client:
        start(client, "moa", MOA)
        client.advance_to("visuals", timeout=10)
        client.wait_completed("visuals", timeout=10)
        client.send({"action": "regenerate", "scenes": scenes})
        refused = client.next_refusal()
        assert refused["code"] == "invalid_field" and refused["fields"][0]["field"] == "scenes"
        assert words in refused["error"], refused
        client.send({"action": "regenerate", "scenes": [1], "feedback": "warmer"})  # the session goes on
        assert client.wait_completed("visuals", timeout=10)["version"] == 2
    assert ("visuals", frozenset({1})) in studio.fakes.runs


def test_scenes_are_refused_on_the_scenes_stage(studio: Studio) -> None:
    with studio.connect() as client:
        start(client, "moa", MOA)
        client.wait_completed("scenes", timeout=10)
        client.send({"action": "regenerate", "scenes": [0]})
        refused = client.next_refusal()
        assert refused["fields"][0]["field"] == "scenes" and "not on the scenes stage" in refused["error"]
