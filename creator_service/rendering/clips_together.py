"""A branch's visuals variants render their Manim clips together.

Variants that differ only in colour ("warmer", "cooler") would each build, animate and trace
the same scenes. Instead each variant's stage hands its clip jobs to the branch's
`ClipsTogether`; when every variant still running has handed them in, one of them renders
each scene once for all the palettes (manim_scenes/palettes_at_once.py) and the others wait.
Variants whose clips differ in more than colour (other scenes, other words) render their own,
side by side, as before. A variant that ends without asking (it failed earlier, or its stage
draws no Manim clips) leaves, so nobody waits for it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from typing import Callable

from ..processes import CancelToken, StageCancelled
from .manim_clips import ClipJob

# How often a waiting variant looks at its own cancel token.
WAIT_STEP = 0.2

Progress = Callable[[float, str], None]
# Renders a list of jobs for one variant (render_clips with its slots and cancel token),
# reporting to the progress it is given.
Run = Callable[[list[ClipJob], Progress], None]


def _shape(job: ClipJob) -> str:
    """Everything in a job that decides a clip's picture except its colours. (The frame's size and
    rate are not in a job: a branch's variants share one brief and one accepted scene plan.)"""
    spec = {key: value for key, value in job.spec.items() if key != "palette"}
    return json.dumps([job.index, job.scene, job.seconds, job.transparent, job.design_aspect, spec], sort_keys=True)


def merged(asks: list[list[ClipJob]]) -> list[ClipJob] | None:
    """One job per scene, drawing every variant's palette, if the variants' clips differ only
    in colour; else None."""
    first = asks[0]
    if any(sorted(map(_shape, ask)) != sorted(map(_shape, first)) for ask in asks[1:]):
        return None
    by_shape = {_shape(job): job for job in first}
    others: dict[str, list[ClipJob]] = {shape: [] for shape in by_shape}
    for ask in asks[1:]:
        for job in ask:
            others[_shape(job)].append(job)
    return [
        replace(job, also=tuple((other.spec["palette"], other.output) for other in others[shape]))
        for shape, job in by_shape.items()
    ]


@dataclass(eq=False)  # asks are told apart by identity: two variants may hand in equal jobs
class _Ask:
    jobs: list[ClipJob]
    progress: Progress


class ClipsTogether:
    """The meeting point of one branch's variants: each variant's stage gets a `Seat`."""

    def __init__(self, variants: int) -> None:
        self._awaited = variants  # seats that have neither asked nor left
        self._asks: list[_Ask] = []
        self._jobs: list[ClipJob] | None = None  # the merged jobs, once decided
        self._decided = False
        self._finished = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()

    def seat(self) -> Seat:
        return Seat(self)

    def _arrive(self, jobs: list[ClipJob], cancel: CancelToken, progress: Progress) -> tuple[bool, bool]:
        """(together, leads) for a seat that hands in `jobs`, once every awaited seat is in."""
        with self._changed:
            if self._decided:  # a latecomer (a second call from one stage): on its own
                return False, False
            ask = _Ask(jobs, progress)
            self._asks.append(ask)
            self._awaited -= 1
            self._changed.notify_all()
            while not self._decided and self._awaited > 0:
                if cancel.cancelled:  # stopped while waiting: it leaves (its seat will not ask again)
                    self._asks.remove(ask)
                    self._changed.notify_all()
                    raise StageCancelled()
                self._changed.wait(WAIT_STEP)
            if self._decided:
                return self._jobs is not None, False
            self._decided = True
            self._jobs = merged([ask.jobs for ask in self._asks]) if len(self._asks) > 1 else None
            self._changed.notify_all()
            return self._jobs is not None, self._jobs is not None

    def _leave(self) -> None:
        with self._changed:
            self._awaited -= 1
            self._changed.notify_all()

    def _lead(self, run: Run) -> None:
        assert self._jobs is not None
        palettes = len(self._asks)

        def to_every_variant(fraction: float, detail: str) -> None:
            for ask in self._asks:
                ask.progress(fraction, f"{detail}, in {palettes} palettes at once")

        error: BaseException | None = None
        try:
            run(self._jobs, to_every_variant)
        except BaseException as exc:  # every variant hears how the shared render ended
            error = exc
        with self._changed:
            self._finished, self._error = True, error
            self._changed.notify_all()
        if error is not None:
            raise error

    def _follow(self, jobs: list[ClipJob], run: Run, cancel: CancelToken, progress: Progress) -> None:
        with self._changed:
            while not self._finished:
                if cancel.cancelled:
                    raise StageCancelled()
                self._changed.wait(WAIT_STEP)
        if isinstance(self._error, StageCancelled) and not cancel.cancelled:
            run(jobs, progress)  # the leading variant was stopped, this one was not: its own clips after all
        elif self._error is not None:
            raise self._error


class Seat:
    """One variant's place at the meeting: it asks once, and leaves when its stage ends."""

    def __init__(self, meeting: ClipsTogether) -> None:
        self._meeting = meeting
        self._done = False  # asked or left: no longer awaited

    def render(self, jobs: list[ClipJob], run: Run, cancel: CancelToken, progress: Progress) -> None:
        """Render `jobs` (each to its output) with the other variants', or on their own. Drawn
        together, every variant hears the shared render's progress."""
        if self._done:
            run(jobs, progress)
            return
        self._done = True
        together, leads = self._meeting._arrive(jobs, cancel, progress)
        if not together:
            run(jobs, progress)
        elif leads:
            self._meeting._lead(run)
        else:
            self._meeting._follow(jobs, run, cancel, progress)

    def leave(self) -> None:
        """The variant's stage has ended: if it never asked, nobody waits for it any more."""
        if not self._done:
            self._done = True
            self._meeting._leave()
