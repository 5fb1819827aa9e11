"""Warm workers: started ahead of need by one long-lived thread, kept from job to job, replaced
only once one has exited (let go, stopped, failed or died idle)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from creator_service import warm as warm_module
from creator_service.processes import CancelToken, ChildProcessFailed, StageCancelled
from creator_service.rendering.manim_clips import warm_manim_workers
from creator_service.warm import WarmWorker, WarmWorkers

# A stand-in worker speaking the pool's protocol: a job file says "say X" (it prints X),
# "fail" (exit 3) or "sleep" (a long job, to be stopped).
STAND_IN = """
import sys, time
from pathlib import Path
from creator_service.warm import serve_job_files

def run(path: Path) -> int:
    order = path.read_text()
    if order == "fail":
        print("the job went wrong", file=sys.stderr)
        return 3
    if order == "sleep":
        time.sleep(60)
    print(order.removeprefix("say "), flush=True)
    return 0

sys.exit(serve_job_files(run))
"""


def stand_in_pool(tmp_path: Path, size: int = 1) -> WarmWorkers:
    return WarmWorkers(size, tmp_path / "logs", dict(os.environ), [sys.executable, "-c", STAND_IN], "stand-in")


def job_file(tmp_path: Path, name: str, order: str) -> Path:
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "job.txt").write_text(order, encoding="utf-8")
    return folder / "job.txt"


def wait_for_idle(pool: WarmWorkers, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(pool._idle) < count:
        assert time.monotonic() < deadline, "the pool did not fill"
        time.sleep(0.02)


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[WarmWorkers]:
    """A pool of one stand-in worker, closed after the test."""
    made = stand_in_pool(tmp_path)
    try:
        yield made
    finally:
        made.close()


def first_worker(pool: WarmWorkers) -> WarmWorker:
    """The pool's first call only starts it; once it has filled, its worker, taken."""
    assert pool.take() is None
    wait_for_idle(pool, 1)
    worker = pool.take()
    assert worker is not None
    return worker


def test_one_worker_serves_job_after_job_and_waits_between_them_in_no_video_folder(
        pool: WarmWorkers, tmp_path: Path) -> None:
    worker = first_worker(pool)
    pids, said = set(), []
    for number in range(3):
        if number:
            worker = pool.take()
            assert worker is not None
        pids.add(worker.process.pid)
        pool.follow(worker, job_file(tmp_path, f"vid_{number}", f"say hello {number}"), cancel=CancelToken(),
                    what="the stand-in", on_line=said.append)
        assert os.readlink(f"/proc/{worker.process.pid}/cwd") == os.getcwd()  # back out of vid_N
    assert said == ["hello 0", "hello 1", "hello 2"]
    assert len(pids) == 1 and pool._made == 1  # one start-up for three jobs


def test_a_worker_stopped_mid_job_is_replaced_only_once_it_has_exited(pool: WarmWorkers, tmp_path: Path) -> None:
    worker = first_worker(pool)
    cancel = CancelToken()
    process = worker.hand(job_file(tmp_path, "vid_a", "sleep"), cancel)
    time.sleep(0.5)
    assert pool._made == 1 and not pool._idle  # no start-up takes a core from the job
    cancel.cancel()
    assert process.wait(timeout=10) != 0
    wait_for_idle(pool, 1)
    assert pool._made == 2 and pool._idle[0].process.pid != process.pid


def test_a_failed_job_raises_with_the_workers_log_and_the_worker_is_replaced(
        pool: WarmWorkers, tmp_path: Path) -> None:
    worker = first_worker(pool)
    with pytest.raises(ChildProcessFailed, match="exit code 3.*the job went wrong"):
        pool.follow(worker, job_file(tmp_path, "vid_a", "fail"), cancel=CancelToken(), what="the stand-in")
    wait_for_idle(pool, 1)
    assert pool._idle[0].process.pid != worker.process.pid


def test_a_stopped_job_raises_the_stop(pool: WarmWorkers, tmp_path: Path) -> None:
    worker = first_worker(pool)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(StageCancelled):
        pool.follow(worker, job_file(tmp_path, "vid_a", "say never"), cancel=cancel, what="the stand-in")


def test_a_worker_left_mid_job_is_stopped_and_replaced(pool: WarmWorkers, tmp_path: Path) -> None:
    """A report the stage cannot take leaves the worker mid-job: it must not stay taken forever."""
    worker = first_worker(pool)

    def refuse(line: str) -> None:
        raise ValueError(f"cannot read {line!r}")

    with pytest.raises(ValueError, match="cannot read 'hello'"):
        pool.follow(worker, job_file(tmp_path, "vid_a", "say hello"), cancel=CancelToken(), what="stand-in",
                    on_line=refuse)
    assert worker.process.wait(timeout=10) != 0
    wait_for_idle(pool, 1)
    assert pool._idle[0].process.pid != worker.process.pid


def test_a_worker_is_let_go_after_its_share_of_jobs(
        pool: WarmWorkers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warm_module, "MAX_JOB_FILES", 2)
    first = first_worker(pool)
    for number in range(2):
        pool.follow(first, job_file(tmp_path, f"vid_{number}", "say hi"), cancel=CancelToken(), what="stand-in")
        if number == 0:
            assert pool.take() is first  # kept after one job
    assert first.process.wait(timeout=10) == 0  # let go after two: its input ended
    wait_for_idle(pool, 1)
    assert pool._idle[0].process.pid != first.process.pid


def test_a_worker_that_died_idle_is_skipped(pool: WarmWorkers) -> None:
    pool.take()
    wait_for_idle(pool, 1)
    pool._idle[0].process.kill()
    pool._idle[0].process.wait()
    assert pool.take() is None
    wait_for_idle(pool, 1)
    assert pool._idle[0].process.poll() is None


def test_the_manim_worker_serves_one_jobs_file_after_another(tmp_path: Path) -> None:
    """The real worker's loop: two (empty) jobs files, one process, each ended by its line."""
    pool = warm_manim_workers(1, tmp_path / "logs")
    try:
        worker = first_worker(pool)
        for number in range(2):
            jobs = tmp_path / f"vid_{number}" / "manim-jobs-0.json"
            jobs.parent.mkdir()
            jobs.write_text(json.dumps([]), encoding="utf-8")
            pool.follow(worker, jobs, cancel=CancelToken(), what="Manim rendering")
        assert worker.process.poll() is None and pool._made == 1
    finally:
        pool.close()
