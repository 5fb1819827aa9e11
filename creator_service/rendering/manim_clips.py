"""Render Manim clips in child processes, spread over the cores the server lets us have.

Each child (`manim_scenes.worker`) renders its share of the clips one after another. Clips
are dealt longest first to the least-loaded child, so the children finish close together.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..processes import (
    CancelToken,
    ChildProcessFailed,
    ProcessSlots,
    StageCancelled,
    finish,
    python_command,
    spawn,
    terminate,
)
from ..warm import WarmWorker, WarmWorkers, is_finished
from .ffmpeg import THUMBNAIL_WIDTH
from .formats import VideoFormat
from .on_workers import WorkerJob, run_on_workers

WORKER_MODULE = "creator_service.manim_scenes.worker"


@dataclass(frozen=True)
class ClipJob:
    index: int
    scene: str  # "<family>.<kind>", a key of manim_scenes.worker.scene_classes()
    # The scene's planned length: animations are timed as shares of it, and end within it.
    seconds: float
    spec: dict[str, Any]
    output: Path
    # Drawn over footage: rendered with an alpha channel, for ffmpeg to lay over a background.
    transparent: bool = False
    # The aspect the scene's layout was written for (its type's default).
    design_aspect: str = "16:9"
    # The same scene in other palettes, drawn in the same pass (a branch's variants,
    # clips_together.py): (palette, output) each.
    also: tuple[tuple[dict[str, str], Path], ...] = ()
    # Shown alone in a video with no logo where no scene is composed again (stages/visuals.py
    # decides): encoded once, in the final settings, on the final cut's chunk grid
    # (manim_scenes/final_clip.py), for the render to cut rather than encode again.
    final: bool = False
    # A clip that is its own preview: the frame its thumbnail shows (layers.thumbnail_frame),
    # which the worker keeps as it draws and writes beside each palette's clip (thumbnail_path).
    thumbnail_frame: int | None = None

    @property
    def cost(self) -> float:
        """Work to deal out, in seconds of one palette: another palette costs about a third more."""
        return self.seconds * (1 + len(self.also) / 3)


def layout_path(clip: Path) -> Path:
    """Where the worker writes a clip's layout data (its text boxes)."""
    return clip.with_name(f"{clip.stem}.layout.json")


def text_boxes(clip: Path) -> list[list[float]]:
    """[left, top, right, bottom] of each text the clip showed, as frame fractions."""
    path = layout_path(clip)
    if not path.is_file():
        return []
    return [list(map(float, box)) for box in json.loads(path.read_text(encoding="utf-8")).get("text_boxes", [])]


def deal(jobs: list[ClipJob], workers: int) -> list[list[ClipJob]]:
    """Longest clip first, each to the worker with the least work so far."""
    shares: list[list[ClipJob]] = [[] for _ in range(max(1, min(workers, len(jobs))))]
    loads = [0.0] * len(shares)
    for job in sorted(jobs, key=lambda j: j.cost, reverse=True):
        target = loads.index(min(loads))
        shares[target].append(job)
        loads[target] += job.cost
    return shares


def render_clips(
    jobs: list[ClipJob],
    fmt: VideoFormat,
    *,
    work_dir: Path,
    cancel: CancelToken,
    slots: ProcessSlots,
    progress: Callable[[float, str], None],
    warm: WarmWorkers | None = None,
    executor: str = "local",
) -> None:
    """Render every job to its `output` path, or raise ChildProcessFailed / StageCancelled.
    `executor="celery"`: on the Celery workers, one task per clip (no local slot is held)."""
    if not jobs:
        return
    if executor == "celery":
        _render_on_workers(jobs, fmt, work_dir, cancel, progress)
        return
    with slots.hold(cancel):
        extra = 0
        while extra < len(jobs) - 1 and slots.try_acquire():
            extra += 1
        try:
            _run_workers(deal(jobs, 1 + extra), fmt, work_dir, cancel, progress, warm)
        finally:
            for _ in range(extra):
                slots.release()


def _render_on_workers(jobs: list[ClipJob], fmt: VideoFormat, work_dir: Path, cancel: CancelToken,
                       progress: Callable[[float, str], None]) -> None:
    """One Celery task per clip (no local slot is held: the work is the workers')."""
    tasks = []
    for job in jobs:
        jobs_file = work_dir / f"manim-jobs-clip-{job.index}.json"
        jobs_file.write_text(json.dumps([_job_payload(job, fmt, work_dir)]), encoding="utf-8")
        tasks.append(WorkerJob("manim", jobs_file, work_dir / f"manim-clip-{job.index}.log"))
    run_on_workers(tasks, cancel=cancel,
                   progress=lambda done, total: progress(done / total, f"rendered {done} of {total} clips on the workers"))


