"""Render jobs run on Celery workers (CREATOR_EXECUTOR=celery): Manim clips, one task per clip;
Remotion key frames, one task per job; ffmpeg runs (a scene's chunks, the final join), one
task each.

The web server writes each job to the shared data folder, queues a task naming its kind and
the file, and waits, checking its cancel token a few times a second. A stop, an expiry or a
stage timeout revokes every task of the stage: a queued one is dropped, a running one is killed
with its worker's pool process (its child dies with it), and the worker carries on with a fresh
pool process. A task that fails is a stage error carrying the worker's own message.

A whole worker that vanishes (its machine down, or the worker killed outright) leaves its running
task unacknowledged, and Redis would hand it to another worker only after the visibility timeout,
half an hour and more. So while tasks run, the web server pings the workers running them; one
that has not answered for `WORKER_LOST_SECONDS` is taken for gone, and its tasks are revoked and
sent again at once. Every job makes the same bytes each time, and the clips and the scenes'
chunks are renamed into place whole, so a worker taken for gone that was only cut off from the
broker wastes its work there. The final join is the exception: it writes final.mp4 in place, and
two copies running at once could interleave (docs/scaling.md names this limit).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..processes import CancelToken, ChildProcessFailed, ProcessSlots, StageCancelled

if TYPE_CHECKING:
    from celery.result import AsyncResult

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25
# How often the workers running this stage's tasks are pinged, how long one may take to answer,
# and how long a worker may go unheard before its tasks are sent again. A worker's main process
# answers pings while its pool processes render, so only a worker that is gone stays silent.
PING_EVERY_SECONDS = 2.0
PING_TIMEOUT_SECONDS = 1.0
WORKER_LOST_SECONDS = 10.0


# Work done ahead of need (creator_service/ahead.py) is queued at the lowest priority: on Redis a
# worker takes every task of priority 0 (a stage's, the default) before any of 9, so a stage
# never waits behind it for a worker. Its child also runs at the lowest CPU priority there.
AHEAD_PRIORITY = 9


@dataclass(frozen=True)
class WorkerJob:
    kind: str  # "manim", "remotion" or "ffmpeg": the only programs a worker runs (creator_service.worker)
    job_file: Path
    log: Path
    background: bool = False  # work ahead of need


def task_options(job: WorkerJob) -> dict[str, Any]:
    """How `job` is queued: its task's arguments and, for work ahead, its priority."""
    options: dict[str, Any] = {"args": [job.kind, str(job.job_file), str(job.log)]}
    if job.background:
        options.update(kwargs={"background": True}, priority=AHEAD_PRIORITY)
    return options


class LostWorkers:
    """Which of the workers running our tasks have stopped answering."""

    def __init__(self, ping: Callable[[list[str]], set[str]]) -> None:
        self._ping = ping  # the hostnames given that answered
        self._heard: dict[str, float] = {}
        self._last_ping = 0.0

    def check(self, running: set[str], now: float) -> set[str]:
        """Of the hostnames `running` tasks, those unheard for `WORKER_LOST_SECONDS`."""
        for host in running:
            self._heard.setdefault(host, now)  # from when we first saw it running a task
        if running and now - self._last_ping >= PING_EVERY_SECONDS:
            self._last_ping = now
            for host in self._ping(sorted(running)):
                self._heard[host] = now
        lost = {host for host in running if now - self._heard[host] >= WORKER_LOST_SECONDS}
        for host in lost:
            del self._heard[host]
        return lost


def ping_workers(hosts: list[str]) -> set[str]:
    from ..worker import app

    replies = app.control.ping(destination=hosts, timeout=PING_TIMEOUT_SECONDS)
    return {host for reply in replies for host in reply}


def running_on(result: AsyncResult) -> str | None:
    """The worker a task runs on, once it has started (`task_track_started` records it)."""
    info = result.info if result.state == "STARTED" else None
    return str(info["hostname"]) if isinstance(info, dict) and info.get("hostname") else None


def run_on_workers(jobs: list[WorkerJob], *, cancel: CancelToken, progress: Callable[[int, int], None],
                   ping: Callable[[list[str]], set[str]] = ping_workers) -> list[str]:
    """Run every job on the workers; the names of the workers that did, in the order they finished."""
    from ..worker import app, render_job

    def send(job: WorkerJob) -> AsyncResult:
        return render_job.apply_async(**task_options(job))

    pending: dict[str, tuple[WorkerJob, AsyncResult]] = {}
    for job in jobs:
        result = send(job)
        pending[result.id] = (job, result)
    workers: list[str] = []
    lost_workers = LostWorkers(ping)
    try:
        while pending:
            if cancel.wait(POLL_SECONDS):
                raise StageCancelled()
            hosts: dict[str, str] = {}
            for task_id, (_, result) in list(pending.items()):
                if not result.ready():
                    if (host := running_on(result)) is not None:
                        hosts[task_id] = host
                    continue
                del pending[task_id]
                if result.failed():
                    raise ChildProcessFailed(f"a worker could not render: {result.result}")
                workers.append(str(result.result.get("worker", "")))
                progress(len(workers), len(jobs))
            lost = lost_workers.check(set(hosts.values()), time.monotonic())
            for task_id in [task_id for task_id, host in hosts.items() if host in lost]:
                job, _ = pending.pop(task_id)
                # Revoked first, so that Redis's own redelivery, later, runs nothing.
                app.control.revoke(task_id)
                again = send(job)
                pending[again.id] = (job, again)
                logger.warning("worker %s stopped answering: %s sent again as task %s", hosts[task_id],
                               job.job_file.name, again.id)
    finally:
        if pending:
            # Stopped or failed: nothing of this stage keeps running anywhere.
            app.control.revoke(list(pending), terminate=True, signal="SIGKILL")
    return workers


class FfmpegOnWorkers:
    """Called like `run_ffmpeg`, but runs ffmpeg as one task on the workers (as work ahead of
    need if `background`). The arguments go into a job file in the shared data folder; progress
    is the task's end (ffmpeg's own progress lines stay on the worker)."""

    def __init__(self, job_dir: Path, *, background: bool = False) -> None:
        self.job_dir = job_dir
        self.background = background

    def __call__(self, args: Sequence[str], *, cancel: CancelToken, slots: ProcessSlots | None, log_path: Path,
                 what: str, expected_seconds: float | None = None,
                 on_progress: Callable[[float], None] | None = None) -> None:
        job_file = self.job_dir / f"{log_path.stem}.ffmpeg.json"
        job_file.write_text(json.dumps({"what": what, "args": list(args)}), encoding="utf-8")
        run_on_workers([WorkerJob("ffmpeg", job_file, log_path, self.background)], cancel=cancel,
                       progress=lambda done, total: on_progress(1.0) if on_progress else None)


def ffmpeg_runner(executor: str, job_dir: Path, *, background: bool = False) -> Callable[..., None]:
    """Where an ffmpeg run goes: a child process here (`local`) or a task on the workers; in
    the background if asked (work ahead of need: see `run_child` and `AHEAD_PRIORITY`)."""
    from .ffmpeg import run_ffmpeg

    if executor == "celery":
        return FfmpegOnWorkers(job_dir, background=background)
    return functools.partial(run_ffmpeg, background=True) if background else run_ffmpeg
