"""The render's work ahead: it runs while the reviewer listens to a new voice, only in process
slots nobody else wants; it stops when any stage runs or the session stops, and pauses while
another session's stage needs its slot. (The real work, encoding the cut, is checked by the
render tests; the pause, by the scene chunks' eviction test.)"""

from __future__ import annotations

import threading
import time
from typing import Callable

import pytest

from creator_service.processes import WANTED_QUIET_SECONDS, CancelToken, Evicted, ProcessSlots, StageCancelled

from .inprocess import Studio

MOA = {"drug_name": "Aspirin", "condition": "cardiovascular disease"}
AD = {"topic": "New diabetes medication", "brand_name": "DiabetEase", "persona": "narrator", "tone": "clear"}


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)


def test_the_render_works_ahead_while_the_voice_is_reviewed_and_stops_when_the_render_starts(studio: Studio) -> None:
    with studio.connect() as client:
        client.start("moa", MOA)
        client.advance_to("tts", timeout=10)
        assert studio.fakes.aheads == []  # nothing ahead before the voice is there to review
        client.wait_completed("tts", timeout=10)
        eventually(lambda: studio.fakes.aheads == ["started"])
        client.accept()
        client.wait_completed("render", timeout=10)
        # Cancelled before the render ran: it never competes with the stage it works for.
        assert studio.fakes.aheads == ["started", "cancelled"]


def test_the_work_ahead_is_for_the_voice_under_review_and_a_new_voice_a_choice_or_a_stop_ends_it(
        studio: Studio) -> None:
    with studio.connect() as client:
        client.start("moa", MOA)
        client.advance_to("tts", timeout=10)
        client.wait_completed("tts", timeout=10)
        eventually(lambda: studio.fakes.aheads == ["started"])
        client.send({"action": "regenerate", "feedback": "slower"})
        client.wait_completed("tts", timeout=10)
        eventually(lambda: studio.fakes.aheads == ["started", "cancelled", "started"])
        assert studio.fakes.ahead_voices == ["fake v1", "fake v2"]
        # Another version chosen: the work for the one before is cancelled, and begun for it.
        client.send({"action": "choose", "version": 1})
        chosen = client.next_event(timeout=10)  # version 1, under review again
        assert (chosen["status"], chosen["stage"], chosen["version"]) == ("completed", "tts", 1)
        eventually(lambda: studio.fakes.aheads == ["started", "cancelled"] * 2 + ["started"])
        assert studio.fakes.ahead_voices == ["fake v1", "fake v2", "fake v1"]
        client.send({"action": "stop"})
        assert client.next_event(timeout=10)["status"] == "stopped"
        eventually(lambda: studio.fakes.aheads == ["started", "cancelled"] * 3)


def test_the_work_ahead_starts_again_after_a_restart_and_in_a_fork(studio: Studio) -> None:
    with studio.connect() as client:
        started = client.start("moa", MOA)
        client.advance_to("tts", timeout=10)
        client.wait_completed("tts", timeout=10)
        eventually(lambda: studio.fakes.aheads == ["started"])
    studio.restart()  # the server going down cancels it
    assert studio.fakes.aheads == ["started", "cancelled"]
    with studio.connect() as client:
        client.send({"action": "resume", "video_id": started["video_id"], "resume_token": started["resume_token"]})
        assert client.next_event(timeout=10)["state"] == "awaiting_review"
        eventually(lambda: studio.fakes.aheads == ["started", "cancelled", "started"])
        client.next_event(timeout=10)  # the voice's `completed`, replayed
        client.send({"action": "fork"})
        assert client.next_event(timeout=10)["status"] == "forked"
        # The fork, at the same review, works ahead in its own folder.
        eventually(lambda: studio.fakes.aheads.count("started") == 3)


def test_a_remotion_video_works_ahead_once_its_animations_are_accepted(studio: Studio) -> None:
    with studio.connect() as client:
        client.start("product_ad", AD)
        client.advance_to("tts", timeout=10)
        client.wait_completed("tts", timeout=10)
        eventually(lambda: studio.fakes.aheads == ["started"])