@dataclass
class _Child:
    """One child rendering a share of the clips: a pool's worker (given back when it says it is
    finished) or a process of its own (done when it exits)."""

    process: subprocess.Popen[str]
    log: Path
    warm: WarmWorker | None
    partial_line: str = ""
    finished: bool = False


def _run_workers(
    shares: list[list[ClipJob]],
    fmt: VideoFormat,
    work_dir: Path,
    cancel: CancelToken,
    progress: Callable[[float, str], None],
    warm: WarmWorkers | None = None,
) -> None:
    total_seconds = sum(job.seconds for share in shares for job in share)
    planned = {job.index: job.seconds for share in shares for job in share}
    clip_count = sum(len(share) for share in shares)
    rendered: dict[int, float] = {}
    done = 0
    children: list[_Child] = []
    selector = selectors.DefaultSelector()
    try:
        for number, share in enumerate(shares):
            jobs_file = work_dir / f"manim-jobs-{number}.json"
            jobs_file.write_text(
                json.dumps([_job_payload(job, fmt, work_dir) for job in share]), encoding="utf-8"
            )
            ready = warm.take() if warm is not None else None
            if ready is not None:
                # A worker that imported Manim ahead of need (finish() below says if it was stopped).
                child = _Child(ready.hand(jobs_file, cancel), ready.log, ready)
            else:
                log = work_dir / f"manim-{number}.log"
                child = _Child(spawn(python_command(WORKER_MODULE, str(jobs_file)),
                                     cancel=cancel, stderr_path=log, env=child_env()), log, None)
            assert child.process.stdout is not None
            children.append(child)
            selector.register(child.process.stdout, selectors.EVENT_READ, data=child)

        while selector.get_map():
            for key, _ in selector.select(timeout=1.0):
                child = key.data
                chunk = os.read(key.fd, 65536).decode("utf-8", errors="replace")
                if not chunk:
                    selector.unregister(key.fileobj)
                    # A failed child fails the stage now; its siblings are stopped, not awaited.
                    finish(child.process, cancel=cancel, stderr_path=child.log, what="Manim rendering")
                    if child.warm is not None:  # a pool's worker ends its job with a line, not its exit
                        raise ChildProcessFailed("Manim rendering: the worker exited before it finished its clips")
                    child.finished = True
                    continue
                *lines, child.partial_line = (child.partial_line + chunk).split("\n")
                for line in lines:
                    if child.warm is not None and is_finished(line):
                        assert warm is not None
                        selector.unregister(key.fileobj)
                        child.finished = True
                        warm.give_back(child.warm, cancel)
                        break
                    event = _parse(line)
                    if event is None:
                        continue
                    if "done" in event:
                        # A clip ends with its animation, before its planned length: count it whole.
                        done += 1
                        rendered[event["job"]] = planned.get(event["job"], 0.0)
                    elif "t" in event:
                        rendered[event["job"]] = float(event["t"])
                    fraction = sum(rendered.values()) / total_seconds if total_seconds else 0.0
                    progress(
                        min(fraction, 0.99),
                        f"rendered {done} of {clip_count} clips ({fraction:.0%} of the footage)",
                    )
    finally:
        selector.close()
        for child in children:
            if child.finished:
                continue
            if child.process.poll() is None:
                terminate(child.process)
            with contextlib.suppress(ChildProcessFailed, StageCancelled):
                finish(child.process, cancel=cancel, stderr_path=child.log, what="Manim rendering")


def _job_payload(job: ClipJob, fmt: VideoFormat, work_dir: Path) -> dict[str, Any]:
    return {
        "index": job.index,
        "scene": job.scene,
        "width": fmt.width,
        "height": fmt.height,
        "fps": fmt.fps,
        "media_dir": str(work_dir / "manim-media" / f"clip-{job.index}"),
        "output": str(job.output),
        "transparent": job.transparent,
        "design_aspect": job.design_aspect,
        "spec": {**job.spec, "duration": job.seconds},
        "also": [{"palette": palette, "output": str(output)} for palette, output in job.also],
        "final": job.final,
        "thumbnail": None if job.thumbnail_frame is None else {"frame": job.thumbnail_frame, "width": THUMBNAIL_WIDTH},
    }


def warm_manim_workers(size: int, log_dir: Path) -> WarmWorkers:
    """Manim workers that imported Manim and our scenes ahead of need."""
    return WarmWorkers(size, log_dir, child_env(), python_command(WORKER_MODULE, "--warm"), "manim-warm")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # One render per process, one core per render: numpy's thread pools would fight over cores.
    env.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    return env


def _parse(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "job" in event else None
