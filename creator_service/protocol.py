"""The wire format of `/ws/creator`: client actions in, server events out.

Parsing is total: any text either becomes a typed action or raises `ProtocolError` whose
message names the offending field or action. Nothing here knows about sessions or state;
whether an action is allowed *now* is the state machine's business.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, TypeAdapter, ValidationError

from .events import (
    ApprovalSigned,
    CommentAdded,
    CommentResolved,
    EngineEvent,
    PipelineCompleted,
    PresenceChanged,
    SessionStopped,
    StageCompleted,
    StageFailed,
    StageProgressed,
    StageSkipped,
    StageStarted,
    VariantsReady,
)
from .jsoninput import JsonInputError, parse_json
from .payloads import BRIEF_MODELS, TEXT_LIMIT, AnyBrief, FieldError, describe_validation_error
from .urls import PublicUrls
from .variants import comparison

MAX_MESSAGE_BYTES = 64 * 1024
FEEDBACK_LIMIT = TEXT_LIMIT
NEXT_ACTIONS_AFTER_COMPLETED = ["accept", "regenerate"]
NEXT_ACTIONS_AFTER_ERROR = ["regenerate", "stop"]


class ErrorCode(StrEnum):
    MESSAGE_TOO_LARGE = "message_too_large"
    BINARY_FRAME = "binary_frame"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_ACTION = "missing_action"
    INVALID_ACTION = "invalid_action"
    UNKNOWN_ACTION = "unknown_action"
    UNKNOWN_FIELD = "unknown_field"
    INVALID_FIELD = "invalid_field"
    MISSING_FIELD = "missing_field"
    UNKNOWN_VIDEO_TYPE = "unknown_video_type"
    VIDEO_TYPE_UNAVAILABLE = "video_type_unavailable"
    INVALID_PAYLOAD = "invalid_payload"
    NOT_STARTED = "not_started"
    ALREADY_STARTED = "already_started"
    ACTION_NOT_ALLOWED = "action_not_allowed"
    SESSION_NOT_FOUND = "session_not_found"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    REGENERATION_LIMIT = "regeneration_limit"
    INVALID_STAGE_ORDER = "invalid_stage_order"
    APPROVAL_REQUIRED = "approval_required"
    WARNINGS_UNACKNOWLEDGED = "warnings_unacknowledged"


class ProtocolError(Exception):
    def __init__(self, code: ErrorCode, message: str, fields: list[FieldError] | None = None,
                 **extra: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or []
        # More the client needs, e.g. `retry_after` (seconds) with rate_limited.
        self.extra = extra

    def to_event(self) -> dict[str, Any]:
        return {**protocol_error(self.code, self.message, self.fields), **self.extra}


class _Action(BaseModel):
    # strict: a number is not a string, and nothing is coerced behind the client's back.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    action: str

    @property
    def name(self) -> str:
        return self.action


class StartAction(_Action):
    action: Literal["start"] = "start"
    video_type: str
    payload: dict[str, Any]
    # Any order that respects the stages' dependencies, render last (checked by the video type).
    stage_order: list[str] | None = Field(default=None, max_length=12)
    # Gets a POST for every stage completion, stage error and the pipeline's end.
    callback_url: str | None = Field(default=None, max_length=2000)
    # Stage -> the reviewer disciplines that must approve it before it is accepted.
    approvals: dict[str, list[str]] | None = None
    _brief: Any = PrivateAttr(default=None)

    @property
    def brief(self) -> AnyBrief:
        """The payload validated by its video type's brief model (set by the parser)."""
        return self._brief  # type: ignore[no-any-return]


class AcceptAction(_Action):
    action: Literal["accept"] = "accept"
    # The reviewer has read the version's warnings (unsupported claims, failed rules) and accepts anyway.
    acknowledge_warnings: StrictBool = False


class RegenerateAction(_Action):
    action: Literal["regenerate"] = "regenerate"
    feedback: str | None = Field(default=None, max_length=FEEDBACK_LIMIT)
    # Redo only these scenes (0-based indices into scenes_data); the others stay as they are.
    scenes: list[int] | None = Field(default=None, max_length=100)


class StopAction(_Action):
    action: Literal["stop"] = "stop"


class ResumeAction(_Action):
    """Attach this connection to a session that already exists (after a drop or a restart)."""

    action: Literal["resume"] = "resume"
    video_id: str = Field(max_length=64)
    resume_token: str = Field(max_length=256)


