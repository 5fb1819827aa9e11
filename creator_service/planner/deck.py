"""The shape of a video type's built-in copy: its scene kinds and the words for each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

Sentences = list[str]
Bank = dict[str, list[Sentences]]  # style -> variants, each a list of sentences


@dataclass(frozen=True)
class SceneKind:
    kind: str
    title: str
    on_screen_text: str
    visual: str
    narration: Bank
    eyebrow: str = ""
    body: str = ""
    bullets: tuple[str, ...] = ()
    # Words to search the media library for, when the scene has footage behind it.
    media_query: str | None = None
    # A placeholder that must be non-empty for this scene to be planned at all.
    requires: str | None = None


@dataclass(frozen=True)
class CopyDeck:
    video_type: str
    aspect_ratio: str
    standard_plan: tuple[SceneKind, ...]
    extra_scenes: tuple[SceneKind, ...]
    removable_order: tuple[str, ...]
    extra_insert_before: str
    min_seconds: float
    max_seconds: float
    # Values for the placeholders in the deck's text, from the brief.
    values: Callable[[object], dict[str, str]]
    # Scene kinds that carry the reviewer's "mention …" requests, in order of preference.
    mention_targets: tuple[str, ...] = ()
    # Words of narration a scene aims for at the default length.
    words_per_scene: int = 14
    mention_templates: Mapping[str, str] = field(
        default_factory=lambda: {
            "neutral": "Good to know: {what}.",
            "casual": "Oh, and {what}.",
            "simple": "Also: {what}.",
            "formal": "Please note: {what}.",
        }
    )




# A benefit written as a verb phrase ("helps lower blood sugar") reads as a sentence only with
# the drug in front of it; a noun phrase ("once-daily dosing") stands on its own.
_VERB_START = re.compile(
    r"^(helps?|lowers?|reduces?|improves?|supports?|keeps?|works?|offers?|provides?|"
    r"controls?|protects?|can|may|is|has|gives?|makes?|lets?|allows?)\b",
    re.IGNORECASE,
)


def benefit_phrase(drug: str, benefit: str) -> str:
    benefit = benefit.strip().rstrip(".")
    if _VERB_START.match(benefit):
        return f"{drug} {benefit[0].lower()}{benefit[1:]}"
    return benefit
