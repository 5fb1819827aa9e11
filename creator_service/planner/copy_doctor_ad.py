"""Words for the built-in `doctor_ad` planner: a short promotional film for prescribers.

It states the indication, the mechanism (from `moa_summary` when given), the clinical data
exactly as the brief gives it, and ends on the important safety information and a call to
review the prescribing information.
"""

from __future__ import annotations

from ..payloads import DoctorAdBrief
from .deck import CopyDeck, SceneKind, benefit_phrase

INDICATION = SceneKind(
    kind="indication",
    title="Indication",
    on_screen_text="Indicated for {indication}",
    eyebrow="{drug}",
    visual="The drug name and indication build on a clean title card with the brand logo.",
    narration={
        "formal": [
            [
                "{drug} is indicated for {indication}.",
                "This overview is intended for healthcare professionals.",
            ]
        ],
        "neutral": [["{drug} is indicated for {indication}.", "Here is what prescribers should know."]],
        "simple": [["{drug} is a medicine for {indication}."]],
        "casual": [["Meet {drug}, indicated for {indication}."]],
    },
)
MECHANISM = SceneKind(
    kind="mechanism",
    title="Mechanism of action",
    on_screen_text="How {drug} works",
    eyebrow="Mechanism of action",
    visual="A target on a cell membrane; drug molecules bind and the downstream signal dims.",
    narration={
        "formal": [["Mechanism of action: {mechanism}.", "Refer to the prescribing information for full pharmacology."]],
        "neutral": [["How it works: {mechanism}."]],
        "simple": [["How it works: {mechanism}."]],
        "casual": [["Under the hood: {mechanism}."]],
    },
)
CLINICAL = SceneKind(
    kind="clinical_data",
    title="Clinical data",
    on_screen_text="Clinical data",
    eyebrow="Efficacy",
    visual="An animated bar chart of the figures in the clinical data, with their labels.",
    requires="clinical",
    narration={
        "formal": [["In clinical studies: {clinical}.", "See the prescribing information for study design and limitations."]],
        "neutral": [["In clinical studies: {clinical}."]],
        "simple": [["In studies: {clinical}."]],
        "casual": [["The data: {clinical}."]],
    },
)
PRACTICE = SceneKind(
    kind="practice",
    title="In practice",
    on_screen_text="For appropriate patients with {indication}",
    eyebrow="In practice",
    media_query="doctor patient consultation clinic",
    visual="Footage of a clinical consultation with a caption over it.",
    narration={
        "formal": [["Consider {drug} for appropriate adult patients with {indication}.", "Assess each patient against the prescribing information."]],
        "neutral": [["Consider {drug} for appropriate patients with {indication}."]],
        "simple": [["{drug} may suit some of your patients with {indication}."]],
        "casual": [["Think of {drug} for the right patients with {indication}."]],
    },
)
SAFETY = SceneKind(
    kind="isi",
    title="Important safety information",
    on_screen_text="Important Safety Information",
    visual="The important safety information, on screen in full, while it is read.",
    narration={
        "formal": [
            [
                "Important safety information: {drug} is not appropriate for every patient.",
                "Review contraindications, warnings, precautions and adverse reactions in the full prescribing information.",
                "Consider each patient's medical history and concomitant medicines before prescribing.",
            ]
        ],
        "neutral": [["Important safety information: {drug} is not right for every patient.",
                     "Review the warnings and adverse reactions in the prescribing information.",
                     "Consider each patient's medical history and other medicines before prescribing."]],
        "simple": [["Safety: {drug} is not for every patient.", "Check the warnings in the prescribing information.",
                    "Check each patient's history and other medicines first."]],
        "casual": [["Safety first: {drug} isn't for everyone.",
                    "Check the warnings and side effects in the prescribing information.",
                    "Consider each patient's history and other medicines before prescribing."]],
    },
)
CALL_TO_ACTION = SceneKind(
    kind="cta",
    title="Call to action",
    on_screen_text="Review the full prescribing information",
    eyebrow="{drug}",
    visual="The logo and a prompt to review the prescribing information settle on the end card.",
    narration={
        "formal": [["Review the full prescribing information for {drug} before prescribing."]],
        "neutral": [["Review the full prescribing information for {drug}."]],
        "simple": [["Read the prescribing information for {drug}."]],
        "casual": [["Check out the full prescribing information for {drug}."]],
    },
)
PATIENT_PROFILE = SceneKind(
    kind="patient_profile",
    title="Patient profile",
    on_screen_text="Who may benefit",
    eyebrow="Patient profile",
    media_query="patient portrait",
    visual="Footage of a patient with a caption on their profile.",
    narration={
        "formal": [["Patient selection should follow the indication and the prescribing information."]],
        "neutral": [["Choose patients according to the indication and the prescribing information."]],
        "simple": [["Pick patients who match the label."]],
        "casual": [["Match the patient to the label and you're set."]],
    },
)


def _values(brief: object) -> dict[str, str]:
    assert isinstance(brief, DoctorAdBrief)
    mechanism = (
        benefit_phrase(brief.drug_name, brief.moa_summary)
        if brief.moa_summary
        else f"{brief.drug_name} acts at a defined target in the disease pathway of {brief.indication}"
    )
    return {
        "drug": brief.drug_name,
        "indication": brief.indication,
        "mechanism": mechanism,
        "clinical": (brief.clinical_data or "").strip().rstrip("."),
    }


DOCTOR_AD_DECK = CopyDeck(
    video_type="doctor_ad",
    aspect_ratio="16:9",
    standard_plan=(INDICATION, MECHANISM, CLINICAL, PRACTICE, SAFETY, CALL_TO_ACTION),
    extra_scenes=(PATIENT_PROFILE,),
    extra_insert_before="isi",
    removable_order=("practice", "mechanism"),
    min_seconds=20.0,
    max_seconds=75.0,
    values=_values,
    mention_targets=("mechanism", "practice", "indication"),
    words_per_scene=16,
)
