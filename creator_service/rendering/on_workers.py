"""Render jobs run on Celery workers (CREATOR_EXECUTOR=celery): Manim clips, one task per clip;
Remotion key frames, one task per job; ffmpeg runs (a scene's chunks, the final join), one
task each.

The web server writes each job to the shared data folder, queues a task naming its kind and
the file, and waits, checking its cancel token a few times a second. A stop, an expiry or a
stage timeout revokes every task of the stage: a queued one is dropped, a running one is killed
with its worker's pool process (its child dies with it), and the worker carries on with a fresh
pool process. A task that fails is a stage error carrying the worker's own message.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..processes import CancelToken, ChildProcessFailed, ProcessSlots, StageCancelled

POLL_SECONDS = 0.25


@dataclass(frozen=True)
class WorkerJob:
    kind: str  # "manim", "remotion" or "ffmpeg": the only programs a worker runs (creator_service.worker)
    job_file: Path
    log: Path


def run_on_workers(jobs: list[WorkerJob], *, cancel: CancelToken, progress: Callable[[int, int], None]) -> list[str]:
    """Run every job on the workers; the names of the workers that did, in the order they finished."""
    from ..worker import app, render_job

    pending = {}
    for job in jobs:
        result = render_job.apply_async(args=[job.kind, str(job.job_file), str(job.log)])
        pending[result.id] = result
    workers: list[str] = []
    try:
        while pending:
            if cancel.wait(POLL_SECONDS):
                raise StageCancelled()
            for task_id, result in list(pending.items()):
                if not result.ready():
                    continue
                del pending[task_id]
                if result.failed():
                    raise ChildProcessFailed(f"a worker could not render: {result.result}")
                workers.append(str(result.result.get("worker", "")))
                progress(len(workers), len(jobs))
    finally:
        if pending:
            # Stopped or failed: nothing of this stage keeps running anywhere.
            app.control.revoke(list(pending), terminate=True, signal="SIGKILL")
    return workers


class FfmpegOnWorkers:
    """Called like `run_ffmpeg`, but runs ffmpeg as one task on the workers. The arguments go
    into a job file in the shared data folder; progress is the task's end (ffmpeg's own
    progress lines stay on the worker)."""

    def __init__(self, job_dir: Path) -> None:
        self.job_dir = job_dir

    def __call__(self, args: Sequence[str], *, cancel: CancelToken, slots: ProcessSlots | None, log_path: Path,
                 what: str, expected_seconds: float | None = None,
                 on_progress: Callable[[float], None] | None = None) -> None:
        job_file = self.job_dir / f"{log_path.stem}.ffmpeg.json"
        job_file.write_text(json.dumps({"what": what, "args": list(args)}), encoding="utf-8")
        run_on_workers([WorkerJob("ffmpeg", job_file, log_path)], cancel=cancel,
                       progress=lambda done, total: on_progress(1.0) if on_progress else None)


def ffmpeg_runner(executor: str, job_dir: Path, *, background: bool = False) -> Callable[..., None]:
    """Where an ffmpeg run goes: a child process here (`local`), in the background if asked
    (work ahead of need: see `run_child`), or a task on the workers."""
    from .ffmpeg import run_ffmpeg

    if executor == "celery":
        return FfmpegOnWorkers(job_dir)
    return functools.partial(run_ffmpeg, background=True) if background else run_ffmpeg
