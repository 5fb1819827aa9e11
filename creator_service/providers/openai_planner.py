"""The planner backed by an LLM through the official `openai` SDK (OpenAI, or any server that
speaks its API: Ollama, vLLM, llama.cpp).

Answers come back as structured outputs (`chat.completions.parse` with a strict JSON schema
built from pydantic models), so they are validated on arrival; the scene kinds a type may use are
an enum in that schema, because the renderers draw only those. The plan and the script are then
checked (scene count, durations, word budgets, the safety scene, claims against the references)
before a reviewer sees them; an answer that fails goes back to the model with its problems, at most
twice. Every failure is a `StageFailure` whose words a reviewer understands.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Literal, TypeVar

import openai
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from .. import compliance
from ..claims import PROMOTIONAL_TYPES, SAFETY_KINDS, Evidence, link_claims
from ..models import Directives, FeedbackReading, PlannedScene, SceneNarration, ScenePlan, Script
from ..planner.deck import CopyDeck
from ..planner.feedback import initial_style
from ..planner.template import count_words
from ..settings import OpenAISettings
from ..stages.context import StageFailure
from ..timing import SCENE_PADDING_SECONDS, WORDS_PER_SECOND, estimate_seconds

logger = logging.getLogger(__name__)

MIN_SCENES = 3
MIN_SCENE_SECONDS = 2.0
MAX_SCENE_SECONDS = 20.0
# How far past a scene's word budget the script may run before it is sent back.
WORD_BUDGET_SLACK = 1.6
# A plan or script that fails its checks goes back to the model with its problems this often.
REPAIR_ROUNDS = 2
T = TypeVar("T")

AUDIENCE = {
    "social_media": "patients and the public, on a phone, often with the sound off",
    "product_ad": "patients and the public",
    "compliance_video": "anyone; the video is reviewed by medical, legal and regulatory teams",
    "moa": "healthcare professionals",
    "doctor_ad": "prescribing physicians",
}
RULES = [
    "Never invent clinical facts, figures, study results, mechanisms or claims that the brief does not give.",
    "Never make absolute or promotional claims: no 'cure', 'guaranteed', '100% safe', 'no side effects', "
    "'risk-free', and no superlatives such as 'best' or 'most effective'.",
    "Keep fair balance: the video must say that the medicine is not right for everyone and point to the "
    "prescribing or patient information.",
]
COMPLIANCE_RULES = [
    "Every factual sentence of the narration must be a sentence of the reference text, or a close "
    "paraphrase using its words and figures.",
    "State the reference's approved-use statement and at least one of its safety statements.",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NarrationAnswer(Strict):
    scene_index: int
    text: str


class ScriptAnswer(Strict):
    scenes: list[NarrationAnswer]


def scene_plan_answer(deck: CopyDeck) -> type[Strict]:
    """The answer schema for a type: its scene kinds are the only kinds allowed."""
    kinds = tuple(kind.kind for kind in (*deck.standard_plan, *deck.extra_scenes))
    scene = create_model(
        "SceneAnswer",
        __base__=Strict,
        kind=(Literal[kinds], ...),  # type: ignore[valid-type]
        title=(str, ...),
        on_screen_text=(str, ...),
        eyebrow=(str, ...),
        body=(str, ...),
        bullets=(list[str], ...),
        visual=(str, ...),
        media_query=(str | None, ...),
        narration_seconds=(float, ...),
    )
    return create_model("ScenePlanAnswer", __base__=Strict, scenes=(list[scene], ...))  # type: ignore[valid-type]


def describe_failure(exc: Exception, settings: OpenAISettings) -> str:
    """What went wrong, in words for a reviewer (the SDK has already retried what it should)."""
    where = settings.base_url or "the OpenAI API"
    if isinstance(exc, openai.APITimeoutError):
        return f"OpenAI API timeout: no answer from {where} within {settings.timeout:.0f} s"
    if isinstance(exc, openai.AuthenticationError):
        return "OpenAI rejected the API key (401): check OPENAI_API_KEY"
    if isinstance(exc, openai.PermissionDeniedError):
        return f"OpenAI refused access to model '{settings.model}' (403)"
    if isinstance(exc, openai.RateLimitError):
        retry = exc.response.headers.get("retry-after")
        wait = f"; it asks to wait {retry} s" if retry else ""
        return f"OpenAI rate limit (429) still hit after {settings.max_retries} retries{wait}; regenerate later"
    if isinstance(exc, openai.InternalServerError):
        return f"OpenAI server error ({exc.status_code}) after {settings.max_retries} retries"
    if isinstance(exc, openai.APIStatusError):
        return f"OpenAI answered {exc.status_code}: {exc.message}"
    if isinstance(exc, openai.APIConnectionError):
        return f"could not reach {where}: {exc}"
    if isinstance(exc, openai.LengthFinishReasonError):
        return "OpenAI's answer was cut off before it was complete (token limit)"
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return "OpenAI's content filter stopped the answer"
    if isinstance(exc, (ValidationError, json.JSONDecodeError)):
        return f"OpenAI's answer did not match the expected structure: {str(exc).splitlines()[0]}"
    return f"OpenAI request failed: {type(exc).__name__}: {exc}"


class OpenAIPlanner:
    def __init__(self, settings: OpenAISettings, decks: dict[str, CopyDeck], client: openai.OpenAI | None = None):
        self.settings = settings
        self._decks = decks
        self._client = client or openai.OpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url or None,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
        )
        self.name = f"openai:{settings.model}"

    def supports(self, video_type: str) -> bool:
        return video_type in self._decks

    # ---- the two planner calls -----------------------------------------------------------

    def plan_scenes(
        self, video_type: str, brief: object, feedback: str | None, previous: ScenePlan | None,
        *, evidence: Evidence | None = None,
    ) -> ScenePlan:
        deck = self._decks[video_type]
        messages = [
            {"role": "system", "content": self._system_prompt(deck, brief, "scene plan", evidence)},
            {"role": "user", "content": self._plan_request(deck, brief, feedback, previous)},
        ]
        scenes, repairs = self._ask_checked(
            messages, scene_plan_answer(deck), self._planned_scenes, lambda found: self._plan_problems(deck, found),
            "scene plan")
        reading = self._reading(feedback, previous is not None)
        return ScenePlan(
            video_type=video_type,
            aspect_ratio=getattr(brief, "aspect", None) or deck.aspect_ratio,
            total_seconds=round(sum(s.target_seconds for s in scenes), 2),
            scenes=scenes,
            directives=Directives(style=initial_style(str(getattr(brief, "tone", "")))),
            planner=self.name,
            feedback=reading.model_copy(update={"notes": [*reading.notes, *repairs]}),
        )

    @staticmethod
    def _planned_scenes(answer: Any) -> list[PlannedScene]:
        return [
            PlannedScene(
                index=index,
                kind=scene.kind,
                title=scene.title.strip(),
                on_screen_text=scene.on_screen_text.strip(),
                visual=scene.visual.strip(),
                target_seconds=round(float(scene.narration_seconds) + SCENE_PADDING_SECONDS, 2),
                eyebrow=scene.eyebrow.strip(),
                body=scene.body.strip(),
                bullets=[b.strip() for b in scene.bullets if b.strip()][:4],
                media_query=(scene.media_query or "").strip() or None,
            )
            for index, scene in enumerate(answer.scenes)
        ]

    def write_script(
        self, video_type: str, brief: object, plan: ScenePlan, feedback: str | None, previous: Script | None,
        *, evidence: Evidence | None = None,
    ) -> Script:
        deck = self._decks[video_type]
        messages = [
            {"role": "system", "content": self._system_prompt(deck, brief, "narration script", evidence)},
            {"role": "user", "content": self._script_request(plan, brief, feedback, previous)},
        ]
        scenes, repairs = self._ask_checked(
            messages, ScriptAnswer, lambda answer: self._narrations(plan, answer),
            lambda found: self._script_problems(deck, plan, found, evidence), "script")
        reading = self._reading(feedback, previous is not None)
        return Script(
            persona=str(getattr(brief, "persona", "")),
            tone=str(getattr(brief, "tone", "")),
            scenes=scenes,
            total_words=sum(s.word_count for s in scenes),
            estimated_seconds=round(sum(s.estimated_seconds for s in scenes), 2),
            directives=plan.directives,
            planner=self.name,
            feedback=reading.model_copy(update={"notes": [*reading.notes, *repairs]}),
        )

    @staticmethod
    def _narrations(plan: ScenePlan, answer: Any) -> list[SceneNarration]:
        """One narration per planned scene; a scene the answer left out is left empty (a problem)."""
        by_index = {item.scene_index: item.text.strip() for item in answer.scenes}
        scenes = []
        for scene in plan.scenes:
            text = by_index.get(scene.index, "")
            words = count_words(text)
            scenes.append(SceneNarration(
                scene_index=scene.index, kind=scene.kind, title=scene.title, text=text,
                word_count=words, estimated_seconds=estimate_seconds(words),
            ))
        return scenes

    # ---- talking to the model ----------------------------------------------------------

    def _ask_checked(self, messages: list[dict[str, str]], model: type[BaseModel], build: Callable[[Any], T],
                     problems_of: Callable[[T], list[str]], what: str) -> tuple[T, list[str]]:
        """Ask, check, and send a failing answer back with its problems, at most REPAIR_ROUNDS
        times; then it is a stage error. Returns the answer and a note per repair for the reviewer."""
        notes: list[str] = []
        for repair in range(REPAIR_ROUNDS + 1):
            answer = self._ask(messages, model)
            result = build(answer)
            problems = problems_of(result)
            if not problems:
                return result, notes
            logger.info("LLM %s failed %d check(s) (round %d)", what, len(problems), repair + 1)
            if repair == REPAIR_ROUNDS:
                raise StageFailure(f"the LLM's {what} failed its checks after {REPAIR_ROUNDS} repair rounds: "
                                   + "; ".join(problems) + ". Regenerate.")
            notes.append(f"The model's {what} was sent back once more for: " + "; ".join(problems) + ".")
            messages = [*messages, {"role": "assistant", "content": answer.model_dump_json()},
                        {"role": "user", "content": "Your answer failed these checks:\n"
                         + "\n".join(f"- {p}" for p in problems)
                         + "\nAnswer again in full, with every problem fixed and everything else kept."}]
        raise AssertionError("unreachable")

    def _ask(self, messages: list[dict[str, str]], model: type[BaseModel]) -> Any:
        try:
            completion = self._client.chat.completions.parse(
                model=self.settings.model, messages=messages, response_format=model,  # type: ignore[arg-type]
            )
        except Exception as exc:  # every SDK failure becomes a stage error, described
            logger.warning("LLM call failed: %s", exc)
            raise StageFailure(describe_failure(exc, self.settings)) from exc
        message = completion.choices[0].message
        if message.refusal:
            raise StageFailure(f"the model refused: {message.refusal}")
        if message.parsed is None:
            raise StageFailure("OpenAI's answer was empty")
        return message.parsed

    def _system_prompt(self, deck: CopyDeck, brief: object, what: str, evidence: Evidence | None) -> str:
        audience = AUDIENCE.get(deck.video_type, "a general audience")
        kinds = "\n".join(
            f"- {kind.kind}: {kind.title}. {kind.visual}" for kind in (*deck.standard_plan, *deck.extra_scenes)
        )
        standard = ", ".join(kind.kind for kind in deck.standard_plan)
        rules = RULES + (COMPLIANCE_RULES if deck.video_type == "compliance_video" else [])
        region = getattr(brief, "region", None)
        language = getattr(brief, "language", "en")
        return "\n".join([
            f"You write the {what} of a {deck.video_type.replace('_', ' ')} video for a pharmaceutical "
            f"company. The audience is {audience}.",
            f"Persona of the narrator: {getattr(brief, 'persona', '')}. Tone: {getattr(brief, 'tone', '')}."
            + (f" Region: {region}." if region else ""),
            f"Aspect ratio {getattr(brief, 'aspect', None) or deck.aspect_ratio}. The whole video lasts {deck.min_seconds:.0f} to "
            f"{deck.max_seconds:.0f} seconds; narration runs at about {WORDS_PER_SECOND} words a second.",
            f"Scene kinds you may use (the renderer draws only these):\n{kinds}",
            f"The usual structure is: {standard}.",
            f"Write every title, on-screen text and narration in the language with BCP-47 tag '{language}'. "
            "Keep the JSON field names and scene kinds in English.",
            "Rules:",
            *(f"- {rule}" for rule in rules),
            *_evidence_prompt(evidence),
        ])

    def _plan_request(self, deck: CopyDeck, brief: object, feedback: str | None, previous: ScenePlan | None) -> str:
        parts = [
            "Plan the scenes for this brief. Give each scene its narration length in seconds "
            f"({MIN_SCENE_SECONDS:.0f} to {MAX_SCENE_SECONDS:.0f}), short on-screen text, and a media_query "
            "(a few words to search stock footage) only for scenes that should show footage, else null.",
            f"Brief: {json.dumps(_brief_json(brief))}",
        ]
        return "\n".join(parts + _revision(previous, feedback))

    def _script_request(self, plan: ScenePlan, brief: object, feedback: str | None, previous: Script | None) -> str:
        budgets = [
            {"scene_index": s.index, "kind": s.kind, "title": s.title,
             "words": max(4, round((s.target_seconds - SCENE_PADDING_SECONDS) * WORDS_PER_SECOND))}
            for s in plan.scenes
        ]
        parts = [
            "Write the narration for each scene of the accepted plan, one entry per scene_index, "
            "each close to its word budget.",
            f"Brief: {json.dumps(_brief_json(brief))}",
            f"Accepted scene plan: {plan.model_dump_json(include={'scenes'})}",
            f"Word budgets: {json.dumps(budgets)}",
        ]
        return "\n".join(parts + _revision(previous, feedback))

    def _reading(self, feedback: str | None, regenerating: bool) -> FeedbackReading:
        if not regenerating:
            return FeedbackReading()
        return FeedbackReading(
            feedback=feedback,
            understood=[f"sent to {self.settings.model} with the previous version"
                        + (" and your feedback" if feedback else " for a fresh variation")],
        )

    # ---- checks before a reviewer sees the answer ----------------------------------------

    def _plan_problems(self, deck: CopyDeck, scenes: list[PlannedScene]) -> list[str]:
        problems = []
        most = len(deck.standard_plan) + len(deck.extra_scenes)
        if not MIN_SCENES <= len(scenes) <= most:
            problems.append(f"{len(scenes)} scenes (allowed: {MIN_SCENES} to {most})")
        for scene in scenes:
            spoken = scene.target_seconds - SCENE_PADDING_SECONDS
            if not MIN_SCENE_SECONDS <= spoken <= MAX_SCENE_SECONDS:
                problems.append(f"scene {scene.index + 1} lasts {spoken:.1f} s "
                                f"(allowed: {MIN_SCENE_SECONDS:.0f} to {MAX_SCENE_SECONDS:.0f} s)")
            if not scene.on_screen_text:
                problems.append(f"scene {scene.index + 1} has no on-screen text")
        total = sum(s.target_seconds for s in scenes)
        if not deck.min_seconds <= total <= deck.max_seconds:
            problems.append(f"the video would last {total:.0f} s "
                            f"(allowed: {deck.min_seconds:.0f} to {deck.max_seconds:.0f} s)")
        if deck.video_type in PROMOTIONAL_TYPES and not any(s.kind in SAFETY_KINDS for s in scenes):
            problems.append("there is no safety scene (the major statement of risks is required)")
        return problems

    def _script_problems(self, deck: CopyDeck, plan: ScenePlan, scenes: list[SceneNarration],
                         evidence: Evidence | None) -> list[str]:
        problems = [f"scene_index {s.scene_index} has no narration" for s in scenes if not s.text]
        for planned, narration in zip(plan.scenes, scenes):
            budget = max(4, (planned.target_seconds - SCENE_PADDING_SECONDS) * WORDS_PER_SECOND)
            if narration.word_count > budget * WORD_BUDGET_SLACK:
                problems.append(f"scene {planned.index + 1} has {narration.word_count} words "
                                f"for a budget of {budget:.0f}")
        total = sum(s.estimated_seconds for s in scenes)
        if total > deck.max_seconds * 1.1:
            problems.append(f"the narration would last {total:.0f} s (at most {deck.max_seconds:.0f} s)")
        if evidence is not None and evidence.cited:
            # Claims only when there are references to trace them to: without any, no rewrite helps.
            script = Script(persona="", tone="", scenes=scenes, total_words=0, estimated_seconds=0,
                            directives=plan.directives, planner=self.name)
            problems += [f'"{c.text}" (scene {c.scene + 1}) fails {c.rule}: {c.detail}'
                         for c in link_claims(script, evidence) if not c.supported]
            if deck.video_type == "compliance_video":  # and the rules about the script as a whole
                said = [sentence for scene in scenes for sentence in compliance.sentences(scene.text)]
                reference = "\n".join(s for source in evidence.sources for s in source.sentences)
                problems += [f"{v.rule}: {v.detail}" for v in compliance.check_script(said, reference)
                             if v.sentence is None]
        return problems


def _evidence_prompt(evidence: Evidence | None) -> list[str]:
    if evidence is None:
        return []
    lines = []
    if evidence.sources:
        lines.append("- Use only these references for claims: every factual sentence must be one of their "
                     "sentences or a close paraphrase with the same words and figures.")
        for source in evidence.sources:
            lines.append(f"Reference [{source.number}] {source.title}:")
            lines.extend(f"  {sentence}" for sentence in source.sentences)
    if evidence.risks:
        lines.append("- The safety scene must state each of these risks, in plain words a patient understands:")
        lines.extend(f"  {risk}" for risk in evidence.risks)
    return lines


def _brief_json(brief: object) -> dict[str, Any]:
    dump = getattr(brief, "model_dump", None)
    return dump(mode="json", exclude_none=True) if dump else {}


def _revision(previous: BaseModel | None, feedback: str | None) -> list[str]:
    if previous is None:
        return []
    return [
        f"Previous version (the reviewer asked for a new one): {previous.model_dump_json(exclude={'feedback'})}",
        f"Reviewer feedback: {feedback}" if feedback else
        "Reviewer feedback: none; write a fresh variation that differs from the previous version.",
    ]
