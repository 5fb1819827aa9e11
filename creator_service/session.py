"""`CreatorSession`: the spec's session fields, plus the history of every stage version.

The session is plain data. It never decides what may happen next (the state machine does);
it records what did happen, so nothing a reviewer has seen is ever lost.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .models import StageOutput
from .payloads import Brief

AttemptStatus = Literal["running", "completed", "error", "cancelled"]
# Who accepts each stage: a reviewer over the WebSocket, or the automated endpoints' policy.
Mode = Literal["creator", "auto"]


# What new_video_id() makes; anything else named as a video id is refused before a lookup.
VIDEO_ID = re.compile(r"^vid_[0-9a-f]{12}$")


def new_video_id() -> str:
    return f"vid_{secrets.token_hex(6)}"


def new_resume_token() -> str:
    """256 random bits: the only thing besides the id that lets a client attach again."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # The store keeps only this: a stolen database does not let anyone resume a session.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class StageAttempt:
    stage: str
    version: int
    feedback: str | None
    status: AttemptStatus = "running"
    # The fingerprint of the accepted inputs it was made from (see inputs_fingerprint).
    inputs: str | None = None
    # A per-scene regenerate: the scenes this version redid (the others are the previous version's).
    scenes: list[int] | None = None
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
    mode: Mode = "creator"
    # The user who made the video; None before there were users (only admins see those).
    owner: str | None = None
    resume_token_hash: str | None = None
    # Accept each stage as it completes (the automated endpoints, or a reviewer's `auto`).
    auto_accept: bool = False
    callback_url: str | None = None
    # Where the session was started from: the base of the URLs its webhooks carry.
    base_url: str | None = None
    created_at: float = field(default_factory=time.time)
    stage_index: int = 0
    # Latest completed output per stage (the one under review, or the accepted one).
    stage_outputs: dict[str, StageOutput] = field(default_factory=dict)
    # The version of each entry of stage_outputs.
    output_versions: dict[str, int] = field(default_factory=dict)
    # How many times each stage has been started (its latest version number).
    stage_versions: dict[str, int] = field(default_factory=dict)
    # Feedback for the next run of the current stage (from `regenerate`), and the scenes it redoes.
    user_feedback: str | None = None
    user_scenes: list[int] | None = None
    is_active: bool = True
    # Outputs the reviewer accepted, in stage order: what later stages build on.
    accepted: dict[str, StageOutput] = field(default_factory=dict)
    accepted_versions: dict[str, int] = field(default_factory=dict)
    # Optional stages the reviewer skipped: later stages do without them.
    skipped: list[str] = field(default_factory=list)
    # Approval policy: stage -> the reviewer disciplines that must sign before it is accepted.
    approvals: dict[str, list[str]] = field(default_factory=dict)
    history: list[StageAttempt] = field(default_factory=list)

    @property
    def current_stage(self) -> str:
        return self.stage_order[self.stage_index]

    @property
    def is_last_stage(self) -> bool:
        return self.stage_index == len(self.stage_order) - 1

    def begin_attempt(self, inputs: str | None = None) -> StageAttempt:
        stage = self.current_stage
        version = self.stage_versions.get(stage, 0) + 1
        self.stage_versions[stage] = version
        attempt = StageAttempt(stage=stage, version=version, feedback=self.user_feedback, inputs=inputs,
                               scenes=self.user_scenes)
        self.user_scenes = None
        self.history.append(attempt)
        return attempt

    def record_success(self, attempt: StageAttempt, output: StageOutput) -> None:
        attempt.finish("completed", output=output)
        self.stage_outputs[attempt.stage] = output
        self.output_versions[attempt.stage] = attempt.version

    def record_failure(self, attempt: StageAttempt, error: str) -> None:
        attempt.finish("error", error=error)

    def record_cancelled(self, attempt: StageAttempt) -> None:
        if attempt.status == "running":
            attempt.finish("cancelled")

    def accept_current(self) -> None:
        """The reviewer approved the current stage's latest output."""
        stage = self.current_stage
        self.accepted[stage] = self.stage_outputs[stage]
        self.accepted_versions[stage] = self.output_versions[stage]
        if stage in self.skipped:
            self.skipped.remove(stage)
        self.user_feedback = None

    def inputs_fingerprint(self, inputs: tuple[str, ...]) -> str:
        """A hash of the accepted content of `inputs` (a skipped or absent input counts as none)."""
        digest = hashlib.sha256()
        for stage in inputs:
            output = self.accepted.get(stage) if stage not in self.skipped else None
            content = output.model_dump_json() if output is not None else "-"
            digest.update(f"{stage}:{hashlib.sha256(content.encode()).hexdigest()};".encode())
        return digest.hexdigest()

    def advance(self) -> None:
        self.stage_index += 1

    def versions_of(self, stage: str) -> list[StageAttempt]:
        return [attempt for attempt in self.history if attempt.stage == stage]

    def latest_attempt(self) -> StageAttempt | None:
        return self.history[-1] if self.history else None
