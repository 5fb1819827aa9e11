"""Scale-out on Celery: a real redis-server on a free loopback port, two real Celery workers
(`celery -A creator_service.worker worker`), and the web server with CREATOR_EXECUTOR=celery.
Manim's clips and Remotion's key frames are rendered by the workers; a stop reaches their
children; a worker process killed mid-task does not lose the video, and the task run again
makes the very same clips; a whole worker killed mid-task has its task sent to another at once;
work ahead of need is taken only when no stage's task waits."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from celery import Celery

from creator_service.devserver import CeleryWorker, Server, running_redis, running_server, running_workers
from creator_service.rendering.on_workers import WorkerJob, task_options
from creator_service.rendering.remotion_workers import STARTED
from creator_service.worker import make_app

from .helpers import Creator, ffprobe, processes_mentioning

pytestmark = pytest.mark.render

BRIEF = {"drug_name": "Aspirin", "condition": "cardiovascular disease", "quality": "low", "music": "none"}
MANIM_CHILD = "creator_service.manim_scenes.worker"


@dataclass
class Cluster:
    server: Server
    workers: list[CeleryWorker]
    broker: str


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    with running_redis(root / "redis") as broker, running_workers(2, broker, root / "workers") as workers, \
            running_server(root / "data", CREATOR_EXECUTOR="celery", CREATOR_BROKER_URL=broker) as server:
        yield Cluster(server, workers, broker)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def manim_children(workers: list[CeleryWorker]) -> dict[int, int]:
    """Manim processes rendering under the workers: pid -> the worker pool process that runs it.
    At work for a video, a one-off names its jobs file and a pool process's warm worker works in
    the video's folder; a warm worker waits in its own folder between jobs."""
    working = set(processes_mentioning("/vid_"))
    found = {}
    for worker in workers:
        for pid in descendants(worker.process.pid):
            if pid in working and MANIM_CHILD in command_line(pid):
                found[pid] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return found


