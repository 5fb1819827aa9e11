"""Words for the built-in `compliance_video` planner: only what the reference text says.

Every factual sentence of the narration is a sentence of `reference_docs`, chosen by the rules
in `creator_service.compliance`: the approved use, the facts most related to the brief's prompt,
and the safety statements; the rest only directs the viewer to the prescribing information.
"""

from __future__ import annotations

from .. import compliance
from ..payloads import ComplianceVideoBrief
from .deck import CopyDeck, SceneKind

MAX_FACTS = 3
MAX_SAFETY = 3

TITLE = SceneKind(
    kind="title",
    title="Title",
    on_screen_text="{prompt}",
    eyebrow="{brand}",
    body="Approved use and important safety information",
    visual="A sober title card: the brand, and the subject of the video.",
    narration={
        "formal": [["This video summarises the approved use and important safety information for {brand}."]],
        "neutral": [["This video summarises the approved use and important safety information for {brand}."]],
        "simple": [["This video summarises what {brand} is for and how to use it safely."]],
        "casual": [["This video summarises the approved use and safety information for {brand}."]],
    },
)
APPROVED_USE = SceneKind(
    kind="approved_use",
    title="Approved use",
    on_screen_text="{approved_use}",
    eyebrow="Approved use",
    requires="approved_use",
    visual="The approved-use statement on screen, word for word, with its source.",
    narration={style: [["{approved_use}"]] for style in ("formal", "neutral", "simple", "casual")},
)
FACTS = SceneKind(
    kind="facts",
    title="Key facts",
    on_screen_text="Key facts",
    eyebrow="From the label",
    bullets=("{fact_1}", "{fact_2}", "{fact_3}"),
    requires="fact_1",
    visual="The key facts from the reference text, each as a line with its source.",
    narration={style: [["{fact_1}", "{fact_2}", "{fact_3}"]] for style in ("formal", "neutral", "simple", "casual")},
)
SAFETY = SceneKind(
    kind="isi",
    title="Important safety information",
    on_screen_text="Important Safety Information",
    bullets=("{isi_1}", "{isi_2}", "{isi_3}"),
    requires="isi_1",
    visual="The important safety information in a bordered panel, read in full.",
    narration={style: [["{isi_1}", "{isi_2}", "{isi_3}"]] for style in ("formal", "neutral", "simple", "casual")},
)
CLOSING = SceneKind(
    kind="closing",
    title="Closing",
    on_screen_text="See the full prescribing information",
    body="Report side effects to your healthcare provider",
    visual="A closing card pointing to the full prescribing information.",
    narration={
        "formal": [["Please see the full prescribing information for {brand}.", "Report side effects to your healthcare provider."]],
        "neutral": [["Please see the full prescribing information for {brand}.", "Report side effects to your healthcare provider."]],
        "simple": [["Read the full prescribing information for {brand}.", "Report side effects to your healthcare provider."]],
        "casual": [["Please see the full prescribing information for {brand}.", "Report side effects to your healthcare provider."]],
    },
)


def _values(brief: object) -> dict[str, str]:
    assert isinstance(brief, ComplianceVideoBrief)
    reference = brief.reference_docs or ""
    approved = compliance.approved_use_statement(reference) or ""
    safety = compliance.safety_statements(reference)
    prompt_words = compliance.content_words(brief.prompt)
    others = [
        s for s in compliance.sentences(reference)
        if s != approved and s not in safety and len(s.split()) >= 5
        and not compliance.ISI_HEADING.search(s)
    ]
    # Facts most related to what the video is about come first.
    facts = sorted(others, key=lambda s: -len(prompt_words & compliance.content_words(s)))[:MAX_FACTS]
    values = {"brand": brief.brand_name, "prompt": brief.prompt.rstrip("."), "approved_use": approved}
    for n in range(MAX_FACTS):
        values[f"fact_{n + 1}"] = facts[n] if n < len(facts) else ""
    for n in range(MAX_SAFETY):
        values[f"isi_{n + 1}"] = safety[n] if n < len(safety) else ""
    return values


COMPLIANCE_VIDEO_DECK = CopyDeck(
    video_type="compliance_video",
    aspect_ratio="16:9",
    standard_plan=(TITLE, APPROVED_USE, FACTS, SAFETY, CLOSING),
    extra_scenes=(),
    extra_insert_before="isi",
    removable_order=("facts",),
    min_seconds=15.0,
    max_seconds=120.0,
    values=_values,
    mention_targets=("facts", "approved_use"),
    words_per_scene=30,
)
