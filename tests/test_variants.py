"""Choose any version, fork a session, and branch a stage into variants: over a real socket, on
the in-process server with instant fake stages. (Colour variants of real visuals drawn in one
Manim pass: tests/test_palettes_at_once.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from .inprocess import Studio

MOA = {"drug_name": "Aspirin", "condition": "cardiovascular disease"}


def test_choose_makes_an_earlier_version_the_one_under_review(studio: Studio) -> None:
    with studio.connect() as client:
        client.start("moa", MOA)
        client.wait_completed("scenes", timeout=10)
        client.accept()
        first = client.wait_completed("script", timeout=10)
        client.send({"action": "regenerate", "feedback": "shorter"})
        assert client.wait_completed("script", timeout=10)["version"] == 2
        client.send({"action": "choose", "version": 1})
        assert client.next_event(timeout=10) == first  # as it was first sent
        client.accept()
        assert client.wait_completed("visuals", timeout=10)["version"] == 1
    history = httpx.get(f"{studio.http}/videos", headers=studio.headers, timeout=10).json()["videos"][0]
    video = httpx.get(f"{studio.http}/videos/{history['video_id']}", headers=studio.headers, timeout=10).json()
    assert video["stages"]["script"]["accepted_version"] == 1


@pytest.mark.parametrize("version", [3, 0, -1])
def test_choosing_a_version_that_does_not_exist_names_version(studio: Studio, version: int) -> None:
    with studio.connect() as client:
        client.start("moa", MOA)
        client.wait_completed("scenes", timeout=10)
        client.send({"action": "choose", "version": version})
        refused = client.next_refusal()
        assert refused["code"] == "invalid_field" and refused["fields"][0]["field"] == "version"
        assert "completed versions: 1" in refused["error"]


def test_a_failed_version_cannot_be_chosen_but_a_completed_one_can_after_a_restart(studio: Studio) -> None:
    client = studio.connect()
    started = client.start("moa", MOA)
    client.wait_completed("scenes", timeout=10)
    studio.fakes.fail("scenes")
    client.send({"action": "regenerate"})
    client.next_event(timeout=10)
    assert client.next_event(timeout=10)["status"] == "error"
    client.send({"action": "choose", "version": 2})
    assert client.next_refusal()["fields"][0]["field"] == "version"
    client.ws.close()
    studio.restart()
    with studio.connect() as again:
        again.send({"action": "resume", "video_id": started["video_id"], "resume_token": started["resume_token"]})
        assert again.next_event(timeout=10)["state"] == "error"
        again.next_event(timeout=10)
        again.send({"action": "choose", "version": 1})
        chosen = again.next_event(timeout=10)
        assert (chosen["status"], chosen["stage"], chosen["version"]) == ("completed", "scenes", 1)


def test_a_fork_shares_files_by_links_and_survives_deleting_the_original(studio: Studio) -> None:
    with studio.connect() as client:
        original = client.start("moa", MOA)
        client.advance_to("render", timeout=10)
        render = client.wait_completed("render", timeout=10)
        client.send({"action": "fork"})
        forked = client.next_event(timeout=10)
    assert forked["status"] == "forked" and forked["from"] == original["video_id"]
    assert forked["video_id"] != original["video_id"] and len(forked["resume_token"]) >= 22
    relative = render["data"]["video_url"].split("/files/", 1)[1]
    source, copy = (studio.data_dir / v / relative for v in (original["video_id"], forked["video_id"]))
    assert source.stat().st_ino == copy.stat().st_ino  # one file, two names: nothing copied or rendered
    renders = studio.fakes.calls["render"]

    shutil.rmtree(studio.data_dir / original["video_id"])
    with studio.connect() as client:
        client.send({"action": "resume", "video_id": forked["video_id"], "resume_token": forked["resume_token"]})
        resumed = client.next_event(timeout=10)
        assert (resumed["state"], resumed["current_stage"]) == ("awaiting_review", "render")
        assert resumed["accepted"] == {"scenes": 1, "script": 1, "visuals": 1, "tts": 1}
        replay = client.next_event(timeout=10)
        assert replay["version"] == 1 and forked["video_id"] in replay["data"]["video_url"]
        served = httpx.get(replay["data"]["video_url"], headers=studio.headers, timeout=10)
        assert served.status_code == 200 and served.content.startswith(b"fake video")
        # The fork goes its own way: a new version is numbered past the original's.
        client.send({"action": "regenerate"})
        assert client.wait_completed("render", timeout=10)["version"] == 2
    assert studio.fakes.calls["render"] == renders + 1


def test_fork_is_refused_while_a_stage_runs(studio: Studio) -> None:
    studio.fakes.hold("scenes")
    with studio.connect() as client:
        client.start("moa", MOA)
        assert client.next_event(timeout=10)["status"] == "stage_running"
        client.send({"action": "fork"})
        assert "fork when no stage runs" in client.next_refusal()["error"]


def test_a_branch_runs_each_variant_then_compares_them_and_choose_picks_one(studio: Studio) -> None:
    with studio.connect() as client:
        client.start("moa", MOA)
        client.wait_completed("scenes", timeout=10)
        client.accept()
        client.wait_completed("script", timeout=10)
        client.send({"action": "branch", "variants": [{"feedback": "more formal"}, {"feedback": "warmer"},
                                                      {"feedback": "please fail"}]})
        ended: dict[int, dict] = {}
        while True:
            event = client.next_event(timeout=10)
            if event["status"] == "variants_ready":
                break
            if event["status"] != "stage_running":
                ended[event["version"]] = event
        assert {v: e["status"] for v, e in ended.items()} == {2: "completed", 3: "completed", 4: "error"}
        assert event["stage"] == "script" and event["versions"] == [2, 3, 4]
        comparison = event["comparison"]
        assert comparison["base_version"] == 1 and comparison["versions"]["1"]["under_review"] is True
        assert comparison["versions"]["4"] == {"error": "the fake script stage was told to fail"}
        warmer = comparison["versions"]["3"]
        said = " ".join(s["text"] for s in ended[3]["data"]["script"]["scenes"])
        assert warmer["word_count"] == len(said.split()) and warmer["seconds"] == 9.0
        changed = [run for run in warmer["diff"] if run["op"] != "equal"]
        assert changed and all("warmer" in run.get("variant", "") or run["op"] == "replace" for run in changed)
        assert " ".join(run.get("variant", run.get("base", "")) for run in warmer["diff"]
                        if run["op"] != "delete") == said
        client.send({"action": "choose", "version": 3})
        assert client.next_event(timeout=10) == ended[3]
        client.accept()
        assert client.wait_completed("visuals", timeout=10)["version"] == 1
    assert {(stage, scenes) for stage, scenes in studio.fakes.runs if stage == "script"} == {("script", None)}


def test_a_branch_needs_two_to_four_variants_and_respects_the_attempt_limit(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", max_attempts_per_stage=3).start()
    try:
        with studio.connect() as client:
            client.start("moa", MOA)
            client.wait_completed("scenes", timeout=10)
            client.send({"action": "branch", "variants": [{"feedback": "a"}]})
            refused = client.next_refusal()
            assert refused["code"] == "invalid_field" and "'variants' must have at least 2" in refused["error"]
            client.send({"action": "branch", "variants": [{}, {}, {}]})
            assert client.next_refusal()["code"] == "regeneration_limit"
            client.send({"action": "branch", "variants": [{}, {}]})
            while client.next_event(timeout=10)["status"] != "variants_ready":
                pass
    finally:
        studio.stop()