def wait_for(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def to_visuals(client: Creator) -> None:
    client.start("moa", BRIEF)
    for stage in ("scenes", "script"):
        client.wait_completed(stage, timeout=60)
        client.accept()
    assert client.next_event(timeout=30)["stage"] == "visuals"


def finish(client: Creator) -> dict[str, Any]:
    for stage in ("visuals", "tts", "render"):
        if stage != "visuals":
            assert client.next_event(timeout=120)["stage"] == stage
        while (event := client.next_event(timeout=300))["status"] == "stage_progress":
            pass
        assert event["status"] == "completed" and event["stage"] == stage, event
        client.accept()
    done = client.next_event(timeout=60)
    assert done["status"] == "pipeline_complete", done
    return done


@pytest.fixture(scope="module")
def undisturbed(cluster: Cluster) -> dict[str, Any]:
    """A moa video made through the workers with nothing going wrong: its `pipeline_complete`."""
    with Creator(cluster.server.ws_url, cluster.server.token) as client:
        to_visuals(client)
        return finish(client)


def clips_of(done: dict[str, Any]) -> dict[str, bytes]:
    """The Manim clips the visuals stage made for a finished video, by name."""
    video_dir = Path(done["video_path"]).parents[2]
    return {clip.name: clip.read_bytes() for clip in video_dir.glob("visuals/v*/clips/*_manim.mp4")}


def test_the_workers_render_the_clips_and_the_video_completes(cluster: Cluster, undisturbed: dict[str, Any]) -> None:
    done = undisturbed
    info = ffprobe(Path(done["video_path"]))
    assert float(info["format"]["duration"]) > 10
    # Every clip was a task, and both workers took some (one pool process each).
    succeeded = [w.log().count("creator_service.render_job") for w in cluster.workers]
    assert all(count > 0 for count in succeeded), [w.log()[-2000:] for w in cluster.workers]
    # The render's ffmpeg work was theirs too: each scene's chunks, and the final join.
    logs = "".join(w.log() for w in cluster.workers)
    encoded = set(re.findall(r"/(s\d+)\.encode\.ffmpeg\.json", logs))
    assert len(encoded) >= 3 and "s0" in encoded, logs[-3000:]
    assert "final-join.ffmpeg.json" in logs
    # A pool process's first clip starts its warm Manim worker; the worker then renders its
    # later clips without importing Manim again (one worker log per pool process at most).
    task_logs = list(Path(done["video_path"]).parents[2].glob("visuals/v*/manim-clip-*.log"))
    warm_logs = [line.split("worker log: ", 1)[1] for log in task_logs
                 for line in log.read_text().splitlines() if line.startswith("worker log: ")]
    assert len(task_logs) == 6 and warm_logs and len(set(warm_logs)) <= 2, [log.read_text() for log in task_logs]


def test_remotion_key_frames_are_rendered_by_the_workers(cluster: Cluster) -> None:
    before = sum(w.log().count("succeeded") for w in cluster.workers)
    payload = {"topic": "New diabetes medication", "brand_name": "DiabetEase", "persona": "narrator",
               "tone": "clear", "quality": "low", "music": "none"}
    with Creator(cluster.server.ws_url, cluster.server.token) as client:
        client.start("product_ad", payload)
        for stage in client.stage_order:
            client.wait_completed(stage, timeout=300)
            client.accept()
        done = client.next_event(timeout=60)
    assert done["status"] == "pipeline_complete", done
    assert float(ffprobe(Path(done["video_path"]))["format"]["duration"]) > 10
    # The visuals' key frames and the animations' overlays: Remotion tasks the workers finished
    # (a task's result, logged with it, names its job file).
    assert sum(w.log().count("succeeded") for w in cluster.workers) - before >= 2
    logs = "".join(w.log() for w in cluster.workers)
    assert "remotion-ProductAd.json" in logs and "remotion-Overlays.json" in logs, logs[-3000:]
    # The visuals' quick previews (the animations stage composes every scene again) are
    # composed by the workers too: each was a job file sent to them.
    visuals = Path(done["video_path"]).parents[2] / "visuals" / "v1"  # <video>/render/v1/final.mp4
    previews = sorted((visuals / "clips").glob("scene_*.mp4"))
    assert previews and [job.name for job in sorted(visuals.glob("scene_*.compose.ffmpeg.json"))] == [
        f"{preview.stem}.compose.ffmpeg.json" for preview in previews]

    # Two more tasks (the key frames again): four Remotion tasks on two pool processes, so one
    # ran two or more. Each pool process started its long-lived worker once and keeps it open.
    job = next(cluster.server.data_dir.glob("vid_*/visuals/v*/remotion-ProductAd.json"))
    sender = Celery(broker=cluster.broker, backend=cluster.broker)
    again = [job.parent / f"again-{n}.log" for n in range(2)]
    for result in [sender.send_task("creator_service.render_job", args=["remotion", str(job), str(log)])
                   for log in again]:
        result.get(timeout=300)
    task_logs = [*job.parents[2].glob("*/v*/remotion-*.log"), *again]
    worker_logs = {Path(line.split("worker log: ", 1)[1]) for log in task_logs
                   for line in log.read_text().splitlines() if line.startswith("worker log: ")}
    assert len(task_logs) >= 4 and 1 <= len(worker_logs) <= 2, task_logs
    assert [log.read_text().count(STARTED) for log in worker_logs] == [1] * len(worker_logs)
    serving = [pid for worker in cluster.workers for pid in descendants(worker.process.pid)
               if "render.mjs --serve" in command_line(pid)]
    assert len(serving) == len(worker_logs)


def test_a_stop_reaches_the_workers_children_within_seconds(cluster: Cluster) -> None:
    with Creator(cluster.server.ws_url, cluster.server.token) as client:
        to_visuals(client)
        wait_for(lambda: manim_children(cluster.workers), 60, "a Manim child under a worker")
        client.send({"action": "stop"})
        while client.next_event(timeout=30)["status"] != "stopped":
            pass
        stopped = time.monotonic()
        wait_for(lambda: not manim_children(cluster.workers), 10, "the workers' Manim children to go")
        assert time.monotonic() - stopped < 10
    # The workers themselves are still up, and take the next task (the other tests use them).
    assert all(worker.process.poll() is None for worker in cluster.workers)


def test_a_worker_process_killed_mid_task_does_not_lose_the_video(cluster: Cluster,
                                                                 undisturbed: dict[str, Any]) -> None:
    with Creator(cluster.server.ws_url, cluster.server.token) as client:
        to_visuals(client)
        running = wait_for(lambda: manim_children(cluster.workers), 60, "a Manim child under a worker")
        child, pool_process = next(iter(running.items()))
        os.kill(pool_process, signal.SIGKILL)  # the process running the task dies, and its child with it
        wait_for(lambda: not Path(f"/proc/{child}").exists() or "zombie" in command_line(child) or
                 not command_line(child), 10, "the killed task's Manim child to go")
        done = finish(client)
    assert ffprobe(Path(done["video_path"]))["format"]["duration"]
    logs = "".join(w.log() for w in cluster.workers)
    assert "WorkerLostError" in logs or "exited prematurely" in logs, logs[-3000:]
    # The worker whose process died started a new one and is still serving.
    assert all(worker.process.poll() is None for worker in cluster.workers)
    # The task run again made what it would have made: every clip, the interrupted one among
    # them, is byte for byte the clip of the same brief made with nothing going wrong. (Only
    # the visuals are compared: Piper's voice varies from take to take, and the scenes' lengths
    # with it.)
    assert_the_same_clips(done, undisturbed)


def assert_the_same_clips(done: dict[str, Any], undisturbed: dict[str, Any]) -> None:
    clips, reference = clips_of(done), clips_of(undisturbed)
    assert clips and sorted(clips) == sorted(reference)
    assert [name for name in clips if clips[name] != reference[name]] == []


def test_a_whole_worker_killed_mid_task_has_its_task_sent_to_another_at_once(
        cluster: Cluster, undisturbed: dict[str, Any], tmp_path: Path) -> None:
    # A third worker, to lose as a machine would be lost: it, its pool process and its Manim
    # child all killed at once, with no goodbye to the broker.
    with running_workers(1, cluster.broker, tmp_path, first=3) as [doomed]:
        with Creator(cluster.server.ws_url, cluster.server.token) as client:
            to_visuals(client)
            wait_for(lambda: manim_children([doomed]), 60, "a Manim child under the third worker")
            for pid in [doomed.process.pid, *descendants(doomed.process.pid)]:
                os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            done = finish(client)
            finished = time.monotonic()
    # Redis alone would hand the task on only after its visibility timeout (over half an hour):
    # the web server noticed the silent worker and sent the task again itself.
    log = cluster.server.log()
    assert "w3@" in log and "stopped answering" in log, log[-3000:]
    assert finished - killed < 240
    assert_the_same_clips(done, undisturbed)


def test_work_ahead_is_taken_only_when_no_stage_task_waits(cluster: Cluster, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATOR_BROKER_URL", cluster.broker)
    sender = make_app()

    def queue(name: str, seconds: float, background: bool) -> Any:
        """An ffmpeg run of `seconds` (real time), queued as the web server queues one."""
        job = tmp_path / f"{name}.ffmpeg.json"
        job.write_text(json.dumps({"what": name, "args": [
            "-f", "lavfi", "-i", "anullsrc=r=8000", "-af", "arealtime", "-t", str(seconds), "-f", "null", "-"]}))
        options = task_options(WorkerJob("ffmpeg", job, tmp_path / f"{name}.log", background))
        return sender.send_task("creator_service.render_job", **options)

    # Both workers busy; meanwhile four runs of work ahead are queued, then one of a stage.
    busy = [queue(f"busy-{n}", 3, False) for n in range(2)]
    wait_for(lambda: all(result.state == "STARTED" for result in busy), 30, "both workers to be busy")
    ahead = [queue(f"ahead-{n}", 1, True) for n in range(4)]
    stage = queue("stage", 1, False)
    for result in [*busy, *ahead, stage]:
        result.get(timeout=60)
    # The stage's run was taken as soon as a worker was free: first in, with one run ahead at
    # most beside it. In the order queued, it would have finished after all four.
    ahead_done = sorted(result.date_done for result in ahead)
    assert stage.date_done < ahead_done[2], (stage.date_done, ahead_done)
    assert [result.result["background"] for result in ahead] == [True] * 4
    assert stage.result["background"] is False