class SkipAction(_Action):
    """Skip the current stage, if it is optional (render does without it)."""

    action: Literal["skip"] = "skip"


class GotoAction(_Action):
    """Back to a stage already reached, to regenerate or accept it again."""

    action: Literal["goto"] = "goto"
    stage: str = Field(max_length=32)


class JoinAction(_Action):
    """Attach to a video's session as one of its members (no resume token needed)."""

    action: Literal["join"] = "join"
    video_id: str = Field(max_length=64)


class CommentAction(_Action):
    action: Literal["comment"] = "comment"
    stage: str = Field(max_length=32)
    version: int
    text: str = Field(max_length=4000)
    scene: int | None = None
    # Seconds into that version's clip, audio or video.
    at: float | int | None = None
    reply_to: str | None = Field(default=None, max_length=32)


class ResolveAction(_Action):
    action: Literal["resolve"] = "resolve"
    comment_id: str = Field(max_length=32)


class ApproveAction(_Action):
    """A reviewer's signature on the version under review."""

    action: Literal["approve"] = "approve"
    decision: Literal["approved", "approved_with_changes", "rejected"]
    note: str | None = Field(default=None, max_length=4000)


class Variant(BaseModel):
    """One version a branch tries: its own feedback, and optionally only some scenes."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    feedback: str | None = Field(default=None, max_length=FEEDBACK_LIMIT)
    scenes: list[int] | None = Field(default=None, max_length=100)


class BranchAction(_Action):
    """Try 2 to 4 versions of the current stage at once, then compare and choose."""

    action: Literal["branch"] = "branch"
    variants: list[Variant] = Field(min_length=2, max_length=4)


class ChooseAction(_Action):
    """Make any completed version of the current stage the one under review."""

    action: Literal["choose"] = "choose"
    version: int


class ForkAction(_Action):
    """A new session sharing everything accepted so far and the version under review."""

    action: Literal["fork"] = "fork"


class AuthAction(_Action):
    """A browser's first message: who it is (programs send an Authorization header instead)."""

    action: Literal["auth"] = "auth"
    token: str = Field(max_length=512)


class AutoAction(_Action):
    """Hand the session to the automatic policy: every remaining stage is accepted as it completes."""

    action: Literal["auto"] = "auto"


# The one table of client actions: the union pydantic discriminates on, and the names errors list.
_MODELS: dict[str, type[_Action]] = {
    "start": StartAction, "accept": AcceptAction, "regenerate": RegenerateAction, "stop": StopAction,
    "resume": ResumeAction, "auto": AutoAction, "auth": AuthAction, "skip": SkipAction, "goto": GotoAction,
    "join": JoinAction, "comment": CommentAction, "resolve": ResolveAction, "approve": ApproveAction,
    "choose": ChooseAction, "fork": ForkAction, "branch": BranchAction,
}
ACTION_NAMES: tuple[str, ...] = tuple(_MODELS)
ClientAction = Annotated[Union[tuple(_MODELS.values())], Field(discriminator="action")]  # type: ignore[valid-type]
_ACTIONS: TypeAdapter[Any] = TypeAdapter(ClientAction)


