"""Render Remotion compositions from Python through `remotion_project/render.mjs`.

The server's long-lived render workers (remotion_workers.py: the bundle found and Debian's
Chromium open once, for every session) render the requested frames as PNG with alpha; without
them (a Celery worker, a test) each job runs its own Node process, which finds the bundle made
once per version of the project (`remotion_project/build/`), opens the browser, and closes it
when the job ends or the session stops (SIGTERM). A long job
of 1080p frames is split between two processes when a second process slot is free: one
Chromium leaves about 40 % of two cores idle (its frames wait on one compositor, so Remotion's
own `concurrency` tabs do not help), two browsers render 100 frames in ~13 s instead of ~15 s.
The price: while two browsers run, this machine answers other processes' wake-ups less
promptly (an idle asyncio loop beside them: p99 88 ms, against 4 ms beside one), so short
jobs, where the split saves nothing, use one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from ..processes import CancelToken, ChildProcessFailed, ProcessSlots, run_child
from .on_workers import WorkerJob, run_on_workers
from .remotion_workers import RemotionWorkers

# A second browser pays off from about ten 1080p frames. The server keeps both render workers
# (remotion_workers.py), so a split costs no start-up after the first; measured with both kept
# (ProductAd key frames, medians of 4, alternating): 48 frames at 1080p 10.8 s in one browser
# against 7.8 s in two, 12 at 1080p 3.7 s against 3.1 s, 48 at 854x480 5.6 s against 5.0 s,
# and 12 at 854x480 2.2 s either way. 20 million pixels is ~10 1080p frames.
SPLIT_MIN_PIXELS = 20_000_000

REMOTION_DIR = Path(__file__).resolve().parents[2] / "remotion_project"
RENDER_SCRIPT = REMOTION_DIR / "render.mjs"
CHROMIUM = os.environ.get("CREATOR_CHROMIUM", "/usr/bin/chromium")


class RemotionUnavailable(ChildProcessFailed):
    """The Remotion project or its browser is not installed here."""


def render_workers(size: int, log_dir: Path) -> RemotionWorkers:
    """`size` long-lived Remotion workers (`render.mjs --serve` in Debian's Chromium), logging
    to `log_dir`: the web server's, a Celery pool process's, a test's."""
    return RemotionWorkers(size, log_dir, RENDER_SCRIPT, REMOTION_DIR, {"CREATOR_CHROMIUM": CHROMIUM})


def check_installed() -> None:
    if shutil.which("node") is None:
        raise RemotionUnavailable("Node.js is not installed")
    if not (REMOTION_DIR / "node_modules" / "@remotion" / "renderer").is_dir():
        raise RemotionUnavailable(
            f"the Remotion project is not installed: run `make install` (npm ci in {REMOTION_DIR})"
        )
    if not Path(CHROMIUM).exists():
        raise RemotionUnavailable(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package (make install)"
        )


def render_frames(
    composition: str,
    props: dict[str, Any],
    frames: list[int],
    output_dir: Path,
    *,
    cancel: CancelToken,
    slots: ProcessSlots,
    progress: Callable[[float, str], None],
    log_dir: Path,
    layers: list[str] | None = None,
    split_from_pixels: int = SPLIT_MIN_PIXELS,
    executor: str = "local",
    workers: RemotionWorkers | None = None,
) -> list[Path]:
    """Render timeline frames `frames` of a composition, each in its layer ('content',
    'backdrop' or 'all'; see remotion_project/src/components/timeline.tsx), one PNG each, in
    the order asked; in two browsers when the job has `split_from_pixels` pixels or more.
    `executor="celery"`: as one task on the Celery workers (no local slot is held)."""
    check_installed()
    output_dir.mkdir(parents=True, exist_ok=True)
    chosen_layers = layers or ["all"] * len(frames)
    if executor == "celery":
        job_props = {**props, "frames": frames, "layers": chosen_layers}
        job_path = _write_job(composition, job_props, output_dir, log_dir / f"remotion-{composition}.json")
        progress(0.0, f"Remotion: {len(frames)} key frames queued for the workers")
        run_on_workers([WorkerJob("remotion", job_path, log_dir / f"remotion-{composition}.log")], cancel=cancel,
                       progress=lambda done, total: progress(1.0, f"Remotion rendered {len(frames)} key frames"))
        return _collected(composition, output_dir, len(frames))
    pixels = len(frames) * int(props["width"]) * int(props["height"])
    with slots.hold(cancel):
        parts = 2 if len(frames) > 1 and pixels >= split_from_pixels and slots.try_acquire() else 1
        try:
            size = -(-len(frames) // parts)
            shares = [(frames[n:n + size], chosen_layers[n:n + size]) for n in range(0, len(frames), size)]
            rendered = [0] * len(shares)
            lock = threading.Lock()
            # One failed part stops its sibling: the stage fails now, not when both are done.
            siblings = cancel.linked()

            def report(part: int, count: int) -> None:
                with lock:
                    rendered[part] = count
                    done = sum(rendered)
                progress(done / len(frames), f"Remotion rendered {done} of {len(frames)} key frames")

            def render_share(part: int) -> list[Path]:
                share_frames, share_layers = shares[part]
                name = composition if len(shares) == 1 else f"{composition}-{part}"
                try:
                    return _render_part(
                        composition, {**props, "frames": share_frames, "layers": share_layers},
                        output_dir if len(shares) == 1 else output_dir / f"part-{part}",
                        job_path=log_dir / f"remotion-{name}.json", log_path=log_dir / f"remotion-{name}.log",
                        cancel=siblings, progress=progress, on_rendered=lambda count: report(part, count),
                        workers=workers,
                    )
                except ChildProcessFailed:
                    siblings.cancel()
                    raise

            with ThreadPoolExecutor(max_workers=len(shares)) as pool:
                futures = [pool.submit(render_share, part) for part in range(len(shares))]
            cancel.raise_if_cancelled()
            failures = [f.exception() for f in futures if isinstance(f.exception(), ChildProcessFailed)]
            if failures:
                raise failures[0]  # the failure itself, not the sibling it stopped
            results = [future.result() for future in futures]
        finally:
            if parts == 2:
                slots.release()
    return [path for files in results for path in files]


def _render_part(
    composition: str,
    props: dict[str, Any],
    output_dir: Path,
    *,
    job_path: Path,
    log_path: Path,
    cancel: CancelToken,
    progress: Callable[[float, str], None],
    on_rendered: Callable[[int], None],
    workers: RemotionWorkers | None = None,
) -> list[Path]:
    """`props["frames"]` rendered into `output_dir` by one of the long-lived `workers`, or else
    by a Node process of its own; the caller holds its slot."""
    _write_job(composition, props, output_dir, job_path)

    def on_event(event: dict[str, Any]) -> None:
        if event.get("stage") == "bundling":
            progress(0.0, "bundling the Remotion project (once per version)")
        elif "rendered" in event:
            on_rendered(int(event["rendered"]))

    if workers is not None:
        with workers.take(cancel) as worker:
            worker.render(job_path, cancel=cancel, on_event=on_event)
        return _collected(composition, output_dir, len(props["frames"]))

    def on_line(line: str) -> None:
        if line.startswith("{"):
            on_event(json.loads(line))

    run_child(
        ["node", str(RENDER_SCRIPT), str(job_path)],
        cancel=cancel, slots=None, stderr_path=log_path,
        what=f"Remotion ({composition})", on_line=on_line, cwd=REMOTION_DIR,
        env={**os.environ, "CREATOR_CHROMIUM": CHROMIUM},
        death_signal=signal.SIGTERM,
    )
    return _collected(composition, output_dir, len(props["frames"]))


def _write_job(composition: str, props: dict[str, Any], output_dir: Path, job_path: Path) -> Path:
    """The job file `render.mjs` reads, in a clean output folder."""
    output_dir.mkdir(parents=True, exist_ok=True)
    # Frames left by an interrupted attempt (a job resumed after a restart) would be counted.
    for stale in output_dir.glob("element-*.png"):
        stale.unlink()
    job_path.write_text(
        json.dumps({"composition": composition, "outputDir": str(output_dir), "props": props}),
        encoding="utf-8",
    )
    return job_path


def _collected(composition: str, output_dir: Path, expected: int) -> list[Path]:
    # Remotion pads the numbers in a job's file names to one width, so they sort in frame order.
    files = sorted(output_dir.glob("element-*.png"))
    if len(files) != expected:
        raise ChildProcessFailed(f"Remotion wrote {len(files)} frames for {composition}, expected {expected}")
    return files
