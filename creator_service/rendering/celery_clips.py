"""Manim clips rendered on Celery workers (CREATOR_EXECUTOR=celery): one task per clip.

The web server writes each clip's job to the shared data folder, queues a task for it, and
waits, checking its cancel token a few times a second. A stop, an expiry or a stage timeout
revokes every task of the stage: a queued one is dropped, a running one is killed with its
worker's pool process (its Manim child dies with it), and the worker carries on with a fresh
pool process. A task that fails is a stage error carrying the worker's own message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from ..processes import CancelToken, ChildProcessFailed, StageCancelled
from .formats import VideoFormat

POLL_SECONDS = 0.25


def render_on_workers(jobs: list[Any], fmt: VideoFormat, *, work_dir: Path, cancel: CancelToken,
                      progress: Callable[[float, str], None], payload: Callable[[Any, VideoFormat, Path], dict[str, Any]]
                      ) -> list[str]:
    """Render every job on the workers; the names of the workers that did, one per job."""
    from ..worker import app, render_manim_clip

    pending: dict[str, Any] = {}
    for job in jobs:
        jobs_file = work_dir / f"manim-jobs-clip-{job.index}.json"
        jobs_file.write_text(json.dumps([payload(job, fmt, work_dir)]), encoding="utf-8")
        result = render_manim_clip.apply_async(args=[str(jobs_file), str(work_dir / f"manim-clip-{job.index}.log")])
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
                    raise ChildProcessFailed(f"a worker could not render a clip: {result.result}")
                workers.append(str(result.result.get("worker", "")))
                progress(len(workers) / len(jobs), f"rendered {len(workers)} of {len(jobs)} clips on the workers")
    finally:
        if pending:
            # Stopped or failed: nothing of this stage keeps running anywhere.
            app.control.revoke(list(pending), terminate=True, signal="SIGKILL")
    return workers
