"""References and claims: documents uploaded and read (PDFs too), every factual sentence of a
script traced to them, and warnings a reviewer must acknowledge (or errors, in strict mode).

The server here is real (uvicorn, store, socket) with the real scenes and script stages: the
built-in planner and the claim checks are instant, so only the renderers are stood in for.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterator

import cairo
import httpx
import pytest
from PIL import Image

from creator_service import compliance
from creator_service.claims import (
    NO_RISK_INFORMATION,
    Evidence,
    Source,
    evidence_for,
    link_claims,
    risk_content,
)
from creator_service.models import Directives, SceneNarration, Script
from creator_service.planner.decks import DECKS
from creator_service.planner.figures import Chart, Figure, chart_of, figures_faithful
from creator_service.providers.openai_planner import OpenAIPlanner
from creator_service.references import Reference
from creator_service.settings import OpenAISettings
from creator_service.stages.context import StageFailure

from .fakes import OPENAI_KEY, FakeProviders
from .helpers import Creator
from .inprocess import Studio

LABEL = """# DiabetEase prescribing information (excerpt)

DiabetEase is indicated as an adjunct to diet and exercise to improve glycemic control in adults with type 2 diabetes.
In a 26-week study, DiabetEase lowered HbA1c by 1.1% compared with 0.3% for placebo.

