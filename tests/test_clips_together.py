"""A branch's variants meet to render their Manim clips once for all their palettes.

In-process rules with a stand-in for render_clips (no Manim): about a second in all, most of it
the timers that stand for variants ending or being stopped.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from creator_service.processes import CancelToken, ChildProcessFailed, StageCancelled
from creator_service.rendering.clips_together import ClipsTogether, merged
from creator_service.rendering.manim_clips import ClipJob
from creator_service.rendering.palettes import PALETTES


def _jobs(variant: str, palette: str, *, words: str = "Lowers blood sugar") -> list[ClipJob]:
    return [
        ClipJob(index=index, scene="social_media.hook", seconds=4.0,
                spec={"on_screen_text": f"{words} {index}", "palette": PALETTES[palette]},
                output=Path(f"/videos/v{variant}/scene_{index:02d}.mp4"))
        for index in range(3)
    ]


def test_variants_that_differ_only_in_colour_become_one_job_per_scene() -> None:
    jobs = merged([_jobs("2", "sunrise"), _jobs("3", "ocean"), _jobs("4", "forest")])
    assert jobs is not None and [job.index for job in jobs] == [0, 1, 2]
    for job in jobs:
        assert job.spec["palette"] == PALETTES["sunrise"]
        assert job.output == Path(f"/videos/v2/scene_{job.index:02d}.mp4")
        assert job.also == ((PALETTES["ocean"], Path(f"/videos/v3/scene_{job.index:02d}.mp4")),
                            (PALETTES["forest"], Path(f"/videos/v4/scene_{job.index:02d}.mp4")))
    # Dealt to the workers as the more work they are.
    assert jobs[0].cost > jobs[0].seconds


def test_variants_with_other_words_or_other_scenes_are_not_merged() -> None:
    assert merged([_jobs("2", "sunrise"), _jobs("3", "ocean", words="Helps you")]) is None
    assert merged([_jobs("2", "sunrise"), _jobs("3", "ocean")[:2]]) is None


class _Runs:
    """Stands in for each variant's render_clips: records the jobs it was given."""

    def __init__(self, fail: Exception | None = None, seconds: float = 0.05) -> None:
        self.calls: list[tuple[str, list[ClipJob]]] = []
        self.fail, self.seconds = fail, seconds
        self._lock = threading.Lock()

    def runner(self, variant: str) -> Callable[[list[ClipJob], Callable[[float, str], None]], None]:
        def run(jobs: list[ClipJob], progress: Callable[[float, str], None]) -> None:
            progress(0.5, "rendered 1 of 2 clips")
            with self._lock:
                self.calls.append((variant, jobs))
            time.sleep(self.seconds)
            if self.fail is not None:
                raise self.fail
        return run


