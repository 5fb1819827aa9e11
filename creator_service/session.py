"""`CreatorSession`: the spec's session fields, plus the history of every stage version.

The session is plain data. It never decides what may happen next (the state machine does);
it records what did happen, so nothing a reviewer has seen is ever lost.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .models import StageOutput
from .payloads import Brief

AttemptStatus = Literal["running", "completed", "error", "cancelled"]


def new_video_id() -> str:
    return f"vid_{secrets.token_hex(6)}"


@dataclass
class StageAttempt:
    stage: str
    version: int
    feedback: str | None
    status: AttemptStatus = "running"
    output: StageOutput | None = None
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    def finish(self, status: AttemptStatus, output: StageOutput | None = None, error: str | None = None) -> None:
        self.status = status
        self.output = output
        self.error = error
        self.finished_at = time.time()


@dataclass
class CreatorSession:
    video_id: str
    video_type: str
    payload: Brief
    stage_order: list[str]
    video_dir: Path
    stage_index: int = 0
    # Latest completed output per stage (the one under review, or the accepted one).
    stage_outputs: dict[str, StageOutput] = field(default_factory=dict)
    # How many times each stage has been started (its latest version number).
    stage_versions: dict[str, int] = field(default_factory=dict)
    # Feedback for the next run of the current stage (from `regenerate`).
    user_feedback: str | None = None
    is_active: bool = True
    # Outputs the reviewer accepted, in stage order: what later stages build on.
    accepted: dict[str, StageOutput] = field(default_factory=dict)
    history: list[StageAttempt] = field(default_factory=list)

    @property
    def current_stage(self) -> str:
        return self.stage_order[self.stage_index]

    @property
    def is_last_stage(self) -> bool:
        return self.stage_index == len(self.stage_order) - 1

    def begin_attempt(self) -> StageAttempt:
        stage = self.current_stage
        version = self.stage_versions.get(stage, 0) + 1
        self.stage_versions[stage] = version
        attempt = StageAttempt(stage=stage, version=version, feedback=self.user_feedback)
        self.history.append(attempt)
        return attempt

    def record_success(self, attempt: StageAttempt, output: StageOutput) -> None:
        attempt.finish("completed", output=output)
        self.stage_outputs[attempt.stage] = output

    def record_failure(self, attempt: StageAttempt, error: str) -> None:
        attempt.finish("error", error=error)

    def record_cancelled(self, attempt: StageAttempt) -> None:
        if attempt.status == "running":
            attempt.finish("cancelled")

    def accept_current(self) -> None:
        """The reviewer approved the current stage's latest output."""
        self.accepted[self.current_stage] = self.stage_outputs[self.current_stage]
        self.user_feedback = None

    def advance(self) -> None:
        self.stage_index += 1

    def versions_of(self, stage: str) -> list[StageAttempt]:
        return [attempt for attempt in self.history if attempt.stage == stage]
