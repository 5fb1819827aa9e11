"""Words for the built-in `moa` planner: a mechanism-of-action film for healthcare professionals.

The offline planner does not know the drug's actual mechanism, so it describes the steps in
general terms (disease pathway, target, binding, downstream effect, outcome) and never names a
receptor, enzyme or figure the brief did not give. Its animation shows a generic target.
"""

from __future__ import annotations

from ..payloads import MoaBrief
from .deck import CopyDeck, SceneKind

DISEASE = SceneKind(
    kind="disease",
    title="The disease process",
    on_screen_text="{condition}",
    eyebrow="Pathophysiology",
    visual="A cell membrane with receptors; disease signals bind and an amplified cascade lights up inside the cell.",
    narration={
        "formal": [
            [
                "In {condition}, dysregulated signalling at the cellular level drives the disease process.",
                "Signals bind their receptors and the cascade inside the cell is amplified.",
                "Sustained, this activity contributes to the clinical picture.",
            ]
        ],
        "neutral": [
            [
                "In {condition}, signals at the cell surface keep a disease pathway switched on.",
                "Inside the cell, that signal is passed on and amplified.",
            ]
        ],
        "simple": [["In {condition}, a signal keeps a harmful process running in the cells."]],
        "casual": [["Here's what goes wrong in {condition}: a cell signal stays switched on."]],
    },
)
TARGET = SceneKind(
    kind="target",
    title="The target",
    on_screen_text="The molecular target",
    eyebrow="Mechanism",
    visual="The camera settles on one target protein with an open binding pocket, labelled.",
    narration={
        "formal": [
            [
                "{drug} acts at a defined molecular target within this pathway.",
                "The target sits at a control point of the signalling cascade.",
            ]
        ],
        "neutral": [["{drug} acts on a specific target in this pathway.", "That target is a control point."]],
        "simple": [["{drug} works on one part of this process."]],
        "casual": [["That's where {drug} comes in: it goes after one key control point."]],
    },
)
BINDING = SceneKind(
    kind="binding",
    title="Binding",
    on_screen_text="{drug} binds its target",
    eyebrow="Mechanism",
    visual="Drug molecules travel in and dock into the target's pocket; the pocket glows as it is occupied.",
    narration={
        "formal": [
            [
                "{drug} binds to its target.",
                "Binding changes how the target responds to the disease signal.",
            ]
        ],
        "neutral": [["{drug} binds to the target.", "Once bound, the target responds differently."]],
        "simple": [["{drug} attaches to the target."]],
        "casual": [["{drug} docks right onto the target."]],
    },
)
DOWNSTREAM = SceneKind(
    kind="downstream",
    title="Downstream effect",
    on_screen_text="Downstream signalling modulated",
    eyebrow="Effect",
    visual="The signal cascade dims step by step; arrows are crossed out as the pathway quietens.",
    narration={
        "formal": [
            [
                "With the target engaged, signalling further down the pathway is modulated.",
                "The cascade that sustained the disease process is dampened.",
            ]
        ],
        "neutral": [["With the target engaged, the signal further down the pathway changes.", "The cascade quietens."]],
        "simple": [["Then the harmful signal gets weaker."]],
        "casual": [["And the signal chain downstream calms down."]],
    },
)
OUTCOME = SceneKind(
    kind="outcome",
    title="Clinical outcome",
    on_screen_text="From mechanism to outcome",
    eyebrow="Outcome",
    visual="A disease marker gauge falls from a high band towards the target range.",
    narration={
        "formal": [
            [
                "At the level of the patient, this mechanism is intended to support control of {condition}.",
                "Refer to the prescribing information for the clinical evidence.",
            ]
        ],
        "neutral": [["For patients, the aim is better control of {condition}.", "See the prescribing information for the evidence."]],
        "simple": [["This aims to help control {condition}."]],
        "casual": [["The goal: better control of {condition} for your patients."]],
    },
)
SUMMARY = SceneKind(
    kind="summary",
    title="Summary",
    on_screen_text="Summary",
    eyebrow="In summary",
    bullets=("Acts at a defined target", "Modulates downstream signalling", "Supports control of {condition}"),
    visual="Three summary points appear with small icons of target, cascade and outcome.",
    narration={
        "formal": [
            [
                "In summary, {drug} engages its target, modulates the downstream pathway, and supports the management of {condition}.",
            ]
        ],
        "neutral": [["To sum up: {drug} engages its target, changes the pathway, and supports control of {condition}."]],
        "simple": [["So: {drug} works on a target, calms the signal, and helps with {condition}."]],
        "casual": [["Quick recap: target engaged, pathway calmed, {condition} better managed."]],
    },
)
HISTORY = SceneKind(
    kind="context",
    title="Clinical context",
    on_screen_text="Why the pathway matters",
    eyebrow="Context",
    visual="A timeline bar shows the disease course with the pathway's role highlighted.",
    narration={
        "formal": [["Understanding this pathway helps explain the course of {condition} and where treatment can act."]],
        "neutral": [["This pathway helps explain how {condition} progresses and where treatment can act."]],
        "simple": [["Knowing this helps explain how {condition} gets worse."]],
        "casual": [["Why care about this pathway? It explains a lot about how {condition} progresses."]],
    },
)


def _values(brief: object) -> dict[str, str]:
    assert isinstance(brief, MoaBrief)
    return {"drug": brief.drug_name, "condition": brief.condition, "audience": brief.target_audience}


MOA_DECK = CopyDeck(
    video_type="moa",
    aspect_ratio="16:9",
    standard_plan=(DISEASE, TARGET, BINDING, DOWNSTREAM, OUTCOME, SUMMARY),
    extra_scenes=(HISTORY,),
    extra_insert_before="target",
    removable_order=("target", "outcome"),
    min_seconds=25.0,
    max_seconds=90.0,
    values=_values,
    mention_targets=("binding", "downstream", "outcome"),
    words_per_scene=16,
)
