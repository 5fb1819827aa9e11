"""Words for the built-in `product_ad` planner: a modern, short brand film (Remotion).

Brand name, topic, persona, tone and region drive the copy; the offline planner keeps to what
the brief says and makes no clinical claims of its own.
"""

from __future__ import annotations

from ..payloads import ProductAdBrief
from .deck import CopyDeck, SceneKind

TITLE = SceneKind(
    kind="title",
    title="Title",
    on_screen_text="{brand}",
    eyebrow="Introducing",
    body="{topic}",
    media_query="{topic}",
    visual="The brand name animates in over footage; the topic settles beneath it.",
    narration={
        "neutral": [
            ["Introducing {brand}.", "{topic}, made with real life in mind.", "Here is what to know."],
            ["Meet {brand}.", "{topic}, designed around your day.", "Here is the short version."],
        ],
        "casual": [["Say hello to {brand}.", "{topic}, built for real life.", "Here's the quick version."]],
        "simple": [["This is {brand}.", "{topic}.", "Here is what to know."]],
        "formal": [["Introducing {brand}.", "{topic}, developed with patients' daily lives in mind."]],
    },
)
NEED = SceneKind(
    kind="problem",
    title="The need",
    on_screen_text="Made for real life",
    eyebrow="Why it matters",
    body="Options that fit into everyday routines.",
    media_query="everyday life people",
    visual="Everyday footage; a headline and a line of copy slide in from the left.",
    narration={
        "neutral": [["People want options that fit real life.", "Clear choices make the next step easier.",
                     "Good information helps you decide."]],
        "casual": [["Let's face it: life is busy.", "You want options that keep up."]],
        "simple": [["Life is busy.", "You want things to be simple."]],
        "formal": [["Patients value options that fit into daily life.", "Clear information supports informed decisions."]],
    },
)
BENEFITS = SceneKind(
    kind="benefit",
    title="Benefits",
    on_screen_text="Why {brand}",
    eyebrow="{brand}",
    bullets=("Made for everyday routines", "Clear information", "Support from your care team"),
    media_query="healthy lifestyle",
    visual="Three benefit callouts tick in one after another over lifestyle footage.",
    narration={
        "neutral": [["{brand} is designed around everyday routines.", "It comes with clear information.",
                     "And your care team is there to support you."]],
        "casual": [["{brand} fits right into your routine.", "Plus clear info and a care team in your corner."]],
        "simple": [["{brand} fits your day.", "Your care team can help."]],
        "formal": [["{brand} is designed to fit established routines.", "It is supported by clear information and your care team."]],
    },
)
REGION = SceneKind(
    kind="region",
    title="Availability",
    on_screen_text="Available in {region}",
    eyebrow="Availability",
    requires="region",
    media_query="{region} city",
    visual="A place-setting shot of the region with the availability line.",
    narration={
        "neutral": [["Ask about {brand} in {region}."]],
        "casual": [["Now in {region}: ask about {brand}."]],
        "simple": [["Ask about {brand} where you live."]],
        "formal": [["Enquire about the availability of {brand} in {region}."]],
    },
)
SAFETY = SceneKind(
    kind="safety",
    title="Safety information",
    on_screen_text="Important safety information",
    bullets=("{brand} is not right for everyone", "Side effects can happen", "Read the patient information"),
    visual="The safety information in a bordered panel, on screen while it is read.",
    narration={
        "neutral": [["{brand} is not right for everyone, and side effects can happen.",
                     "Read the patient information and talk to your doctor about any concerns.",
                     "Tell your doctor about your health history and any other medicines you take."]],
        "casual": [["Quick safety note: {brand} isn't right for everyone, and side effects can happen.",
                    "Read the leaflet and talk to your doctor.",
                    "Be open with your doctor about your health and other medicines."]],
        "simple": [["{brand} is not for everyone.", "It can have side effects.", "Read the leaflet.",
                    "Tell your doctor about other medicines you take."]],
        "formal": [["{brand} is not suitable for every patient, and adverse effects may occur.",
                    "Please review the patient information and consult your healthcare provider.",
                    "Inform your healthcare provider of your medical history and all other medicines."]],
    },
)
CALL_TO_ACTION = SceneKind(
    kind="cta",
    title="Call to action",
    on_screen_text="Ask your doctor about {brand}",
    eyebrow="Next step",
    body="Talk to your doctor",
    media_query="doctor conversation",
    visual="A bold call to action with a button-like prompt; the brand sits below.",
    narration={
        "neutral": [["Ask your doctor if {brand} is right for you.",
                     "Your doctor can explain the benefits and the risks."]],
        "casual": [["Curious? Ask your doctor about {brand}."]],
        "simple": [["Ask your doctor about {brand}."]],
        "formal": [["Consult your healthcare provider about whether {brand} is appropriate for you."]],
    },
)
STORY = SceneKind(
    kind="story",
    title="A day with {brand}",
    on_screen_text="A day with {brand}",
    eyebrow="Your day",
    media_query="morning routine",
    visual="Morning-routine footage with a short caption.",
    narration={
        "neutral": [["From the first coffee to the last call of the day, routines matter."]],
        "casual": [["Morning coffee, school run, meetings: your day has a rhythm."]],
        "simple": [["Your day has a routine."]],
        "formal": [["Daily routines shape how treatment fits into life."]],
    },
)


def _values(brief: object) -> dict[str, str]:
    assert isinstance(brief, ProductAdBrief)
    return {
        "brand": brief.brand_name,
        "topic": brief.topic.rstrip("."),
        "region": "" if not brief.region or brief.region.lower() == "global" else brief.region,
    }


PRODUCT_AD_DECK = CopyDeck(
    video_type="product_ad",
    aspect_ratio="16:9",
    # Fair balance is not optional in a pharmaceutical ad: the safety scene always stays.
    standard_plan=(TITLE, NEED, BENEFITS, REGION, SAFETY, CALL_TO_ACTION),
    extra_scenes=(STORY,),
    extra_insert_before="cta",
    removable_order=("problem",),
    # A 30-second spot, give or take.
    min_seconds=25.0,
    max_seconds=45.0,
    values=_values,
    mention_targets=("benefit", "problem", "title"),
    words_per_scene=16,
)
