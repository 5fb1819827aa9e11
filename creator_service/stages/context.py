"""What a stage handler is given, and how it reports progress or failure.

Handlers are plain synchronous functions `(StageContext) -> StageOutput`; they run in a worker
thread and hand CPU-heavy work to child processes through `ctx.cancel` and `ctx.services.slots`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, TypeVar

from ..models import StageOutput
from ..processes import CancelToken
from ..rendering.clips_together import Seat
from ..services import Services

OutputT = TypeVar("OutputT")


class StageFailure(Exception):
    """A stage could not produce its output; the message is written for the reviewer."""


class ProgressReporter:
    """Latest progress of a stage, written by its worker thread and read by the event loop.

    Progress never goes backwards, so a bar drawn from it never jumps back.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fraction = 0.0
        self._detail = "starting"

    def __call__(self, fraction: float, detail: str) -> None:
        with self._lock:
            self._fraction = max(self._fraction, min(1.0, max(0.0, fraction)))
            self._detail = detail

    def snapshot(self) -> tuple[float, str]:
        with self._lock:
            return self._fraction, self._detail


ProgressSink = Callable[[float, str], None]


@dataclass(frozen=True)
class StageContext:
    video_id: str
    video_type: str
    brief: object
    stage: str
    version: int
    video_dir: Path
    work_dir: Path
    feedback: str | None
    # This stage's latest earlier version, when regenerating.
    previous: StageOutput | None
    # Outputs of the stages accepted before this one.
    accepted: Mapping[str, StageOutput]
    progress: ProgressSink
    cancel: CancelToken
    services: Services
    # A per-scene regenerate: only these scenes (0-based) are redone; every other scene keeps
    # the previous version's output as it is. None: the whole stage.
    scenes: frozenset[int] | None = None
    # Remaking this accepted output in another aspect (the brief's `formats`): keep its look.
    reshape_of: StageOutput | None = None
    # The stages that come after this one in the session's order: a stage whose pictures a
    # later one composes again makes only quick previews of them (composed_again.py).
    later_stages: tuple[str, ...] = ()
    # A branch's variant: its Manim clips are rendered with the other variants' when they
    # differ only in colour (rendering/clips_together.py). None: on its own.
    clips_together: Seat | None = None

    def redo(self, index: int) -> bool:
        return self.scenes is None or index in self.scenes

    def output_of(self, stage: str, kind: type[OutputT]) -> OutputT:
        output = self.accepted.get(stage)
        if not isinstance(output, kind):
            raise StageFailure(f"the {stage} stage has no accepted output to build on")
        return output

    def previous_as(self, kind: type[OutputT]) -> OutputT | None:
        return self.previous if isinstance(self.previous, kind) else None

    def kept(self, kind: type[OutputT]) -> OutputT | None:
        """For a per-scene regenerate, the previous version whose other scenes are kept."""
        if self.scenes is None:
            return None
        previous = self.previous_as(kind)
        if previous is None:
            raise StageFailure(f"the {self.stage} stage has no earlier version to keep the other scenes from")
        return previous

    def relative(self, path: Path) -> str:
        """A path inside the video's folder as recorded in outputs."""
        return path.relative_to(self.video_dir).as_posix()


StageHandler = Callable[[StageContext], StageOutput]
