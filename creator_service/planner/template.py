"""The built-in planner: turns a brief into a scene plan and a script with no outside service.

It is deliberately simple and predictable. A video type supplies a `CopyDeck` (its scene kinds
and their words); this module picks scenes, chooses sentences to fit a word budget, weaves in
what the reviewer asked to mention, and keeps the whole video between the type's length bounds.
"""

from __future__ import annotations

import re
import string
from typing import Mapping

from ..claims import PROMOTIONAL_TYPES, SAFETY_KINDS, Evidence
from ..models import Directives, FeedbackReading, PlannedScene, SceneNarration, ScenePlan, Script
from ..timing import estimate_seconds
from .deck import CopyDeck, SceneKind
from .feedback import initial_style, read_feedback

PLANNER_NAME = "built-in"
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def sentence_case(text: str) -> str:
    """Capitalise the start of the text and of each sentence inside it."""
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


class TemplatePlanner:
    name = PLANNER_NAME

    def __init__(self, decks: Mapping[str, CopyDeck]):
        self._decks = dict(decks)

    def supports(self, video_type: str) -> bool:
        return video_type in self._decks

    # ---- scenes ------------------------------------------------------------------------

    def plan_scenes(
        self, video_type: str, brief: object, feedback: str | None, previous: ScenePlan | None,
        *, evidence: Evidence | None = None,
    ) -> ScenePlan:
        deck = self._decks[video_type]
        directives, reading = self._directives(brief, feedback, previous)
        brief = _with_references(brief, evidence)
        values = deck.values(brief)
        kinds, notes = _choose_scenes(deck, directives.scene_delta, values)
        narrations = _with_risks(deck, kinds, _compose_all(deck, kinds, directives, values), evidence)
        scenes = [
            PlannedScene(
                index=index,
                kind=kind.kind,
                title=kind.title,
                on_screen_text=sentence_case(kind.on_screen_text.format(**values)),
                visual=kind.visual,
                target_seconds=estimate_seconds(count_words(" ".join(sentences))),
                eyebrow=kind.eyebrow.format(**values),
                body=sentence_case(kind.body.format(**values)),
                bullets=[b.format(**values) for b in kind.bullets if b.format(**values).strip()],
                media_query=kind.media_query.format(**values) if kind.media_query else None,
            )
            for index, (kind, sentences) in enumerate(zip(kinds, narrations))
        ]
        reading = reading.model_copy(update={"notes": [*reading.notes, *notes, *language_notes(brief)]})
        return ScenePlan(
            video_type=video_type,
            aspect_ratio=getattr(brief, "aspect", None) or deck.aspect_ratio,
            total_seconds=round(sum(scene.target_seconds for scene in scenes), 2),
            scenes=scenes,
            directives=directives,
            planner=self.name,
            feedback=reading,
        )

    # ---- script ------------------------------------------------------------------------

    def write_script(
        self,
        video_type: str,
        brief: object,
        plan: ScenePlan,
        feedback: str | None,
        previous: Script | None,
        *, evidence: Evidence | None = None,
    ) -> Script:
        deck = self._decks[video_type]
        brief = _with_references(brief, evidence)
        base = previous.directives if previous else plan.directives
        directives, reading = (
            read_feedback(feedback, base) if previous else (base, FeedbackReading())
        )
        notes = list(reading.notes)
        if directives.scene_delta != base.scene_delta:
            notes.append(
                "The number of scenes comes from the accepted scene plan; the script keeps "
                f"its {len(plan.scenes)} scenes."
            )
            directives = directives.model_copy(update={"scene_delta": base.scene_delta})
        kinds_by_name = {kind.kind: kind for kind in (*deck.standard_plan, *deck.extra_scenes)}
        kinds = [kinds_by_name[scene.kind] for scene in plan.scenes]
        narrations = _with_risks(deck, kinds, _compose_all(deck, kinds, directives, deck.values(brief)),
                                 evidence)
        scenes = []
        for scene, sentences in zip(plan.scenes, narrations):
            text = " ".join(sentences)
            words = count_words(text)
            scenes.append(
                SceneNarration(
                    scene_index=scene.index,
                    kind=scene.kind,
                    title=scene.title,
                    text=text,
                    word_count=words,
                    estimated_seconds=estimate_seconds(words),
                )
            )
        return Script(
            persona=str(brief.persona),
            tone=str(brief.tone),
            scenes=scenes,
            total_words=sum(scene.word_count for scene in scenes),
            estimated_seconds=round(sum(scene.estimated_seconds for scene in scenes), 2),
            directives=directives,
            planner=self.name,
            feedback=reading.model_copy(update={"notes": [*notes, *language_notes(brief)]}),
        )

    def _directives(
        self, brief: object, feedback: str | None, previous: ScenePlan | None
    ) -> tuple[Directives, FeedbackReading]:
        if previous is None:
            tone = str(getattr(brief, "tone", ""))
            return Directives(style=initial_style(tone)), FeedbackReading()
        return read_feedback(feedback, previous.directives)


def language_notes(brief: object) -> list[str]:
    """The built-in copy is English; a brief in another language is told so, not silently ignored."""
    language = str(getattr(brief, "language", "en"))
    if language.split("-")[0].lower() == "en":
        return []
    return [f"The built-in planner writes English only, so this text is in English, not '{language}'. "
            "With OPENAI_API_KEY set, the OpenAI planner writes in the brief's language."]