## Important Safety Information
Do not use DiabetEase in patients with type 1 diabetes.
The most common side effects are nausea, diarrhea and headache.
"""


def script(*texts: str, kinds: tuple[str, ...] | None = None) -> Script:
    kinds = kinds or tuple("benefit" for _ in texts)
    scenes = [SceneNarration(scene_index=i, kind=kind, title=kind, text=text, word_count=len(text.split()),
                             estimated_seconds=1.0) for i, (text, kind) in enumerate(zip(texts, kinds))]
    return Script(persona="p", tone="t", scenes=scenes, total_words=0, estimated_seconds=0.0,
                  directives=Directives(), planner="test")


def label_source() -> Source:
    return Source("ref_000000000001", 1, "DiabetEase prescribing information",
                  tuple(compliance.sentences(LABEL.replace("#", ""))))


# ---- the checks themselves --------------------------------------------------------------------

def test_claims_are_traced_to_the_sentence_that_supports_them() -> None:
    evidence = Evidence(sources=(label_source(),))
    claims = link_claims(script(
        "DiabetEase lowered HbA1c by 1.1% compared with 0.3% for placebo in a 26-week study.",  # supported
        "DiabetEase lowered HbA1c by 2% in a 26-week study.",                 # a figure the label does not give
        "DiabetEase helps you lose weight quickly.",                           # not in the label at all
        "Ask your doctor if DiabetEase is right for you. Is it right for you?",  # directions: no claims
        "DiabetEase is the best treatment for type 2 diabetes.",               # a superlative
    ), evidence)
    by_scene = {c.scene: c for c in claims}
    assert sorted(by_scene) == [0, 1, 2, 4], claims
    supported = by_scene[0]
    assert supported.supported and supported.reference == "ref_000000000001" and supported.reference_number == 1
    assert supported.quote == "In a 26-week study, DiabetEase lowered HbA1c by 1.1% compared with 0.3% for placebo."
    assert (by_scene[1].supported, by_scene[1].rule) == (False, "unsupported_statement") and "2" in by_scene[1].detail
    assert (by_scene[2].supported, by_scene[2].rule) == (False, "unsupported_statement")
    assert (by_scene[4].supported, by_scene[4].rule) == (False, "unsupported_superlative")
    # With no references at all, every claim is unsupported for that reason.
    bare = link_claims(script("DiabetEase lowered HbA1c by 1.1%."), Evidence())
    assert [(c.supported, c.rule) for c in bare] == [(False, "no_reference")]


def test_risk_content_needs_every_given_risk_in_the_safety_scenes() -> None:
    reference = Reference(id="ref_000000000001", owner="a", title="Label", media_type="text/markdown",
                          sentences=list(label_source().sentences), created_at="now")

    class Brief:
        safety_information = "DiabetEase may cause low blood sugar with insulin."

    evidence = evidence_for(Brief(), [reference])
    assert evidence.risks[0] == "DiabetEase may cause low blood sugar with insulin."
    assert "Do not use DiabetEase in patients with type 1 diabetes." in evidence.risks
    said = script("DiabetEase lowers blood sugar.",
                  "DiabetEase may cause low blood sugar with insulin. Do not use DiabetEase in patients with type 1 "
                  "diabetes. The most common side effects are nausea, diarrhea and headache.",
                  kinds=("benefit", "safety"))
    passed = risk_content(said, evidence)
    assert passed.passed and passed.evidence["missing"] == [] and passed.evidence["safety_scenes"] == [1]
    # The same words in the benefit scene do not count: the major statement is the safety scene.
    moved = script(said.scenes[1].text, "Talk to your doctor.", kinds=("benefit", "safety"))
    failed = risk_content(moved, evidence)
    assert not failed.passed and len(failed.evidence["missing"]) == 3
    nothing = risk_content(said, Evidence())
    assert not nothing.passed and nothing.evidence["summary"] == NO_RISK_INFORMATION


# ---- uploading references ---------------------------------------------------------------------

def text_pdf(lines: list[str]) -> bytes:
    """A real PDF with a text layer, drawn by cairo."""
    buffer = io.BytesIO()
    surface = cairo.PDFSurface(buffer, 595, 842)
    context = cairo.Context(surface)
    context.select_font_face("DejaVu Sans")
    context.set_font_size(11)
    for n, line in enumerate(lines):
        context.move_to(40, 60 + 16 * n)
        context.show_text(line)
    surface.finish()
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """A PDF that is only a picture of a page, as a scanner makes."""
    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(buffer, "PDF")
    return buffer.getvalue()


def upload(studio: Studio, body: bytes, content_type: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else dict(studio.headers)
    return httpx.post(f"{studio.http}/assets/references", content=body,
                      headers={**headers, "Content-Type": content_type}, timeout=10)


def test_references_are_read_from_text_markdown_and_pdf(studio: Studio) -> None:
    markdown = upload(studio, LABEL.encode(), "text/markdown; charset=utf-8")
    assert markdown.status_code == 201, markdown.text
    body = markdown.json()
    assert body["id"].startswith("ref_") and body["title"] == "DiabetEase prescribing information (excerpt)"
    assert "The most common side effects are nausea, diarrhea and headache." in body["sentences"]
    assert not any("#" in s for s in body["sentences"])

    pdf = upload(studio, text_pdf(["Study report", "DiabetEase lowered HbA1c by 1.1% compared with",
                                   "0.3% for placebo over 26 weeks."]), "application/pdf")
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["title"] == "Study report"
    # The line the page broke is one sentence again.
    assert "DiabetEase lowered HbA1c by 1.1% compared with 0.3% for placebo over 26 weeks." in pdf.json()["sentences"]

    scanned = upload(studio, scanned_pdf(), "application/pdf")
    assert scanned.status_code == 422 and "no text layer" in scanned.json()["error"]
    assert upload(studio, b"%PDF-1.4 garbage", "application/pdf").status_code == 422
    assert upload(studio, b"\x89PNG\r\n", "image/png").status_code == 415
    assert upload(studio, b"\xff\xfe\x00bad", "text/plain").status_code == 422
    assert upload(studio, b"", "text/plain").status_code == 422

    listed = httpx.get(f"{studio.http}/assets/references", headers=studio.headers, timeout=10).json()["references"]
    assert {r["id"] for r in listed} == {body["id"], pdf.json()["id"]}


def test_references_belong_to_their_uploader(studio: Studio) -> None:
    mine = upload(studio, LABEL.encode(), "text/plain").json()["id"]
    other = studio.add_user("pat", "producer")
    assert httpx.get(f"{studio.http}/assets/references", headers={"Authorization": f"Bearer {other}"},
                     timeout=10).json()["references"] == []
    with Creator(studio.ws_url, other) as client:
        client.send({"action": "start", "video_type": "social_media",
                     "payload": {"drug_name": "M", "indication": "D", "references": [mine]}})
        error = client.next_event()
        assert error["code"] == "invalid_payload" and error["fields"][0]["field"] == "payload.references.0"
        client.send({"action": "start", "video_type": "social_media",
                     "payload": {"drug_name": "M", "indication": "D", "references": ["../../etc/passwd"]}})
        assert client.next_event()["fields"][0]["field"] == "payload.references.0"


# ---- over the socket, with the real planning stages ------------------------------------------

@pytest.fixture
def planning(tmp_path: Path) -> Iterator[Studio]:
    running = Studio(tmp_path / "data", real_stages=frozenset({"scenes", "script"})).start()
    yield running
    running.stop()


BRIEF = {"drug_name": "DiabetEase", "indication": "type 2 diabetes", "quality": "low",
         "key_benefit": "lowered HbA1c by 1.1% compared with 0.3% for placebo in a 26-week study",
         "safety_information": "DiabetEase may cause low blood sugar when used with insulin."}


def to_script(client: Creator, video_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Start a video and accept its plan; the script's data (the started event under "started")."""
    started = client.start(video_type, payload)
    client.wait_completed("scenes", timeout=30)
    client.accept(acknowledge_warnings=False)
    return {**client.wait_completed("script", timeout=30)["data"], "started": started}