def parse_client_message(text: str) -> _Action:
    """Validate one text frame completely, or raise a ProtocolError that says what is wrong."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"message is {size:,} bytes; the limit is {MAX_MESSAGE_BYTES:,} bytes",
        )
    try:
        message = parse_json(text)
    except JsonInputError as exc:
        raise ProtocolError(ErrorCode.INVALID_JSON, f"message is not valid JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError(
            ErrorCode.NOT_AN_OBJECT,
            f"message must be a JSON object with an 'action' field, got {_json_kind(message)}",
        )
    if "action" not in message:
        raise ProtocolError(
            ErrorCode.MISSING_ACTION, f"field 'action' is required; use one of: {', '.join(ACTION_NAMES)}"
        )
    action = message["action"]
    if not isinstance(action, str):
        raise ProtocolError(
            ErrorCode.INVALID_ACTION, f"field 'action' must be a string, got {_json_kind(action)}"
        )
    try:
        parsed = _ACTIONS.validate_python(message)
    except ValidationError as exc:
        raise _action_error(action, message, exc) from None
    if isinstance(parsed, StartAction):
        parsed._brief = _parse_brief(parsed.video_type, parsed.payload)
    if isinstance(parsed, RegenerateAction) and parsed.feedback is not None:
        # The spec's JavaScript client sends '' when the feedback box is empty.
        parsed = RegenerateAction(feedback=parsed.feedback.strip() or None, scenes=parsed.scenes)
    return parsed  # type: ignore[no-any-return]


def _action_error(action: str, message: dict[str, Any], exc: ValidationError) -> ProtocolError:
    """pydantic's first complaint about an action, in today's codes and words."""
    errors = exc.errors()
    kinds = {error["type"] for error in errors}
    if "union_tag_invalid" in kinds:
        return ProtocolError(
            ErrorCode.UNKNOWN_ACTION, f"unknown action {_clip(action)!r}; use one of: {', '.join(ACTION_NAMES)}"
        )
    takes = ", ".join(_MODELS[action].model_fields)
    # A nested field is named by its path (variants.1.colour).
    unknown = sorted(".".join(map(str, error["loc"][1:])) for error in errors if error["type"] == "extra_forbidden")
    if unknown:
        return ProtocolError(
            ErrorCode.UNKNOWN_FIELD,
            f"action '{action}' does not take field(s) {', '.join(repr(_clip(u)) for u in unknown)};"
            f" it takes: {takes}",
        )
    missing = [str(error["loc"][-1]) for error in errors if error["type"] == "missing"]
    if missing:
        return ProtocolError(
            ErrorCode.MISSING_FIELD,
            f"action '{action}' needs field '{missing[0]}'" + _MISSING_HINTS.get(missing[0], ""),
            [FieldError(field=name, error="is required") for name in missing],
        )
    error = errors[0]
    field = str(error["loc"][-1])
    value = message.get(field)
    if error["type"] == "string_too_long":
        limit = error.get("ctx", {}).get("max_length", 0)
        words = f"must be at most {limit:,} characters"
        detail = f"{words}, got {len(value):,}" if isinstance(value, str) else words
    elif field == "payload":
        words, detail = "must be a JSON object", f"must be a JSON object, got {_json_kind(value)}"
    elif field == "scenes" or error["loc"][1:2] == ("scenes",):
        field = "scenes"
        words = "must be a list of scene numbers (0-based integers)"
        detail = f"{words}, got {_json_kind(message.get('scenes'))}"
    elif error["type"] in ("too_short", "too_long"):
        context = error.get("ctx", {})
        words = (f"must have at least {context.get('min_length')} entries" if error["type"] == "too_short"
                 else f"must have at most {context.get('max_length')} entries")
        detail = f"{words}, got {context.get('actual_length')}"
    elif error["type"] == "literal_error":
        words = f"must be one of {error.get('ctx', {}).get('expected', '')}"
        detail = f"{words}, got {_clip(str(value))!r}"
    else:
        field = str(error["loc"][1]) if len(error["loc"]) > 1 else field
        value = message.get(field)
        words = _TYPE_WORDS.get(error["type"].split("_")[0], "must be a string")
        detail = f"{words}, got {_json_kind(value)}"
    return ProtocolError(ErrorCode.INVALID_FIELD, f"field '{field}' {detail}", [FieldError(field=field, error=words)])


_TYPE_WORDS = {
    "int": "must be an integer", "float": "must be a number", "dict": "must be a JSON object",
    "list": "must be a list", "bool": "must be true or false", "string": "must be a string",
}
_MISSING_HINTS = {
    "video_type": f", one of: {', '.join(BRIEF_MODELS)}",
    "payload": " (the brief, a JSON object)",
}


def _parse_brief(video_type: str, payload: dict[str, Any]) -> AnyBrief:
    model = BRIEF_MODELS.get(video_type)
    if model is None:
        raise ProtocolError(
            ErrorCode.UNKNOWN_VIDEO_TYPE,
            f"unknown video_type {_clip(video_type)!r}; use one of: {', '.join(BRIEF_MODELS)}",
        )
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = describe_validation_error(exc, model, prefix="payload")
        summary = "; ".join(f"{p.field} {p.error}" for p in problems)
        raise ProtocolError(
            ErrorCode.INVALID_PAYLOAD, f"invalid {video_type} payload: {summary}", problems
        ) from None


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# ---- server events -------------------------------------------------------------------------


def protocol_error(code: ErrorCode, message: str, fields: list[FieldError] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"status": "error", "code": str(code), "error": message}
    if fields:
        event["fields"] = [f.model_dump() for f in fields]
    return event


def session_started(
    video_id: str, video_type: str, stage_order: list[str], current_stage: str, resume_token: str
) -> dict[str, Any]:
    return {
        "status": "session_started",
        "video_id": video_id,
        "video_type": video_type,
        "stage_order": list(stage_order),
        "current_stage": current_stage,
        # The only copy: the server keeps its hash. With the video_id it attaches again later.
        "resume_token": resume_token,
    }


def authenticated(user: dict[str, Any]) -> dict[str, Any]:
    return {"status": "authenticated", **user}


def session_resumed(
    video_id: str, video_type: str, stage_order: list[str], current_stage: str | None, state: str,
    versions: dict[str, int], accepted: dict[str, int],
) -> dict[str, Any]:
    return {
        "status": "session_resumed",
        "video_id": video_id,
        "video_type": video_type,
        "stage_order": list(stage_order),
        "current_stage": current_stage,
        "state": state,
        "versions": dict(versions),
        "accepted": dict(accepted),
    }


def stage_running(stage: str, version: int, message: str) -> dict[str, Any]:
    return {"status": "stage_running", "stage": stage, "version": version, "message": message}


def stage_progress(stage: str, version: int, progress: float, detail: str) -> dict[str, Any]:
    return {
        "status": "stage_progress",
        "stage": stage,
        "version": version,
        "progress": round(min(max(progress, 0.0), 1.0), 3),
        "detail": detail,
    }


def stage_completed(stage: str, version: int, data: dict[str, Any], current: int, total: int) -> dict[str, Any]:
    return {
        "stage": stage,
        "version": version,
        "status": "completed",
        "data": data,
        "next_actions": list(NEXT_ACTIONS_AFTER_COMPLETED),
        "progress": {"current": current, "total": total},
    }


def stage_error(stage: str, version: int, error: str) -> dict[str, Any]:
    return {
        "stage": stage,
        "version": version,
        "status": "error",
        "error": error,
        "next_actions": list(NEXT_ACTIONS_AFTER_ERROR),
    }


def pipeline_complete(video_id: str, video_path: str, video_url: str) -> dict[str, Any]:
    return {
        "status": "pipeline_complete",
        "video_id": video_id,
        "video_path": video_path,
        "video_url": video_url,
        "message": "All stages complete! Video is ready.",
    }


def stopped(video_id: str | None) -> dict[str, Any]:
    return {"status": "stopped", "video_id": video_id}


def expired(video_id: str, idle_hours: float) -> dict[str, Any]:
    return {
        "status": "expired",
        "video_id": video_id,
        "message": f"nobody attached to this session for {idle_hours:g} hours; it has ended and its files are kept",
    }


def wire_event(event: EngineEvent, urls: PublicUrls, video_dir: Path) -> dict[str, Any]:
    """A domain event as the spec's JSON, with URLs under the connection's base."""
    if isinstance(event, StageStarted):
        return stage_running(event.stage, event.version, f"Executing {event.stage}...")
    if isinstance(event, StageProgressed):
        return stage_progress(event.stage, event.version, event.fraction, event.detail)
    if isinstance(event, StageCompleted):
        data = event.output.client_data(urls.file)
        if event.reused:
            data["reused"] = True
        return stage_completed(event.stage, event.version, data, current=event.position, total=event.total)
    if isinstance(event, StageSkipped):
        return {"status": "stage_skipped", "stage": event.stage}
    if isinstance(event, PresenceChanged):
        return {"status": "presence", "video_id": event.video_id, "people": event.people}
    if isinstance(event, CommentAdded):
        return {"status": "comment", **event.comment}
    if isinstance(event, CommentResolved):
        return {"status": "comment_resolved", "id": event.comment_id, "by": event.by}
    if isinstance(event, ApprovalSigned):
        return {"status": "approval", **event.signature}
    if isinstance(event, VariantsReady):
        return {"status": "variants_ready", "stage": event.stage, "versions": [v for v, _, _ in event.made],
                "comparison": comparison(event.stage, event.base, event.made, urls.file)}
    if isinstance(event, StageFailed):
        return stage_error(event.stage, event.version, event.error)
    if isinstance(event, PipelineCompleted):
        path = (video_dir / event.final.path).resolve()
        return pipeline_complete(event.video_id, str(path), urls.file(event.final.path))
    if isinstance(event, SessionStopped):
        return stopped(event.video_id)
    return expired(event.video_id, event.idle_hours)
