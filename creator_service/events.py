"""What the session engine says happened, as typed domain events.

The engine never speaks wire JSON. It hands these to its subscribers; each adapter (the
WebSocket endpoint, the job runner, webhooks) translates them for its own audience. Every event
is emitted only after the change it reports has been written to the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union

from .models import FinalVideo, StageOutput


@dataclass(frozen=True)
class StageStarted:
    video_id: str
    stage: str
    version: int


@dataclass(frozen=True)
class StageProgressed:
    video_id: str
    stage: str
    version: int
    fraction: float
    detail: str


@dataclass(frozen=True)
class StageCompleted:
    video_id: str
    stage: str
    version: int
    output: StageOutput
    # 1-based position of the stage in the session's order, and the order's length.
    position: int
    total: int
    # Offered again after a `goto`, with no work done: nothing it reads has changed.
    reused: bool = False


@dataclass(frozen=True)
class StageSkipped:
    video_id: str
    stage: str

@dataclass(frozen=True)
class StageFailed:
    video_id: str
    stage: str
    version: int
    error: str


@dataclass(frozen=True)
class PipelineCompleted:
    video_id: str
    final: FinalVideo


@dataclass(frozen=True)
class SessionStopped:
    video_id: str


@dataclass(frozen=True)
class SessionExpired:
    video_id: str
    idle_hours: float


@dataclass(frozen=True)
class PresenceChanged:
    video_id: str
    people: list[dict[str, Any]]


@dataclass(frozen=True)
class CommentAdded:
    video_id: str
    comment: dict[str, Any]


@dataclass(frozen=True)
class CommentResolved:
    video_id: str
    comment_id: str
    by: str


@dataclass(frozen=True)
class ApprovalSigned:
    video_id: str
    signature: dict[str, Any]


@dataclass(frozen=True)
class VariantsReady:
    """Every variant of a branch has ended: (version, output or None, error or None) each,
    beside the version under review when the branch began."""

    video_id: str
    stage: str
    base: tuple[int, StageOutput] | None
    made: list[tuple[int, StageOutput | None, str | None]]


EngineEvent = Union[
    StageStarted, StageProgressed, StageCompleted, StageSkipped, StageFailed, PipelineCompleted, SessionStopped,
    SessionExpired, PresenceChanged, CommentAdded, CommentResolved, ApprovalSigned, VariantsReady,
]
Subscriber = Callable[[EngineEvent], None]

# Events after which the session does nothing more.
FINAL_EVENTS = (SessionStopped, SessionExpired)
