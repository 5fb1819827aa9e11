"""Warm Manim workers: started ahead of need by one long-lived thread, skipped if they died idle,
and each used once."""

from __future__ import annotations

import time
from pathlib import Path

from creator_service.rendering.manim_clips import warm_manim_workers
from creator_service.warm import WarmWorkers


def wait_for_idle(pool: WarmWorkers, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(pool._idle) < count:
        assert time.monotonic() < deadline, "the pool did not fill"
        time.sleep(0.05)


def test_the_pool_fills_on_first_use_and_replaces_a_worker_only_once_it_is_done(tmp_path: Path) -> None:
    pool = warm_manim_workers(1, tmp_path / "logs")
    try:
        assert pool.take() is None  # the first call only starts the pool
        wait_for_idle(pool, 1)
        first = pool.take()
        assert first is not None and first.process.poll() is None
        # No replacement while it works: a new worker's start-up would take a core from it.
        time.sleep(1.0)
        assert pool._made == 1 and not pool._idle
        assert first.process.stdin is not None
        first.process.stdin.close()  # no jobs: it exits cleanly
        assert first.process.wait(timeout=20) == 0
        wait_for_idle(pool, 1)  # replaced once it is done
        second = pool.take()
        assert second is not None and second.process.pid != first.process.pid
        assert second.process.stdin is not None
        second.process.stdin.close()
        assert second.process.wait(timeout=20) == 0
    finally:
        pool.close()


def test_a_worker_that_died_idle_is_skipped(tmp_path: Path) -> None:
    pool = warm_manim_workers(1, tmp_path / "logs")
    try:
        pool.take()
        wait_for_idle(pool, 1)
        pool._idle[0].process.kill()
        pool._idle[0].process.wait()
        assert pool.take() is None
        wait_for_idle(pool, 1)
        assert pool._idle[0].process.poll() is None
    finally:
        pool.close()
