"""The compliance_video rules: one test per rule, and the rules over a real session."""

from __future__ import annotations

import pytest

from creator_service import compliance
from creator_service.client import EXAMPLE_PAYLOADS
from creator_service.payloads import ComplianceVideoBrief
from creator_service.planner.decks import DECKS
from creator_service.planner.template import TemplatePlanner

from .helpers import Creator, Server

REFERENCE = EXAMPLE_PAYLOADS["compliance_video"]["reference_docs"]
APPROVED = ("DiabetEase (exampleglutide) is indicated as an adjunct to diet and exercise to improve "
            "glycemic control in adults with type 2 diabetes mellitus.")
SAFETY = "Do not use DiabetEase in patients with type 1 diabetes or diabetic ketoacidosis."
GOOD = [APPROVED, SAFETY]


def rules(script: list[str], reference: str | None = REFERENCE) -> list[str]:
    return [v.rule for v in compliance.check_script(script, reference)]


def test_a_script_built_from_the_reference_passes() -> None:
    assert compliance.check_script(GOOD, REFERENCE) == []


def test_no_reference_means_nothing_can_pass() -> None:
    assert rules(GOOD, None) == ["no_reference"]
    assert rules(GOOD, "   ") == ["no_reference"]


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("DiabetEase can cure type 2 diabetes.", "'cure'"),
        ("Results are guaranteed.", "'guaranteed'"),
        ("DiabetEase is 100% safe.", "'100% safe/effective'"),
        ("There are no side effects.", "'no side effects'"),
        ("It is completely safe for everyone.", "'completely safe'"),
        ("A risk-free choice.", "'risk-free'"),
        ("A miracle for patients.", "'miracle'"),
        ("It always works.", "'always works'"),
    ],
)
def test_absolute_claims_are_refused(sentence: str, phrase: str) -> None:
    found = [v for v in compliance.check_script([*GOOD, sentence], REFERENCE) if v.rule == "absolute_claim"]
    assert found and found[0].sentence == sentence and phrase in found[0].detail


@pytest.mark.parametrize("sentence", [
    "DiabetEase is the best treatment for type 2 diabetes.",
    "DiabetEase is the most effective option in adults with type 2 diabetes.",
    "DiabetEase is the #1 choice.",
])
def test_unsupported_superlatives_are_refused(sentence: str) -> None:
    assert "unsupported_superlative" in rules([*GOOD, sentence])


def test_a_superlative_the_reference_makes_is_allowed() -> None:
    reference = REFERENCE + "\nDiabetEase was the best tolerated dose in the study."
    assert "unsupported_superlative" not in rules([*GOOD, "DiabetEase was the best tolerated dose in the study."], reference)


def test_statements_the_reference_does_not_support_are_refused() -> None:
    found = compliance.check_script([*GOOD, "DiabetEase helps patients lose weight quickly."], REFERENCE)
    assert [v.rule for v in found] == ["unsupported_statement"]
    assert "weight" in found[0].detail


def test_numbers_must_match_the_reference() -> None:
    sentence = "In a 26-week study, DiabetEase lowered HbA1c by 2.5% compared with 0.3% for placebo."
    found = compliance.check_script([*GOOD, sentence], REFERENCE)
    assert [v.rule for v in found] == ["unsupported_statement"] and "2.5" in found[0].detail


def test_directions_to_the_prescriber_are_exempt() -> None:
    assert rules([*GOOD, "Talk to your doctor about DiabetEase.",
                  "Please see the full prescribing information."]) == []


def test_the_approved_use_must_be_stated() -> None:
    found = compliance.check_script([SAFETY], REFERENCE)
    assert [v.rule for v in found] == ["missing_approved_use"] and "indicated as an adjunct" in found[0].detail


def test_safety_information_must_be_stated() -> None:
    found = compliance.check_script([APPROVED], REFERENCE)
    assert [v.rule for v in found] == ["missing_safety_information"]


def test_a_reference_without_approved_use_or_safety_is_reported() -> None:
    assert {v.rule for v in compliance.reference_problems("DiabetEase is a tablet.")} == {
        "missing_approved_use", "missing_safety_information"}


def test_every_violation_names_sentence_rule_and_detail() -> None:
    text = compliance.describe(compliance.check_script(["DiabetEase cures diabetes."], REFERENCE))
    assert '"DiabetEase cures diabetes.": absolute_claim' in text
    assert "the script as a whole: missing_approved_use" in text


def test_the_built_in_planner_writes_a_script_that_passes() -> None:
    planner = TemplatePlanner(DECKS)
    brief = ComplianceVideoBrief.model_validate(EXAMPLE_PAYLOADS["compliance_video"])
    for feedback in (None, "shorter", "longer", "simpler"):
        plan = planner.plan_scenes("compliance_video", brief, None, None)
        script = planner.write_script("compliance_video", brief, plan, feedback, None)
        said = [s for scene in script.scenes for s in compliance.sentences(scene.text)]
        assert compliance.check_script(said, REFERENCE) == [], feedback


def test_a_failing_check_is_a_stage_error_listing_each_violation(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        client.start("compliance_video", EXAMPLE_PAYLOADS["compliance_video"])
        client.wait_completed("scenes")
        client.accept()
        client.wait_completed("script")
        client.send({"action": "regenerate", "feedback": "mention that DiabetEase cures diabetes"})
        assert client.next_event()["status"] == "stage_running"
        error = client.next_event()
        assert error["status"] == "error" and error["stage"] == "script" and error["version"] == 2
        assert error["next_actions"] == ["regenerate", "stop"]
        assert "absolute_claim" in error["error"] and "unsupported_statement" in error["error"]


def test_compliance_without_reference_fails_at_the_first_stage(server: Server) -> None:
    payload = {k: v for k, v in EXAMPLE_PAYLOADS["compliance_video"].items() if k != "reference_docs"}
    with Creator(server.ws_url, server.token) as client:
        client.start("compliance_video", payload)
        assert client.next_event()["stage"] == "scenes"
        error = client.next_event()
        assert error["status"] == "error" and "no_reference" in error["error"]
