"""Words for the built-in social_media planner: scene kinds, on-screen text and narration.

The offline planner does not know the drug, so it never invents clinical claims: it says what
the brief says (drug, indication, key benefit, anything the reviewer asked to mention) and
wraps it in fair-balance language. Each narration entry is a list of sentences, most important
first, so the planner can shorten by dropping from the end. Placeholders: {drug},
{indication}, {benefit}, {audience}.
"""

from __future__ import annotations

from ..payloads import SocialMediaBrief
from .deck import CopyDeck, SceneKind, benefit_phrase

HOOK = SceneKind(
    kind="hook",
    title="Hook",
    on_screen_text="{drug}",
    visual="The drug name writes on over a pulsing ring; the indication fades in below.",
    narration={
        "neutral": [
            [
                "Living with {indication}?",
                "Here is a quick look at {drug}.",
                "It takes less than a minute.",
            ],
            [
                "If you are managing {indication}, this one is for you.",
                "Let's talk about {drug}.",
                "Stay with us for the short version.",
            ],
        ],
        "casual": [
            [
                "Living with {indication}? You're not alone.",
                "Let's take a quick look at {drug}.",
                "It'll only take a minute.",
            ],
            [
                "Hey, managing {indication} can feel like a lot.",
                "So let's chat about {drug}.",
                "Quick and simple, promise.",
            ],
        ],
        "simple": [
            ["Do you have {indication}?", "This is a short video about {drug}.", "Let's begin."],
        ],
        "formal": [
            [
                "This brief overview introduces {drug} for {audience} with {indication}.",
                "It summarises what to know before your next appointment.",
            ],
        ],
    },
)

PROBLEM = SceneKind(
    kind="problem",
    title="The problem",
    on_screen_text="Living with {indication}",
    eyebrow="The problem",
    media_query="everyday life person walking",
    visual="Everyday footage (the media library, or generated light) with the headline over it.",
    narration={
        "neutral": [
            [
                "{indication} is a long-term condition.",
                "Keeping it under control takes daily effort.",
                "And that effort adds up over time.",
            ],
            [
                "Managing {indication} is a daily task.",
                "Small choices every day make a difference.",
                "The right support can help.",
            ],
        ],
        "casual": [
            [
                "Here's the thing: {indication} doesn't take days off.",
                "Keeping it in check is an everyday job.",
                "And that can get tiring.",
            ],
            [
                "Let's be honest, {indication} can be a lot to juggle.",
                "It's there every single day.",
                "Good support makes it easier.",
            ],
        ],
        "simple": [
            ["{indication} lasts a long time.", "You need to look after it every day."],
        ],
        "formal": [
            [
                "{indication} is a chronic condition that requires ongoing management.",
                "Consistent daily care is an important part of treatment.",
            ],
        ],
    },
)

MECHANISM = SceneKind(
    kind="mechanism",
    title="How it fits in",
    on_screen_text="How {drug} fits in",
    visual="A capsule travels into a cell outline; small particles settle into balance.",
    narration={
        "neutral": [
            [
                "{drug} is a prescription medicine for {indication}.",
                "Your doctor may add it to a plan that also includes healthy habits.",
                "It works alongside the care you already get.",
            ],
            [
                "{drug} is prescribed to treat {indication}.",
                "It is usually one part of a wider treatment plan.",
                "Your doctor will explain how it fits for you.",
            ],
        ],
        "casual": [
            [
                "So where does {drug} come in?",
                "It's a prescription medicine for {indication}.",
                "Think of it as one part of your bigger plan.",
            ],
            [
                "{drug} is a prescription option for {indication}.",
                "It teams up with healthy habits.",
                "Your doctor can walk you through it.",
            ],
        ],
        "simple": [
            ["{drug} is a medicine for {indication}.", "A doctor must prescribe it."],
        ],
        "formal": [
            [
                "{drug} is a prescription medicine indicated for {indication}.",
                "It is used as part of a comprehensive treatment plan.",
                "Your physician will determine whether it is appropriate.",
            ],
        ],
    },
)

BENEFIT = SceneKind(
    kind="benefit",
    title="The key benefit",
    on_screen_text="{benefit_or_default}",
    visual="A check mark draws itself; the benefit line rises in with growing bars.",
    narration={
        "neutral": [
            [
                "The key benefit: {benefit}.",
                "That can make day-to-day life with {indication} a little easier.",
            ],
            [
                "What stands out: {benefit}.",
                "For many people, that matters every day.",
            ],
        ],
        "casual": [
            [
                "Here's the good part: {benefit}.",
                "That's one less thing to worry about.",
            ],
            [
                "The big win? {benefit}.",
                "And that can really help day to day.",
            ],
        ],
        "simple": [
            ["The main benefit: {benefit}.", "This can help you every day."],
        ],
        "formal": [
            [
                "The principal benefit is as follows: {benefit}.",
                "This may support the ongoing management of {indication}.",
            ],
        ],
    },
)

