"""Parsing client messages: every malformed message gets a precise error naming what is wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest

from creator_service.payloads import BRIEF_MODELS, REFERENCE_DOCS_LIMIT, TEXT_LIMIT
from creator_service.protocol import (
    MAX_MESSAGE_BYTES,
    AcceptAction,
    ErrorCode,
    ProtocolError,
    RegenerateAction,
    StartAction,
    StopAction,
    parse_client_message,
)

VALID_PAYLOADS: dict[str, dict[str, Any]] = {
    "product_ad": {"topic": "New diabetes medication", "brand_name": "DiabetEase",
                   "persona": "professional narrator", "tone": "clear and reassuring", "region": "global"},
    "compliance_video": {"prompt": "Approved use of DiabetEase", "brand_name": "DiabetEase",
                         "persona": "compliance officer", "tone": "formal and precise",
                         "reference_docs": "DiabetEase is indicated for type 2 diabetes."},
    "moa": {"drug_name": "Aspirin", "condition": "cardiovascular disease",
            "target_audience": "healthcare professionals", "persona": "professional medical narrator",
            "tone": "clear and educational", "quality": "low"},
    "doctor_ad": {"drug_name": "Metformin", "indication": "type 2 diabetes", "moa_summary": "x",
                  "clinical_data": "A1C -1.1%", "persona": "professional medical narrator",
                  "tone": "scientific and professional", "quality": "high"},
    "social_media": {"drug_name": "Metformin", "indication": "type 2 diabetes", "key_benefit": "x",
                     "target_audience": "patients", "persona": "friendly health narrator",
                     "tone": "engaging and conversational", "quality": "low"},
}
REQUIRED = {
    "product_ad": {"topic", "brand_name", "persona", "tone"},
    "compliance_video": {"prompt", "brand_name"},
    "moa": {"drug_name", "condition"},
    "doctor_ad": {"drug_name", "indication"},
    "social_media": {"drug_name", "indication"},
}


def error_of(message: Any) -> ProtocolError:
    text = message if isinstance(message, str) else json.dumps(message)
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(text)
    return caught.value


def start(video_type: str, payload: Any) -> dict[str, Any]:
    return {"action": "start", "video_type": video_type, "payload": payload}


def test_the_spec_actions_parse() -> None:
    assert parse_client_message('{"action": "accept"}') == AcceptAction()
    assert parse_client_message('{"action": "regenerate"}') == RegenerateAction(feedback=None)
    assert parse_client_message(
        '{"action": "regenerate", "feedback": "Make the script more concise"}'
    ) == RegenerateAction(feedback="Make the script more concise")
    assert parse_client_message('{"action": "stop"}') == StopAction()
    action = parse_client_message(json.dumps(start("product_ad", VALID_PAYLOADS["product_ad"])))
    assert isinstance(action, StartAction) and action.video_type == "product_ad"


def test_the_spec_python_client_example_start_is_valid() -> None:
    # The spec's own client starts a moa video with three fields only.
    action = parse_client_message(json.dumps(start("moa", {
        "drug_name": "Aspirin", "condition": "cardiovascular disease",
        "target_audience": "healthcare professionals"})))
    assert isinstance(action, StartAction)
    assert action.brief.quality == "high"
    assert action.brief.persona == "professional medical narrator"


def test_empty_feedback_is_no_feedback() -> None:
    # The spec's JavaScript client sends feedback '' when the box is empty.
    assert parse_client_message('{"action": "regenerate", "feedback": ""}') == RegenerateAction(feedback=None)
    assert parse_client_message('{"action": "regenerate", "feedback": null}') == RegenerateAction(feedback=None)


def test_non_json_text_is_refused() -> None:
    error = error_of("this is not json")
    assert error.code == ErrorCode.INVALID_JSON and "not valid JSON" in error.message


@pytest.mark.parametrize("value", [[1, 2], "accept", 3, None, True])
def test_json_that_is_not_an_object_is_refused(value: Any) -> None:
    error = error_of(json.dumps(value))
    assert error.code == ErrorCode.NOT_AN_OBJECT and "JSON object" in error.message


def test_missing_action_is_refused() -> None:
    error = error_of({"feedback": "hi"})
    assert error.code == ErrorCode.MISSING_ACTION and "'action'" in error.message


@pytest.mark.parametrize("value", [1, None, ["accept"], {"a": 1}, True])
def test_non_string_action_is_refused(value: Any) -> None:
    error = error_of({"action": value})
    assert error.code == ErrorCode.INVALID_ACTION and "'action' must be a string" in error.message


def test_unknown_action_is_refused_and_named() -> None:
    error = error_of({"action": "publish"})
    assert error.code == ErrorCode.UNKNOWN_ACTION
    assert "'publish'" in error.message and "start, accept, regenerate, stop" in error.message


def test_unknown_fields_are_refused_not_dropped() -> None:
    error = error_of({"action": "accept", "feedback": "great"})
    assert error.code == ErrorCode.UNKNOWN_FIELD and "'feedback'" in error.message


def test_feedback_must_be_a_string() -> None:
    error = error_of({"action": "regenerate", "feedback": 42})
    assert error.code == ErrorCode.INVALID_FIELD and "'feedback' must be a string" in error.message


def test_feedback_is_capped() -> None:
    error = error_of({"action": "regenerate", "feedback": "x" * (TEXT_LIMIT + 1)})
    assert error.code == ErrorCode.INVALID_FIELD and "at most 4,000 characters" in error.message


def test_messages_over_64_kib_are_refused() -> None:
    text = json.dumps({"action": "regenerate", "feedback": "x" * MAX_MESSAGE_BYTES})
    error = error_of(text)
    assert error.code == ErrorCode.MESSAGE_TOO_LARGE and "65,536 bytes" in error.message


def test_start_needs_a_video_type() -> None:
    error = error_of({"action": "start", "payload": {}})
    assert error.code == ErrorCode.MISSING_FIELD and "'video_type'" in error.message


def test_unknown_video_type_is_refused_and_the_five_are_listed() -> None:
    error = error_of(start("podcast", {}))
    assert error.code == ErrorCode.UNKNOWN_VIDEO_TYPE and "'podcast'" in error.message
    for name in BRIEF_MODELS:
        assert name in error.message


def test_video_type_must_be_a_string() -> None:
    error = error_of({"action": "start", "video_type": 5, "payload": {}})
    assert error.code == ErrorCode.INVALID_FIELD and "'video_type' must be a string" in error.message


def test_start_needs_a_payload() -> None:
    error = error_of({"action": "start", "video_type": "moa"})
    assert error.code == ErrorCode.MISSING_FIELD and "'payload'" in error.message


@pytest.mark.parametrize("payload", [[], "brief", 3, None])
def test_payload_must_be_an_object(payload: Any) -> None:
    error = error_of(start("moa", payload))
    assert error.code == ErrorCode.INVALID_FIELD and "'payload' must be a JSON object" in error.message


@pytest.mark.parametrize("video_type", list(VALID_PAYLOADS))
def test_every_type_accepts_its_spec_payload(video_type: str) -> None:
    action = parse_client_message(json.dumps(start(video_type, VALID_PAYLOADS[video_type])))
    assert isinstance(action, StartAction) and action.video_type == video_type


@pytest.mark.parametrize(
    ("video_type", "field"),
    [(vt, field) for vt, fields in REQUIRED.items() for field in sorted(fields)],
)
def test_every_required_field_is_required(video_type: str, field: str) -> None:
    payload = dict(VALID_PAYLOADS[video_type])
    del payload[field]
    error = error_of(start(video_type, payload))
    assert error.code == ErrorCode.INVALID_PAYLOAD
    assert [f.model_dump() for f in error.fields] == [{"field": f"payload.{field}", "error": "is required"}]


@pytest.mark.parametrize("video_type", list(VALID_PAYLOADS))
def test_optional_fields_are_optional(video_type: str) -> None:
    payload = {k: v for k, v in VALID_PAYLOADS[video_type].items() if k in REQUIRED[video_type]}
    assert isinstance(parse_client_message(json.dumps(start(video_type, payload))), StartAction)


@pytest.mark.parametrize("video_type", list(VALID_PAYLOADS))
def test_wrong_field_types_are_refused(video_type: str) -> None:
    field = sorted(REQUIRED[video_type])[0]
    payload = {**VALID_PAYLOADS[video_type], field: 123}
    error = error_of(start(video_type, payload))
    assert error.code == ErrorCode.INVALID_PAYLOAD
    assert error.fields[0].field == f"payload.{field}"
    assert error.fields[0].error == "must be a string, got int"


@pytest.mark.parametrize("video_type", list(VALID_PAYLOADS))
def test_unknown_payload_fields_are_refused(video_type: str) -> None:
    error = error_of(start(video_type, {**VALID_PAYLOADS[video_type], "colour": "red"}))
    assert error.fields[0].field == "payload.colour"
    assert error.fields[0].error.startswith("is not a known field")


@pytest.mark.parametrize("video_type", list(VALID_PAYLOADS))
def test_quality_is_low_or_high(video_type: str) -> None:
    error = error_of(start(video_type, {**VALID_PAYLOADS[video_type], "quality": "ultra"}))
    assert error.fields[0].field == "payload.quality"
    assert error.fields[0].error == "must be one of 'low' or 'high', got 'ultra'"


@pytest.mark.parametrize("video_type", list(VALID_PAYLOADS))
def test_text_fields_are_capped_at_4000_characters(video_type: str) -> None:
    field = sorted(REQUIRED[video_type])[0]
    error = error_of(start(video_type, {**VALID_PAYLOADS[video_type], field: "x" * (TEXT_LIMIT + 1)}))
    assert error.fields[0].field == f"payload.{field}"
    assert error.fields[0].error == "must be at most 4,000 characters, got 4,001"


def test_reference_docs_may_be_longer_but_are_capped_at_20000() -> None:
    ok = {**VALID_PAYLOADS["compliance_video"], "reference_docs": "x" * 10_000}
    assert isinstance(parse_client_message(json.dumps(start("compliance_video", ok))), StartAction)
    too_long = {**ok, "reference_docs": "x" * (REFERENCE_DOCS_LIMIT + 1)}
    error = error_of(start("compliance_video", too_long))
    assert error.fields[0].error == "must be at most 20,000 characters, got 20,001"


def test_blank_required_text_is_refused() -> None:
    error = error_of(start("social_media", {**VALID_PAYLOADS["social_media"], "drug_name": "   "}))
    assert error.fields[0].field == "payload.drug_name" and error.fields[0].error == "must not be empty"


def test_every_offending_field_is_named_at_once() -> None:
    error = error_of(start("social_media", {"drug_name": 1, "quality": "max"}))
    assert {f.field for f in error.fields} == {"payload.drug_name", "payload.indication", "payload.quality"}
    assert "payload.indication is required" in error.message


def test_error_events_carry_status_code_and_error() -> None:
    event = error_of("{").to_event()
    assert event["status"] == "error" and event["code"] == "invalid_json" and event["error"]
