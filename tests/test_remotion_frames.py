"""Remotion key frames come back in the order asked, also when two browsers share the job."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from creator_service.processes import CancelToken, ChildProcessFailed, ProcessSlots, StageCancelled
from creator_service.rendering.remotion import SPLIT_MIN_PIXELS, render_frames, render_workers

PALETTE = {"background": "#0B1F3A", "primary": "#19C3B1", "accent": "#FFB547", "warning": "#FF6B6B",
           "text": "#FFFFFF", "muted": "#9FB3C8"}


def _mean_alpha(path: Path) -> float:
    return float(np.asarray(Image.open(path).convert("RGBA"))[..., 3].mean())


def test_a_split_job_returns_every_frame_in_the_order_asked(tmp_path: Path) -> None:
    count = 24
    props = {
        "width": 160, "height": 90, "fps": 15, "durationInFrames": 60, "enterFrames": 4,
        "brandName": "DiabetEase", "palette": PALETTE,
        "scenes": [{"kind": "problem", "from": 0, "durationInFrames": 60, "eyebrow": "Why", "headline": "Daily life",
                    "body": "Options that fit", "bullets": [], "source": ""}],
    }
    # The first half asks for the text alone (mostly transparent), the second for the scene's
    # scrim (mostly opaque): files returned out of order would mix them up.
    half = count // 2
    layers = ["content"] * half + ["backdrop"] * (count - half)
    events: list[str] = []
    files = render_frames(
        "ProductAd", props, [10] * count, tmp_path / "keys", cancel=CancelToken(), slots=ProcessSlots(2),
        progress=lambda fraction, detail: events.append(detail), log_dir=tmp_path, layers=layers,
        split_from_pixels=count * 160 * 90,  # tiny frames, so that the test is quick
    )

    assert len(files) == count and len(set(files)) == count
    assert {f.parent.name for f in files} == {"part-0", "part-1"}  # two browsers did it
    alphas = [_mean_alpha(f) for f in files]
    assert max(alphas[:half]) < min(alphas[half:])
    assert events and events[-1] == f"Remotion rendered {count} of {count} key frames"


def test_a_small_job_or_a_busy_server_uses_one_browser(tmp_path: Path) -> None:
    props = {
        "width": 160, "height": 90, "fps": 15, "durationInFrames": 30, "enterFrames": 4, "brandName": "X",
        "palette": PALETTE,
        "scenes": [{"kind": "title", "from": 0, "durationInFrames": 30, "eyebrow": "", "headline": "X",
                    "body": "", "bullets": [], "source": ""}],
    }
    # Too few pixels to be worth a second browser (the default threshold).
    assert 12 * 160 * 90 < SPLIT_MIN_PIXELS
    files = render_frames("ProductAd", props, list(range(12)), tmp_path / "small", cancel=CancelToken(),
                          slots=ProcessSlots(2), progress=lambda f, d: None, log_dir=tmp_path)
    assert len(files) == 12 and {f.parent.name for f in files} == {"small"}

    # Big enough, but another session holds the second slot.
    slots = ProcessSlots(2)
    assert slots.try_acquire()
    files = render_frames("ProductAd", props, list(range(12)), tmp_path / "busy", cancel=CancelToken(),
                          slots=slots, progress=lambda f, d: None, log_dir=tmp_path, split_from_pixels=1)
    assert len(files) == 12 and {f.parent.name for f in files} == {"busy"}


def _title_props(frames: int = 30) -> dict:
    return {
        "width": 160, "height": 90, "fps": 15, "durationInFrames": frames, "enterFrames": 4, "brandName": "X",
        "palette": PALETTE,
        "scenes": [{"kind": "title", "from": 0, "durationInFrames": frames, "eyebrow": "", "headline": "X",
                    "body": "", "bullets": [], "source": ""}],
    }


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False


def test_long_lived_workers_render_job_after_job_with_one_browser_and_a_stop_kills_theirs(tmp_path: Path) -> None:
    workers = render_workers(2, tmp_path / "workers")
    try:
        for number in range(3):
            files = render_frames("ProductAd", _title_props(), list(range(8)), tmp_path / f"job{number}",
                                  cancel=CancelToken(), slots=ProcessSlots(1), progress=lambda f, d: None,
                                  log_dir=tmp_path, workers=workers)
            assert len(files) == 8 and all(f.parent.name == f"job{number}" for f in files)
        # Three jobs, one start: the worker kept its bundle and its browser between them.
        assert sum(w.started for w in workers.workers) == 1

        # A stop mid-job kills the worker, browser and all, and the stage hears it at once.
        cancel = CancelToken()
        worker = next(w for w in workers.workers if w.started)
        process = worker._process
        assert process is not None
        timer = threading.Timer(1.0, cancel.cancel)
        timer.start()
        began = time.monotonic()
        with pytest.raises(StageCancelled):
            render_frames("ProductAd", _title_props(300), list(range(300)), tmp_path / "stopped", cancel=cancel,
                          slots=ProcessSlots(1), progress=lambda f, d: None, log_dir=tmp_path, workers=workers)
        assert time.monotonic() - began < 8
        deadline = time.monotonic() + 10
        while _alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(process.pid)
        # The next job starts a fresh worker.
        files = render_frames("ProductAd", _title_props(), [0, 5], tmp_path / "after", cancel=CancelToken(),
                              slots=ProcessSlots(1), progress=lambda f, d: None, log_dir=tmp_path, workers=workers)
        assert len(files) == 2 and sum(w.started for w in workers.workers) == 2

        # Closing them (the server shutting down) lets a worker close its browser and exit by
        # itself, at once. It used to stay up, held by its still-open stdin, until killed 10 s later.
        last = next(w._process for w in workers.workers if w._process is not None)
        began = time.monotonic()
        workers.close()
        assert last.returncode == 0 and time.monotonic() - began < 5, (last.returncode, time.monotonic() - began)
    finally:
        workers.close()


def test_a_failed_job_is_an_error_and_the_worker_carries_on(tmp_path: Path) -> None:
    workers = render_workers(1, tmp_path / "workers")
    try:
        with pytest.raises(ChildProcessFailed, match="NoSuchComposition|No composition"):
            render_frames("NoSuchComposition", _title_props(), [0], tmp_path / "bad", cancel=CancelToken(),
                          slots=ProcessSlots(1), progress=lambda f, d: None, log_dir=tmp_path, workers=workers)
        files = render_frames("ProductAd", _title_props(), [0, 1], tmp_path / "good", cancel=CancelToken(),
                              slots=ProcessSlots(1), progress=lambda f, d: None, log_dir=tmp_path, workers=workers)
        assert len(files) == 2 and workers.workers[0].started == 1
    finally:
        workers.close()