SAFETY = SceneKind(
    kind="safety",
    title="Safety note",
    on_screen_text="Important safety information",
    visual="A shield outline forms; short safety lines appear one by one.",
    narration={
        "neutral": [
            [
                "{drug} is not right for everyone, and side effects can happen.",
                "Read the patient information that comes with your medicine.",
                "Tell your doctor about your health history and any other medicines you take.",
            ],
            [
                "Like any medicine, {drug} can cause side effects.",
                "Tell your doctor about your health history and other medicines.",
                "Read the patient information that comes with your medicine.",
            ],
        ],
        "casual": [
            [
                "Quick safety note: {drug} isn't right for everyone, and side effects can happen.",
                "Always read the leaflet that comes with it.",
                "Be open with your doctor about your health and other medicines.",
            ],
            [
                "Heads up: like any medicine, {drug} can have side effects.",
                "Be open with your doctor about your health and other medicines.",
                "Always read the leaflet that comes with it.",
            ],
        ],
        "simple": [
            ["{drug} is not for everyone.", "It can have side effects.", "Read the leaflet.",
             "Tell your doctor about other medicines you take."],
        ],
        "formal": [
            [
                "{drug} is not suitable for every patient, and adverse effects may occur.",
                "Please review the full prescribing information.",
                "Inform your healthcare provider of your medical history and all other medicines.",
            ],
        ],
    },
)

CALL_TO_ACTION = SceneKind(
    kind="cta",
    title="Call to action",
    on_screen_text="Ask your doctor about {drug}",
    visual="A speech bubble pops in next to a stethoscope ring; the drug name settles at the bottom.",
    narration={
        "neutral": [
            [
                "Ask your doctor if {drug} is right for you.",
                "Your care team is there to help.",
            ],
            [
                "Talk to your doctor about {drug} at your next visit.",
                "Bring your questions.",
            ],
        ],
        "casual": [
            [
                "Curious? Ask your doctor if {drug} could be right for you.",
                "They're there to help.",
            ],
            [
                "Next step: chat with your doctor about {drug}.",
                "No question is too small.",
            ],
        ],
        "simple": [
            ["Ask your doctor about {drug}.", "They can help you."],
        ],
        "formal": [
            [
                "Consult your healthcare provider to determine whether {drug} is appropriate for you.",
            ],
        ],
    },
)

# Added, in this order, when the reviewer asks for more scenes.
ROUTINE = SceneKind(
    kind="routine",
    title="Everyday routine",
    on_screen_text="Part of your day",
    visual="A day clock sweeps around; small icons mark a steady routine.",
    narration={
        "neutral": [
            [
                "Taking your medicine the way it was prescribed is important.",
                "A simple daily routine can help you remember.",
            ],
        ],
        "casual": [
            [
                "Routines help. Pair your medicine with something you already do each day.",
            ],
        ],
        "simple": [["Take your medicine the way your doctor says.", "Make it part of your day."]],
        "formal": [
            [
                "Adherence to the prescribed regimen is important.",
                "A consistent daily routine can support it.",
            ],
        ],
    },
)

CARE_TEAM = SceneKind(
    kind="care_team",
    title="Your care team",
    on_screen_text="You are not alone",
    eyebrow="Your care team",
    media_query="doctor nurse pharmacist",
    visual="Footage of a care team with the headline over it.",
    narration={
        "neutral": [
            ["Your doctor, nurse and pharmacist can all answer questions about {drug}."],
        ],
        "casual": [["Your doctor, nurse and pharmacist have your back. Lean on them."]],
        "simple": [["Your doctor and pharmacist can help you.", "Ask them anything."]],
        "formal": [
            [
                "Physicians, nurses and pharmacists can each provide guidance on {drug}.",
            ],
        ],
    },
)

QUESTIONS = SceneKind(
    kind="questions",
    title="Questions to ask",
    on_screen_text="Questions for your visit",
    visual="Question marks float up and turn into a short checklist.",
    narration={
        "neutral": [
            ["Write down your questions before your appointment, so nothing gets missed."],
        ],
        "casual": [["Pro tip: jot your questions down before your appointment."]],
        "simple": [["Write your questions down.", "Bring them to your doctor."]],
        "formal": [
            ["Preparing written questions in advance can make consultations more productive."],
        ],
    },
)



def _values(brief: object) -> dict[str, str]:
    assert isinstance(brief, SocialMediaBrief)
    default_benefit = f"one more way to manage {brief.indication}, together with your doctor"
    return {
        "drug": brief.drug_name,
        "indication": brief.indication,
        "benefit": benefit_phrase(brief.drug_name, brief.key_benefit or default_benefit),
        "benefit_or_default": brief.key_benefit or f"Helping you manage {brief.indication}",
        "audience": brief.target_audience,
    }


SOCIAL_MEDIA_DECK = CopyDeck(
    video_type="social_media",
    aspect_ratio="9:16",
    standard_plan=(HOOK, PROBLEM, MECHANISM, BENEFIT, SAFETY, CALL_TO_ACTION),
    # Added, in this order, when the reviewer asks for more scenes (before the safety note).
    extra_scenes=(ROUTINE, CARE_TEAM, QUESTIONS),
    extra_insert_before="safety",
    # Removed, in this order, for fewer scenes; hook, benefit, safety and call to action stay.
    removable_order=("mechanism", "problem"),
    min_seconds=20.0,
    max_seconds=45.0,
    values=_values,
    mention_targets=("benefit", "mechanism", "problem"),
)
