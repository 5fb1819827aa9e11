"""The wire format of `/ws/creator`: client actions in, server events out.

Parsing is total: any text either becomes a typed action or raises `ProtocolError` whose
message names the offending field or action. Nothing here knows about sessions or state;
whether an action is allowed *now* is the state machine's business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import ValidationError

from .payloads import BRIEF_MODELS, TEXT_LIMIT, AnyBrief, FieldError, describe_validation_error

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


class ProtocolError(Exception):
    def __init__(self, code: ErrorCode, message: str, fields: list[FieldError] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or []

    def to_event(self) -> dict[str, Any]:
        return protocol_error(self.code, self.message, self.fields)


@dataclass(frozen=True)
class StartAction:
    video_type: str
    brief: AnyBrief
    name: Literal["start"] = "start"


@dataclass(frozen=True)
class AcceptAction:
    name: Literal["accept"] = "accept"


@dataclass(frozen=True)
class RegenerateAction:
    feedback: str | None = None
    name: Literal["regenerate"] = "regenerate"


@dataclass(frozen=True)
class StopAction:
    name: Literal["stop"] = "stop"


ClientAction = StartAction | AcceptAction | RegenerateAction | StopAction

_FIELDS_BY_ACTION: dict[str, tuple[str, ...]] = {
    "start": ("action", "video_type", "payload"),
    "accept": ("action",),
    "regenerate": ("action", "feedback"),
    "stop": ("action",),
}


def parse_client_message(text: str) -> ClientAction:
    """Validate one text frame completely, or raise a ProtocolError that says what is wrong."""
    size = len(text.encode("utf-8"))
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LARGE,
            f"message is {size:,} bytes; the limit is {MAX_MESSAGE_BYTES:,} bytes",
        )
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(
            ErrorCode.INVALID_JSON, f"message is not valid JSON: {exc.msg} at position {exc.pos}"
        ) from None
    if not isinstance(message, dict):
        raise ProtocolError(
            ErrorCode.NOT_AN_OBJECT,
            f"message must be a JSON object with an 'action' field, got {_json_kind(message)}",
        )
    if "action" not in message:
        raise ProtocolError(
            ErrorCode.MISSING_ACTION,
            f"field 'action' is required; use one of: {', '.join(_FIELDS_BY_ACTION)}",
        )
    action = message["action"]
    if not isinstance(action, str):
        raise ProtocolError(
            ErrorCode.INVALID_ACTION, f"field 'action' must be a string, got {_json_kind(action)}"
        )
    if action not in _FIELDS_BY_ACTION:
        raise ProtocolError(
            ErrorCode.UNKNOWN_ACTION,
            f"unknown action {_clip(action)!r}; use one of: {', '.join(_FIELDS_BY_ACTION)}",
        )
    unknown = sorted(set(message) - set(_FIELDS_BY_ACTION[action]))
    if unknown:
        raise ProtocolError(
            ErrorCode.UNKNOWN_FIELD,
            f"action '{action}' does not take field(s) {', '.join(repr(_clip(u)) for u in unknown)};"
            f" it takes: {', '.join(_FIELDS_BY_ACTION[action])}",
        )
    if action == "start":
        return _parse_start(message)
    if action == "regenerate":
        return RegenerateAction(feedback=_parse_feedback(message.get("feedback")))
    if action == "accept":
        return AcceptAction()
    return StopAction()


def _parse_start(message: dict[str, Any]) -> StartAction:
    if "video_type" not in message:
        raise ProtocolError(
            ErrorCode.MISSING_FIELD,
            f"action 'start' needs field 'video_type', one of: {', '.join(BRIEF_MODELS)}",
        )
    video_type = message["video_type"]
    if not isinstance(video_type, str):
        raise ProtocolError(
            ErrorCode.INVALID_FIELD,
            f"field 'video_type' must be a string, got {_json_kind(video_type)}",
        )
    model = BRIEF_MODELS.get(video_type)
    if model is None:
        raise ProtocolError(
            ErrorCode.UNKNOWN_VIDEO_TYPE,
            f"unknown video_type {_clip(video_type)!r}; use one of: {', '.join(BRIEF_MODELS)}",
        )
    if "payload" not in message:
        raise ProtocolError(
            ErrorCode.MISSING_FIELD, f"action 'start' needs field 'payload' (the {video_type} brief)"
        )
    payload = message["payload"]
    if not isinstance(payload, dict):
        raise ProtocolError(
            ErrorCode.INVALID_FIELD,
            f"field 'payload' must be a JSON object, got {_json_kind(payload)}",
        )
    try:
        brief = model.model_validate(payload)
    except ValidationError as exc:
        problems = describe_validation_error(exc, model, prefix="payload")
        summary = "; ".join(f"{p.field} {p.error}" for p in problems)
        raise ProtocolError(
            ErrorCode.INVALID_PAYLOAD, f"invalid {video_type} payload: {summary}", problems
        ) from None
    return StartAction(video_type=video_type, brief=brief)


def _parse_feedback(feedback: Any) -> str | None:
    if feedback is None:
        return None
    if not isinstance(feedback, str):
        raise ProtocolError(
            ErrorCode.INVALID_FIELD,
            f"field 'feedback' must be a string, got {_json_kind(feedback)}",
            [FieldError(field="feedback", error="must be a string")],
        )
    if len(feedback) > FEEDBACK_LIMIT:
        raise ProtocolError(
            ErrorCode.INVALID_FIELD,
            f"field 'feedback' must be at most {FEEDBACK_LIMIT:,} characters, got {len(feedback):,}",
            [FieldError(field="feedback", error=f"must be at most {FEEDBACK_LIMIT:,} characters")],
        )
    return feedback.strip() or None


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


def session_started(video_id: str, video_type: str, stage_order: list[str], current_stage: str) -> dict[str, Any]:
    return {
        "status": "session_started",
        "video_id": video_id,
        "video_type": video_type,
        "stage_order": list(stage_order),
        "current_stage": current_stage,
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