def _with_references(brief: object, evidence: Evidence | None) -> object:
    """compliance_video writes only from its reference text: `reference_docs` and the uploaded
    references together, in citation order."""
    if evidence is None or not evidence.sources or not hasattr(brief, "reference_docs"):
        return brief
    text = "\n".join(sentence for source in evidence.sources for sentence in source.sentences)
    return brief.model_copy(update={"reference_docs": text})  # type: ignore[attr-defined]


def _with_risks(deck: CopyDeck, kinds: list[SceneKind], narrations: list[list[str]],
                evidence: Evidence | None) -> list[list[str]]:
    """A promotional video's safety scenes state the brief's risks word for word, after their
    opening sentence. The built-in planner never writes a risk of its own: only what the brief
    and its references give (the deck's generic lines say no more than that risks exist)."""
    risks = [sentence_case(r.rstrip(".") + ".") for r in (evidence.risks if evidence else ())]
    if not risks or deck.video_type not in PROMOTIONAL_TYPES:
        return narrations
    return [[*sentences[:1], *risks, *sentences[1:]] if kind.kind in SAFETY_KINDS else sentences
            for kind, sentences in zip(kinds, narrations)]


def _has_facts(template: str, values: dict[str, str]) -> bool:
    """A sentence that needs a fact the brief does not give (an empty value) is left out."""
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    return all(values.get(name, "").strip() for name in names)


def _choose_scenes(
    deck: CopyDeck, scene_delta: int, values: dict[str, str]
) -> tuple[list[SceneKind], list[str]]:
    kinds = [k for k in deck.standard_plan if not k.requires or values.get(k.requires, "").strip()]
    notes: list[str] = []
    if scene_delta > 0:
        extras = list(deck.extra_scenes[:scene_delta])
        if len(extras) < scene_delta:
            notes.append(f"The built-in planner has {len(deck.extra_scenes)} extra scenes at most.")
        position = next(
            (i for i, kind in enumerate(kinds) if kind.kind == deck.extra_insert_before),
            len(kinds),
        )
        kinds[position:position] = extras
    elif scene_delta < 0:
        removable = [name for name in deck.removable_order if any(k.kind == name for k in kinds)]
        to_remove = set(removable[: -scene_delta])
        if len(to_remove) < -scene_delta:
            notes.append(
                f"{len(kinds) - len(to_remove)} scenes is the fewest: the remaining scenes carry "
                "what the video must say (such as the safety information and the call to action)."
            )
        kinds = [kind for kind in kinds if kind.kind not in to_remove]
    return kinds, notes


def _compose_all(
    deck: CopyDeck, kinds: list[SceneKind], directives: Directives, values: dict[str, str]
) -> list[list[str]]:
    """Sentences per scene: a word budget from the directives, then the video's length bounds."""
    budget = round(deck.words_per_scene * directives.length)
    pools: list[list[str]] = []
    chosen_counts: list[int] = []
    for kind in kinds:
        variants = kind.narration.get(directives.style) or kind.narration["neutral"]
        variant = variants[directives.variation % len(variants)]
        pool = [sentence_case(sentence.format(**values)) for sentence in variant if _has_facts(sentence, values)]
        if not pool:
            raise ValueError(f"scene {kind.kind!r} has no sentence the brief can fill")
        count = 1
        while count < len(pool) and count_words(" ".join(pool[: count + 1])) <= budget:
            count += 1
        if kind.kind in SAFETY_KINDS:
            # The major statement is said in full, whatever the word budget or a "shorter"
            # asks, so it keeps its share of the video (fair_balance).
            count = len(pool)
        pools.append(pool)
        chosen_counts.append(count)

    mentions = _place_mentions(deck, kinds, directives)

    def scene_sentences(i: int) -> list[str]:
        return pools[i][: chosen_counts[i]] + mentions.get(i, [])

    def total_seconds() -> float:
        return sum(estimate_seconds(count_words(" ".join(scene_sentences(i)))) for i in range(len(kinds)))

    # Keep the whole video inside the type's bounds by adding or dropping optional sentences.
    while total_seconds() > deck.max_seconds:
        candidates = [i for i in range(len(kinds)) if chosen_counts[i] > 1 and kinds[i].kind not in SAFETY_KINDS]
        # The safety narration gives up its last sentences only when nothing else can, and
        # keeps its first (fair_balance then says if it became too short).
        candidates = candidates or [i for i in range(len(kinds)) if chosen_counts[i] > 1]
        if not candidates:
            break
        longest = max(candidates, key=lambda i: count_words(" ".join(scene_sentences(i))))
        chosen_counts[longest] -= 1
    while total_seconds() < deck.min_seconds:
        candidates = [i for i in range(len(kinds)) if chosen_counts[i] < len(pools[i])]
        if not candidates:
            break
        shortest = min(candidates, key=lambda i: count_words(" ".join(scene_sentences(i))))
        chosen_counts[shortest] += 1
    return [scene_sentences(i) for i in range(len(kinds))]


def _place_mentions(
    deck: CopyDeck, kinds: list[SceneKind], directives: Directives
) -> dict[int, list[str]]:
    """Spread the reviewer's mentions over the scenes meant to carry them."""
    if not directives.mentions:
        return {}
    targets = [
        index
        for name in deck.mention_targets
        for index, kind in enumerate(kinds)
        if kind.kind == name
    ] or [0]
    template = deck.mention_templates.get(directives.style, deck.mention_templates["neutral"])
    placed: dict[int, list[str]] = {}
    for n, mention in enumerate(directives.mentions):
        scene = targets[n % len(targets)]
        placed.setdefault(scene, []).append(sentence_case(template.format(what=mention.rstrip("."))))
    return placed
