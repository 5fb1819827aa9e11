"""The web server's side of the Celery workers, in-process: how a job is queued (work ahead of
need at the lowest priority), and the watch on the workers running a stage's tasks (a worker that
stops answering pings for WORKER_LOST_SECONDS is taken for gone, and its tasks are sent again).
The real things, with Redis and workers, are in test_celery.py."""

from __future__ import annotations

from pathlib import Path

from creator_service.rendering.on_workers import (
    AHEAD_PRIORITY,
    PING_EVERY_SECONDS,
    WORKER_LOST_SECONDS,
    LostWorkers,
    WorkerJob,
    task_options,
)


def test_work_ahead_is_queued_last_and_says_so_to_the_worker() -> None:
    stage = WorkerJob("ffmpeg", Path("/data/s1.ffmpeg.json"), Path("/data/s1.log"))
    assert task_options(stage) == {"args": ["ffmpeg", "/data/s1.ffmpeg.json", "/data/s1.log"]}
    ahead = WorkerJob("ffmpeg", Path("/data/s1.ffmpeg.json"), Path("/data/s1.log"), background=True)
    assert task_options(ahead) == {"args": ["ffmpeg", "/data/s1.ffmpeg.json", "/data/s1.log"],
                                   "kwargs": {"background": True}, "priority": AHEAD_PRIORITY}


class Pings:
    """Stands in for `app.control.ping`: the hosts in `answering` answer; every ping is recorded."""

    def __init__(self, answering: set[str]) -> None:
        self.answering = answering
        self.asked: list[list[str]] = []

    def __call__(self, hosts: list[str]) -> set[str]:
        self.asked.append(hosts)
        return set(hosts) & self.answering


def watch(lost: LostWorkers, running: set[str], until: float, start: float = 0.0, step: float = 0.25) -> set[str]:
    """Check every `step` seconds from `start` to `until`; every host found lost on the way."""
    found: set[str] = set()
    now = start
    while now <= until:
        found |= lost.check(running, now)
        now += step
    return found


def test_a_worker_that_answers_is_never_lost() -> None:
    pings = Pings({"w1@a", "w2@b"})
    assert watch(LostWorkers(pings), {"w1@a", "w2@b"}, until=5 * WORKER_LOST_SECONDS) == set()
    # Pinged every PING_EVERY_SECONDS, not at every check.
    assert 5 * WORKER_LOST_SECONDS / PING_EVERY_SECONDS - 1 <= len(pings.asked) <= 5 * WORKER_LOST_SECONDS / PING_EVERY_SECONDS + 1


def test_a_silent_worker_is_lost_after_the_allowed_time_and_not_before() -> None:
    lost = LostWorkers(Pings({"w1@a"}))
    assert watch(lost, {"w1@a", "w2@b"}, until=WORKER_LOST_SECONDS - 0.5) == set()
    assert lost.check({"w1@a", "w2@b"}, WORKER_LOST_SECONDS) == {"w2@b"}


def test_a_worker_that_answers_again_in_time_is_kept() -> None:
    pings = Pings(set())
    lost = LostWorkers(pings)
    assert watch(lost, {"w1@a"}, until=WORKER_LOST_SECONDS - 2) == set()
    pings.answering.add("w1@a")  # it was only slow
    assert watch(lost, {"w1@a"}, start=WORKER_LOST_SECONDS - 1.75, until=3 * WORKER_LOST_SECONDS) == set()


def test_nobody_is_pinged_while_no_task_runs() -> None:
    pings = Pings(set())
    assert watch(LostWorkers(pings), set(), until=3 * WORKER_LOST_SECONDS) == set()
    assert pings.asked == []