def test_the_script_traces_its_claims_and_a_plain_accept_must_acknowledge_them(planning: Studio) -> None:
    reference = upload(planning, LABEL.encode(), "text/markdown").json()["id"]
    with planning.connect() as client:
        data = to_script(client, "social_media", {**BRIEF, "references": [reference]})
        claims = data["claims"]
        assert claims and all(c["text"] for c in claims)
        supported = [c for c in claims if c["supported"]]
        assert supported and all(c["reference"] == reference and c["reference_number"] == 1 and c["quote"]
                                 for c in supported)
        assert any("1.1%" in c["text"] for c in supported)
        unsupported = [c for c in claims if not c["supported"]]
        # The brief's risks and the label's safety statements are said in the safety scene.
        risk = data["compliance"][0]
        assert risk["rule"] == "risk_content" and risk["passed"] is True, risk
        assert len(data["warnings"]) == len(unsupported)

        client.accept(acknowledge_warnings=False)
        refused = client.next_event()
        assert refused["status"] == "error" and refused["code"] == "warnings_unacknowledged", refused
        assert [w["text"] for w in refused["warnings"]] == [c["text"] for c in unsupported]
        client.accept(acknowledge_warnings=True)
        assert client.next_event(timeout=30)["stage"] == "visuals"
    video_id = data["started"]["video_id"]
    entries = httpx.get(f"{planning.http}/videos/{video_id}/audit", headers=planning.headers, timeout=10).json()["entries"]
    accepted = [e for e in entries if e["event"] == "accept" and e["detail"].get("stage") == "script"]
    assert accepted and accepted[-1]["detail"]["feedback"].startswith(f"acknowledged {len(unsupported)} warning(s)")


def test_without_risk_information_risk_content_fails_with_what_to_add(planning: Studio) -> None:
    with planning.connect() as client:
        data = to_script(client, "product_ad", {"topic": "New diabetes medication", "brand_name": "DiabetEase",
                                                "persona": "narrator", "tone": "clear", "quality": "low"})
        risk = data["compliance"][0]
        assert (risk["rule"], risk["passed"], risk["evidence"]["summary"]) == ("risk_content", False,
                                                                           NO_RISK_INFORMATION)
        assert any(w["rule"] == "risk_content" for w in data["warnings"])
        assert all(c["rule"] == "no_reference" for c in data["claims"])


def test_strict_mode_makes_warnings_stage_errors(tmp_path: Path) -> None:
    strict = Studio(tmp_path / "data", real_stages=frozenset({"scenes", "script"}), compliance="strict").start()
    try:
        with strict.connect() as client:
            client.start("moa", {"drug_name": "Aspirin", "condition": "cardiovascular disease", "quality": "low"})
            client.wait_completed("scenes", timeout=30)
            client.accept()
            assert client.next_event(timeout=30)["status"] == "stage_running"
            error = client.next_event(timeout=30)
            assert error["status"] == "error" and error["stage"] == "script", error
            assert "CREATOR_COMPLIANCE=strict" in error["error"] and "no_reference" in error["error"]
    finally:
        strict.stop()