def _in_threads(targets: dict[str, Callable[[], None]]) -> dict[str, BaseException | None]:
    outcomes: dict[str, BaseException | None] = {}

    def call(name: str) -> None:
        try:
            targets[name]()
            outcomes[name] = None
        except BaseException as exc:  # noqa: BLE001 - the test looks at what each variant saw
            outcomes[name] = exc

    threads = [threading.Thread(target=call, args=(name,)) for name in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_the_last_variant_in_renders_for_all_and_every_variant_hears_its_progress() -> None:
    meeting, runs = ClipsTogether(3), _Runs()
    seats = {name: meeting.seat() for name in "abc"}
    heard: dict[str, list[str]] = {name: [] for name in "abc"}
    outcomes = _in_threads({
        name: (lambda name=name, palette=palette: seats[name].render(
            _jobs(name, palette), runs.runner(name), CancelToken(), lambda f, d, name=name: heard[name].append(d)))
        for name, palette in zip("abc", ("sunrise", "ocean", "forest"))
    })
    assert outcomes == {"a": None, "b": None, "c": None}
    assert len(runs.calls) == 1
    _, jobs = runs.calls[0]
    assert all(len(job.also) == 2 for job in jobs)
    assert heard == {name: ["rendered 1 of 2 clips, in 3 palettes at once"] for name in "abc"}


def test_a_variant_that_ends_without_asking_is_not_waited_for() -> None:
    meeting, runs = ClipsTogether(3), _Runs()
    a, b, failed = meeting.seat(), meeting.seat(), meeting.seat()
    timer = threading.Timer(0.3, failed.leave)  # its stage failed before it drew anything
    timer.start()
    outcomes = _in_threads({
        "a": lambda: a.render(_jobs("a", "sunrise"), runs.runner("a"), CancelToken(), lambda f, d: None),
        "b": lambda: b.render(_jobs("b", "ocean"), runs.runner("b"), CancelToken(), lambda f, d: None),
    })
    assert outcomes == {"a": None, "b": None}
    assert len(runs.calls) == 1 and all(len(job.also) == 1 for job in runs.calls[0][1])
    a.leave()  # leaving after asking changes nothing
    b.leave()


def test_variants_that_differ_in_more_than_colour_render_their_own() -> None:
    meeting, runs = ClipsTogether(2), _Runs()
    a, b = meeting.seat(), meeting.seat()
    outcomes = _in_threads({
        "a": lambda: a.render(_jobs("a", "sunrise"), runs.runner("a"), CancelToken(), lambda f, d: None),
        "b": lambda: b.render(_jobs("b", "ocean", words="Helps you"), runs.runner("b"), CancelToken(), lambda f, d: None),
    })
    assert outcomes == {"a": None, "b": None}
    assert sorted(variant for variant, _ in runs.calls) == ["a", "b"]
    assert all(not job.also for _, jobs in runs.calls for job in jobs)


def test_a_failed_shared_render_fails_every_variant_with_its_words() -> None:
    meeting, runs = ClipsTogether(2), _Runs(fail=ChildProcessFailed("Manim rendering: exit status 1"))
    a, b = meeting.seat(), meeting.seat()
    outcomes = _in_threads({
        "a": lambda: a.render(_jobs("a", "sunrise"), runs.runner("a"), CancelToken(), lambda f, d: None),
        "b": lambda: b.render(_jobs("b", "ocean"), runs.runner("b"), CancelToken(), lambda f, d: None),
    })
    assert len(runs.calls) == 1
    assert all(isinstance(exc, ChildProcessFailed) and "exit status 1" in str(exc) for exc in outcomes.values())


def test_a_stopped_variant_stops_waiting_and_the_other_renders_alone() -> None:
    meeting, runs = ClipsTogether(3), _Runs()
    a, b, _never = meeting.seat(), meeting.seat(), meeting.seat()
    stop_a = CancelToken()
    threading.Timer(0.2, stop_a.cancel).start()
    # The third variant is still running when a is stopped; it then ends without asking.
    threading.Timer(0.5, _never.leave).start()
    outcomes = _in_threads({
        "a": lambda: a.render(_jobs("a", "sunrise"), runs.runner("a"), stop_a, lambda f, d: None),
        "b": lambda: b.render(_jobs("b", "ocean"), runs.runner("b"), CancelToken(), lambda f, d: None),
    })
    assert isinstance(outcomes["a"], StageCancelled) and outcomes["b"] is None
    assert runs.calls and [variant for variant, _ in runs.calls] == ["b"]
    assert not any(job.also for job in runs.calls[0][1])


def _leader_stopped(whole_branch: bool) -> tuple[dict[str, BaseException | None], list[str]]:
    """b arrives last and leads; it is stopped mid-render, alone or with the whole branch (whose
    stop reaches every variant through linked tokens). What each variant saw, and who rendered."""
    meeting = ClipsTogether(2)
    a, b = meeting.seat(), meeting.seat()
    branch = CancelToken()
    stop_a, stop_b = (branch.linked(), branch.linked()) if whole_branch else (CancelToken(), CancelToken())
    calls: list[str] = []

    def leader_run(jobs: list[ClipJob], progress: Callable[[float, str], None]) -> None:
        calls.append("b")
        (branch if whole_branch else stop_b).cancel()
        raise StageCancelled()

    def own_run(jobs: list[ClipJob], progress: Callable[[float, str], None]) -> None:
        calls.append("a")

    def b_later() -> None:
        time.sleep(0.2)
        b.render(_jobs("b", "ocean"), leader_run, stop_b, lambda f, d: None)

    outcomes = _in_threads({
        "a": lambda: a.render(_jobs("a", "sunrise"), own_run, stop_a, lambda f, d: None),
        "b": b_later,
    })
    return outcomes, calls


def test_when_the_leading_variant_is_stopped_the_others_render_their_own() -> None:
    outcomes, calls = _leader_stopped(whole_branch=False)
    assert isinstance(outcomes["b"], StageCancelled) and outcomes["a"] is None
    assert calls == ["b", "a"]


def test_when_the_whole_branch_is_stopped_nobody_renders_again() -> None:
    outcomes, calls = _leader_stopped(whole_branch=True)
    assert isinstance(outcomes["a"], StageCancelled) and isinstance(outcomes["b"], StageCancelled)
    assert calls == ["b"]