def test_no_work_ahead_while_a_stage_the_render_reads_is_still_to_come(studio: Studio) -> None:
    # The voice first: the render's scenes are not made yet, so there is nothing to work on.
    order = ["scenes", "script", "tts", "visuals", "animations", "render"]
    with studio.connect() as client:
        client.send({"action": "start", "video_type": "product_ad", "payload": AD, "stage_order": order})
        assert client.next_event(timeout=10)["status"] == "session_started"
        client.stage_order = order
        client.advance_to("tts", timeout=10)
        client.wait_completed("tts", timeout=10)
        time.sleep(0.3)
        assert studio.fakes.aheads == []
        client.accept()
        client.wait_completed("visuals", timeout=10)
        time.sleep(0.3)
        assert studio.fakes.aheads == []


# ---- process slots ---------------------------------------------------------------------------


def hold_in_thread(slots: ProcessSlots, cancel: CancelToken, *, background: bool,
                   release: threading.Event) -> tuple[threading.Thread, threading.Event, list[str]]:
    """A holder in a thread of its own: it sets `holding` once it has its slot, keeps it until
    `release` (or the token its hold gives is cancelled), and records how it ended."""
    holding, ended = threading.Event(), []

    def run() -> None:
        try:
            with slots.hold(cancel, background=background) as held:
                holding.set()
                while not release.is_set():
                    if held.wait(0.01):
                        raise StageCancelled()
            ended.append("released")
        except Evicted:
            ended.append("evicted")
        except StageCancelled:
            ended.append("cancelled")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, holding, ended


def test_background_work_takes_only_a_free_slot() -> None:
    slots, done = ProcessSlots(1), threading.Event()
    _, stage_holds, _ = hold_in_thread(slots, CancelToken(), background=False, release=done)
    assert stage_holds.wait(2)
    ahead, ahead_holds, ended = hold_in_thread(slots, CancelToken(), background=True, release=threading.Event())
    assert not ahead_holds.wait(0.5)  # waits: it never makes a stage wait for it
    done.set()
    assert ahead_holds.wait(2) and ended == []


@pytest.mark.parametrize("how", ["hold", "try_acquire"])
def test_a_stage_that_finds_no_free_slot_evicts_background_work_without_cancelling_it(how: str) -> None:
    slots, token = ProcessSlots(1), CancelToken()
    ahead, ahead_holds, ended = hold_in_thread(slots, token, background=True, release=threading.Event())
    assert ahead_holds.wait(2)
    # The background holder would keep its slot forever: the stage gets it only by eviction.
    if how == "hold":
        with slots.hold(CancelToken()):
            pass
    else:
        assert slots.try_acquire()  # a second slot, as a stage asks for one: given up at once
        slots.release()
    ahead.join(2)
    # Its child is gone with the slot (the token its hold gave), but the work goes on.
    assert ended == ["evicted"] and not token.cancelled


def test_evicted_work_takes_a_free_slot_again_once_no_stage_has_wanted_one_for_a_while() -> None:
    slots, token, stage_done = ProcessSlots(1), CancelToken(), threading.Event()
    _, ahead_holds, ended = hold_in_thread(slots, token, background=True, release=threading.Event())
    assert ahead_holds.wait(2)
    _, stage_holds, _ = hold_in_thread(slots, CancelToken(), background=False, release=stage_done)
    assert stage_holds.wait(2 + WANTED_QUIET_SECONDS) and ended == ["evicted"]
    stage_done.set()
    # The same work, back for a slot: not while a stage may still be after the free one.
    _, again, ended_again = hold_in_thread(slots, token, background=True, release=threading.Event())
    assert not again.wait(WANTED_QUIET_SECONDS / 2)
    assert again.wait(2 + WANTED_QUIET_SECONDS) and ended_again == []
    token.cancel()
    eventually(lambda: ended_again == ["cancelled"])


def test_work_cancelled_while_it_waits_for_a_slot_is_cancelled_not_evicted() -> None:
    slots, token, stage_done = ProcessSlots(1), CancelToken(), threading.Event()
    _, stage_holds, _ = hold_in_thread(slots, CancelToken(), background=False, release=stage_done)
    assert stage_holds.wait(2)
    _, ahead_holds, ended = hold_in_thread(slots, token, background=True, release=threading.Event())
    token.cancel()
    eventually(lambda: ended == ["cancelled"])
    assert not ahead_holds.is_set()
    stage_done.set()