def test_compliance_video_reads_uploaded_references_too(planning: Studio) -> None:
    reference = upload(planning, LABEL.encode(), "text/markdown").json()["id"]
    with planning.connect() as client:
        data = to_script(client, "compliance_video", {"prompt": "Explain the approved use of DiabetEase",
                                                      "brand_name": "DiabetEase", "references": [reference],
                                                      "quality": "low"})
        assert data["claims"] and all(c["supported"] for c in data["claims"]), data["claims"]
        assert data["warnings"] == []


# ---- the OpenAI planner repairs its own answers ---------------------------------------------

@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    providers = FakeProviders().start()
    yield providers
    providers.stop()


class SocialBrief:
    drug_name, indication, persona, tone, language, aspect = "M", "type 2 diabetes", "narrator", "clear", "en", None

    def model_dump(self, **_: Any) -> dict[str, str]:
        return {"drug_name": self.drug_name, "indication": self.indication}


def test_a_failing_answer_goes_back_to_the_model_with_its_problems(fake: FakeProviders) -> None:
    settings = OpenAISettings(api_key=OPENAI_KEY, base_url=f"{fake.base}/v1", timeout=5, max_retries=0)
    planner = OpenAIPlanner(settings, DECKS)
    fake.set("openai", "ok")
    plan = planner.plan_scenes("social_media", SocialBrief(), None, None)
    before = len(fake.seen("openai"))
    fake.set("openai", "overlong", times=1)  # the first script answer runs far over its word budget
    repaired = planner.write_script("social_media", SocialBrief(), plan, None, None)
    sent = fake.seen("openai")[before:]
    assert len(sent) == 2
    repair_request = sent[1].body["messages"]
    assert repair_request[-2]["role"] == "assistant" and "word word" in repair_request[-2]["content"]
    assert repair_request[-1]["content"].startswith("Your answer failed these checks")
    assert "scene 1 has 200 words for a budget of" in repair_request[-1]["content"]
    assert repaired.scenes[0].word_count < 50
    assert any("sent back once more" in note for note in repaired.feedback.notes)

    fake.set("openai", "overlong", times=3)  # never fixed: two repair rounds, then a stage error
    with pytest.raises(StageFailure, match="after 2 repair rounds"):
        planner.write_script("social_media", SocialBrief(), plan, None, None)
    fake.set("openai", "ok")


# ---- figures drawn as charts ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("source", "charted", "why"),
    [
        ("HbA1c reduced by 1.1% with Metformin vs 0.3% with placebo at 24 weeks",
         [("Metformin", 1.1), ("placebo", 0.3)], None),
        ("Lowers LDL-C by 39 to 60 percent across doses", [], "is a range"),
        ("Between 39 and 60% fewer events", [], "is a range"),
        ("DiabetEase lowered HbA1c by 1.1% compared with 0.3% for placebo.", [], "cannot be read unambiguously"),
        ("HbA1c fell by 1.1% in 26 weeks", [], "single figure"),
    ],
)
def test_only_figures_that_chart_faithfully_are_charted(source: str, charted: list[tuple[str, float]],
                                                       why: str | None) -> None:
    chart = chart_of(source)
    assert [(f.label, f.value) for f in chart.figures] == charted
    assert (chart.as_text is None) if why is None else (why in (chart.as_text or ""))
    passed, evidence = figures_faithful(source, chart)
    assert passed, evidence


def test_figures_faithful_fails_a_range_drawn_as_one_bar_and_a_lone_arm() -> None:
    # What the first release drew for this sentence: a single 60 % bar.
    source = "Lowers LDL-C by 39 to 60 percent across doses"
    passed, evidence = figures_faithful(source, Chart([Figure("across doses", 60.0, "%")]))
    assert not passed and "one end of a range" in evidence["summary"] and "both arms" in evidence["summary"]
    invented = figures_faithful("1.1% with A vs 0.3% with placebo", Chart([Figure("A", 1.4, "%"), Figure("placebo", 0.3, "%")]))
    assert not invented[0] and "1.4% is not a figure of the source" in invented[1]["summary"]
