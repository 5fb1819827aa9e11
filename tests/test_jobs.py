"""The automated endpoints and their durable jobs: contract, queue, cancel, Range, webhooks,
and a job that survives `kill -9` of the real server."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from creator_service.client import EXAMPLE_PAYLOADS
from creator_service.video_types import VIDEO_TYPES

from .fakes import FakeProviders
from .helpers import Server, assert_broadcast_loudness, ffprobe, processes_mentioning, running_server

TYPE_TO_ENDPOINT = {name: video_type.endpoint for name, video_type in VIDEO_TYPES.items()}
FAST = {**EXAMPLE_PAYLOADS["social_media"], "quality": "low"}


def wait_for(server: Server, video_id: str, statuses: tuple[str, ...], timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = httpx.get(f"{server.http}/videos/{video_id}", timeout=10, headers=server.headers).json()
        if job["status"] in statuses:
            return job
        assert time.monotonic() < deadline, f"job stuck at {job}"
        time.sleep(0.3)


def submit(server: Server, video_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{server.http}{TYPE_TO_ENDPOINT[video_type]}", json=payload, timeout=10, headers=server.headers)
    assert response.status_code == 202, response.text
    return response.json()


@pytest.fixture(scope="module")
def hooks() -> Iterator[FakeProviders]:
    receiver = FakeProviders().start()
    yield receiver
    receiver.stop()


@pytest.mark.parametrize("video_type", list(TYPE_TO_ENDPOINT))
def test_an_invalid_payload_is_422_naming_each_field(server: Server, video_type: str) -> None:
    response = httpx.post(f"{server.http}{TYPE_TO_ENDPOINT[video_type]}",
                          json={"quality": "ultra", "colour": "red"}, timeout=10, headers=server.headers)
    assert response.status_code == 422
    fields = {f["field"]: f["error"] for f in response.json()["fields"]}
    assert fields["quality"] == "must be one of 'low' or 'high', got 'ultra'"
    assert fields["colour"].startswith("is not a known field")
    required = {"product_ad": "topic", "compliance_video": "prompt", "moa": "drug_name",
                "doctor_ad": "drug_name", "social_media": "drug_name"}[video_type]
    assert fields[required] == "is required"


def test_bodies_that_are_not_briefs_are_refused(server: Server) -> None:
    assert httpx.post(f"{server.http}/create-sm", content=b"{nope", timeout=10, headers=server.headers).status_code == 400
    response = httpx.post(f"{server.http}/create-sm", json=[1, 2], timeout=10, headers=server.headers)
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "body"
    response = httpx.post(f"{server.http}/create-sm", json={**FAST, "callback_url": "file:///etc/passwd"}, timeout=10, headers=server.headers)
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "callback_url"


def test_a_job_runs_to_a_video_with_range_support_and_a_webhook(server: Server, hooks: FakeProviders) -> None:
    hooks.set("webhook", "500", times=1)  # the first delivery fails: it is retried
    created = submit(server, "social_media", {**FAST, "callback_url": f"{hooks.base}/hooks/job"})
    assert set(created) == {"video_id", "status", "status_url"} and created["status"] == "queued"
    assert created["status_url"] == f"{server.http}/videos/{created['video_id']}"
    job = wait_for(server, created["video_id"], ("complete", "failed"))
    assert job["status"] == "complete", job
    assert job["video_type"] == "social_media" and job["current_stage"] is None and job["error"] is None
    assert job["progress"] == {"current": 5, "total": 5}
    assert list(job["stages"]) == ["scenes", "script", "visuals", "tts", "render"]
    assert job["stages"]["render"]["data"]["duration"] > 15
    assert job["video_url"] == f"{server.http}/videos/{created['video_id']}/video"

    whole = httpx.get(job["video_url"], timeout=30, headers=server.headers)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    part = httpx.get(job["video_url"], headers={"Range": "bytes=1000-1999", **server.headers}, timeout=30)
    assert part.status_code == 206 and part.content == whole.content[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(whole.content)}"

    deadline = time.monotonic() + 15
    while len(hooks.seen("webhook")) < 2:
        assert time.monotonic() < deadline, "the webhook was not retried"
        time.sleep(0.2)
    delivered = hooks.seen("webhook")[-1].body
    assert delivered["video_id"] == created["video_id"] and delivered["status"] == "complete"
    # The server's real port, not a configured one: URLs come from the request the job came in on.
    assert delivered["video_url"] == f"{server.http}/videos/{created['video_id']}/video"
    assert delivered["status_url"] == f"{server.http}/videos/{created['video_id']}"


def test_videos_are_listed_newest_first_and_paginated(server: Server) -> None:
    ids = [submit(server, "social_media", FAST)["video_id"] for _ in range(3)]
    for video_id in ids:
        httpx.delete(f"{server.http}/videos/{video_id}", timeout=30, headers=server.headers)
    page = httpx.get(f"{server.http}/videos", params={"limit": 2}, timeout=10, headers=server.headers).json()
    assert [v["video_id"] for v in page["videos"]] == ids[::-1][:2]
    assert page["limit"] == 2 and page["next_offset"] == 2 and page["total"] >= 3
    following = httpx.get(f"{server.http}/videos", params={"limit": 2, "offset": 2}, timeout=10, headers=server.headers).json()
    assert following["videos"][0]["video_id"] == ids[0]


def test_unknown_videos_are_404(server: Server) -> None:
    for path in ("/videos/vid_000000000000", "/videos/vid_000000000000/video", "/videos/nonsense"):
        assert httpx.get(f"{server.http}{path}", timeout=10, headers=server.headers).status_code == 404
    assert httpx.delete(f"{server.http}/videos/vid_000000000000", timeout=10, headers=server.headers).status_code == 404


def test_cancel_ends_the_jobs_processes(server: Server) -> None:
    video_id = submit(server, "moa", {**EXAMPLE_PAYLOADS["moa"], "quality": "high"})["video_id"]
    deadline = time.monotonic() + 60
    while not processes_mentioning(video_id):
        assert time.monotonic() < deadline, "the job started no render process"
        time.sleep(0.1)
    response = httpx.delete(f"{server.http}/videos/{video_id}", timeout=30, headers=server.headers)
    assert response.status_code == 200 and response.json() == {"video_id": video_id, "status": "cancelled"}
    started = time.monotonic()
    while processes_mentioning(video_id):
        assert time.monotonic() - started < 5, "the cancelled job's processes are still running"
        time.sleep(0.05)
    job = httpx.get(f"{server.http}/videos/{video_id}", timeout=10, headers=server.headers).json()
    assert job["status"] == "cancelled" and job["video_url"] is None
    assert httpx.get(f"{server.http}/videos/{video_id}/video", timeout=10, headers=server.headers).status_code == 409
    assert httpx.delete(f"{server.http}/videos/{video_id}", timeout=10, headers=server.headers).status_code == 409


def test_a_full_queue_answers_429_with_retry_after(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", CREATOR_MAX_JOBS="1", CREATOR_MAX_QUEUE="1") as small:
        running = submit(small, "moa", {**EXAMPLE_PAYLOADS["moa"], "quality": "high"})["video_id"]
        wait_for(small, running, ("running",))
        waiting = submit(small, "moa", EXAMPLE_PAYLOADS["moa"])["video_id"]
        refused = httpx.post(f"{small.http}/create-moa", json=EXAMPLE_PAYLOADS["moa"], timeout=10, headers=small.headers)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "queue is full" in refused.json()["error"]
        for video_id in (waiting, running):
            assert httpx.delete(f"{small.http}/videos/{video_id}", timeout=30, headers=small.headers).status_code == 200


def test_a_job_survives_kill_9_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as first:
        video_id = submit(first, "moa", {**EXAMPLE_PAYLOADS["moa"], "quality": "low"})["video_id"]
        deadline = time.monotonic() + 60
        while True:
            job = httpx.get(f"{first.http}/videos/{video_id}", timeout=10, headers=first.headers).json()
            if job["current_stage"] == "visuals" and processes_mentioning(video_id):
                break
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        scenes_dir = data / video_id / "scenes" / "v1"
        before = {p.name: p.stat().st_mtime_ns for p in scenes_dir.iterdir()}
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        # The server's render children die with it.
        gone = time.monotonic()
        while processes_mentioning(video_id):
            assert time.monotonic() - gone < 5, "render processes outlived the killed server"
            time.sleep(0.05)

    with running_server(data) as second:
        job = wait_for(second, video_id, ("complete", "failed"))
        assert job["status"] == "complete", job
        versions = {stage: info["version"] for stage, info in job["stages"].items()}
        # Earlier stages were reused, not redone; the interrupted one ran again as version 2.
        assert versions == {"scenes": 1, "script": 1, "visuals": 2, "tts": 1, "render": 1}
        assert {p.name: p.stat().st_mtime_ns for p in scenes_dir.iterdir()} == before
        video = httpx.get(job["video_url"], timeout=30, headers=second.headers)
        assert video.status_code == 200
        out = tmp_path / "resumed.mp4"
        out.write_bytes(video.content)
        assert {s["codec_type"] for s in ffprobe(out)["streams"]} == {"video", "audio"}
        assert_broadcast_loudness(out)
