"""What the built-in planner understands of a reviewer's plain-language feedback.

Each rule is a pattern and the change it makes to the `Directives`. The README lists the same
phrases; `tests/test_feedback.py` has one test per rule. Feedback the rules do not cover is
not thrown away silently: the reading says so, and the planner offers a fresh variation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..models import Directives, FeedbackReading

MIN_LENGTH = 0.4
MAX_LENGTH = 2.0
MAX_MENTIONS = 5
MENTION_LIMIT = 120


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    apply: Callable[[Directives], Directives]


def _scaled_length(factor: float) -> Callable[[Directives], Directives]:
    def apply(directives: Directives) -> Directives:
        length = min(MAX_LENGTH, max(MIN_LENGTH, round(directives.length * factor, 3)))
        return directives.model_copy(update={"length": length})

    return apply


def _style(style: str) -> Callable[[Directives], Directives]:
    return lambda directives: directives.model_copy(update={"style": style})


def _scene_delta(step: int) -> Callable[[Directives], Directives]:
    return lambda directives: directives.model_copy(
        update={"scene_delta": directives.scene_delta + step}
    )


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


RULES: tuple[Rule, ...] = (
    Rule(
        "shorter",
        _rx(
            r"\b(shorter|more concise|concise|briefer|brief|trim|tighten|cut (it )?down|"
            r"too long|less wordy|fewer words|quicker)\b"
        ),
        _scaled_length(0.7),
    ),
    Rule(
        "longer",
        _rx(r"\b(longer|more detail(ed)?|in more depth|expand|elaborate|too short|more words)\b"),
        _scaled_length(1.35),
    ),
    Rule(
        "simpler",
        _rx(
            r"\b(simpler|simple|plain (language|english|words)|easier|easy to understand|"
            r"patient[- ]friendly|less (technical|jargon)|no jargon|lay(man|person)?('s)? terms)\b"
        ),
        _style("simple"),
    ),
    Rule(
        "more formal",
        _rx(r"\b(more formal|formal|more professional|professional|more serious|scientific)\b"),
        _style("formal"),
    ),
    Rule(
        "more casual",
        _rx(r"\b(more casual|casual|friendlier|more friendly|conversational|warmer|more relaxed)\b"),
        _style("casual"),
    ),
    Rule(
        "more scenes",
        _rx(r"\b(more scenes|another scene|one more scene|an extra scene|extra scene|add a scene)\b"),
        _scene_delta(+1),
    ),
    Rule(
        "fewer scenes",
        _rx(
            r"\b(fewer scenes|less scenes|too many scenes|(remove|drop|cut) (a|one) scene|"
            r"one scene less)\b"
        ),
        _scene_delta(-1),
    ),
)

# "mention X", "include X", "say that X", "highlight X": X runs to the end of the clause.
_MENTION = _rx(
    r"\b(?:mention|include|say|state|highlight|emphasi[sz]e|talk about|add)\s+(?:that\s+)?"
    r"(?P<what>[^.;!?\n]+?)(?=\s*(?:[.;!?\n]|,?\s+and\s+(?:make|be|keep|use)\b|$))"
)
# Words after "add"/"include" that are about the video's shape, not something to mention.
_NOT_A_MENTION = _rx(r"^(a|an|another|one more|more|extra)\b.*\b(scenes?|detail|words)\b|^more\b")


def read_feedback(feedback: str | None, directives: Directives) -> tuple[Directives, FeedbackReading]:
    """Apply every rule that the feedback matches, in the order the reviewer wrote them."""
    if not feedback:
        varied = directives.model_copy(update={"variation": directives.variation + 1})
        return varied, FeedbackReading(feedback=None, understood=["new variation (no feedback given)"])

    matches: list[tuple[int, Rule]] = []
    for rule in RULES:
        found = rule.pattern.search(feedback)
        if found:
            matches.append((found.start(), rule))
    matches.sort(key=lambda pair: pair[0])

    understood: list[str] = []
    updated = directives
    for _, rule in matches:
        updated = rule.apply(updated)
        understood.append(rule.name)

    for mention in _mentions(feedback):
        if mention.lower() not in (m.lower() for m in updated.mentions):
            if len(updated.mentions) >= MAX_MENTIONS:
                break
            updated = updated.model_copy(update={"mentions": [*updated.mentions, mention]})
            understood.append(f"mention: {mention}")

    if not understood:
        updated = updated.model_copy(update={"variation": updated.variation + 1})
        return updated, FeedbackReading(
            feedback=feedback,
            understood=["new variation"],
            notes=[
                "The built-in planner has no rule for this feedback, so it wrote a fresh "
                "variation. It understands: shorter, longer, simpler, more formal, more casual, "
                "more scenes, fewer scenes, and 'mention …'."
            ],
        )
    return updated, FeedbackReading(feedback=feedback, understood=understood)


def _mentions(feedback: str) -> list[str]:
    found: list[str] = []
    for match in _MENTION.finditer(feedback):
        what = match.group("what").strip().strip("\"'“”‘’").strip()
        if not what or _NOT_A_MENTION.search(what):
            continue
        found.append(what[:MENTION_LIMIT])
    return found


def initial_style(tone: str) -> str:
    """The style a brief's tone asks for, before any feedback."""
    for rule in RULES:
        if rule.name in ("simpler", "more formal", "more casual") and rule.pattern.search(tone):
            return rule.apply(Directives()).style
    if re.search(r"\b(precise|educational|clinical|technical)\b", tone, re.IGNORECASE):
        return "formal"
    if re.search(r"\b(friendly|engaging|fun|upbeat|warm)\b", tone, re.IGNORECASE):
        return "casual"
    return "neutral"
