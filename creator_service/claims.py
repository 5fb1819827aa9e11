"""Claims traced to their references, and the risk information a promotional video must state.

Every factual sentence of a script is a claim (a question or a direction to the viewer is not;
see `compliance.is_exempt`). A claim is supported when one sentence of the brief's references
covers it, by the same test compliance_video has always used: most of its content words and all
of its figures are in that sentence, and it makes no absolute claim or superlative the references
do not make. Each claim names the reference and the sentence, numbered as on the references card.

`risk_content` asks the other way round: is every risk the brief gives (its `safety_information`
and its references' safety statements) said in the safety scenes? With no risk information at all
it fails, because a promotional video with nothing to state about risks cannot be fair.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import compliance
from .models import Claim, RuleResult, Script
from .planner.figures import chart_of, figures_faithful
from .references import Reference

# The scene kinds that carry the major statement of risks.
SAFETY_KINDS = frozenset({"safety", "isi"})
PROMOTIONAL_TYPES = frozenset({"product_ad", "doctor_ad", "social_media"})
NO_RISK_INFORMATION = "no risk information given: add safety_information or a reference"


@dataclass(frozen=True)
class Source:
    """One reference as claims cite it: its id, its number on the card, its title and sentences."""

    id: str
    number: int
    title: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Evidence:
    """What a brief gives to substantiate a video: its references, and the risks it must state."""

    sources: tuple[Source, ...] = ()
    risks: tuple[str, ...] = ()

    @property
    def cited(self) -> bool:
        return bool(self.sources)


def evidence_for(brief: object, references: list[Reference]) -> Evidence:
    """The brief's sources in citation order (compliance_video's own `reference_docs` first),
    and its risks: `safety_information` sentence by sentence, then each source's safety statements."""
    sources: list[Source] = []
    inline = getattr(brief, "reference_docs", None)
    if inline:
        sources.append(Source("reference_docs", 1, "Reference text of the brief", tuple(compliance.sentences(inline))))
    for reference in references:
        sources.append(Source(reference.id, len(sources) + 1, reference.title, tuple(reference.sentences)))
    risks: list[str] = []
    given = getattr(brief, "safety_information", None)
    if given:
        risks.extend(compliance.sentences(given))
    for source in sources:
        risks.extend(s for s in compliance.safety_statements("\n".join(source.sentences)) if s not in risks)
    return Evidence(tuple(sources), tuple(risks))


def link_claims(script: Script, evidence: Evidence) -> list[Claim]:
    claims = []
    everything = [sentence for source in evidence.sources for sentence in source.sentences]
    owner = {sentence: source for source in evidence.sources for sentence in source.sentences}
    reference_lower = "\n".join(everything).lower()
    for scene in script.scenes:
        for sentence in compliance.sentences(scene.text):
            if compliance.is_exempt(sentence):
                continue
            claims.append(_claim(scene.scene_index, sentence, everything, owner, reference_lower))
    return claims


def _claim(scene: int, sentence: str, everything: list[str], owner: dict[str, Source],
           reference_lower: str) -> Claim:
    if not everything:
        return Claim(scene=scene, text=sentence, supported=False, rule="no_reference",
                     detail="the brief names no references: upload one with POST /assets/references "
                            "and list it in the brief's references")
    assessment = compliance.assess(sentence, everything, reference_lower)
    if assessment.violations:
        first = assessment.violations[0]
        return Claim(scene=scene, text=sentence, supported=False, rule=first.rule, detail=first.detail)
    source = owner[assessment.source] if assessment.source else None
    return Claim(scene=scene, text=sentence, supported=True, reference=source.id if source else None,
                 reference_number=source.number if source else None, quote=assessment.source)


def risk_content(script: Script, evidence: Evidence) -> RuleResult:
    """Each given risk is said in the safety scenes (a narration sentence covers most of its words)."""
    said = [s for scene in script.scenes if scene.kind in SAFETY_KINDS for s in compliance.sentences(scene.text)]
    if not evidence.risks:
        return RuleResult(rule="risk_content", passed=False, evidence={"summary": NO_RISK_INFORMATION})
    stated, missing = [], []
    for risk in evidence.risks:
        covered = max((compliance.support(risk, [s])[0] for s in said), default=0.0)
        (stated if covered >= compliance.SUPPORT_THRESHOLD else missing).append(risk)
    summary = (f"all {len(stated)} risk statement(s) are said in the safety narration" if not missing else
               f"{len(missing)} of {len(evidence.risks)} risk statement(s) are not said in the safety narration: "
               + "; ".join(f'"{m}"' for m in missing[:3]))
    return RuleResult(rule="risk_content", passed=not missing,
                      evidence={"summary": summary, "stated": stated, "missing": missing,
                                "safety_scenes": [s.scene_index for s in script.scenes if s.kind in SAFETY_KINDS]})


def faithful_figures(brief: object) -> RuleResult:
    """figures_faithful for what the visuals will draw from the brief's clinical data."""
    source = getattr(brief, "clinical_data", None)
    passed, evidence = figures_faithful(source, chart_of(source))
    return RuleResult(rule="figures_faithful", passed=passed, evidence=evidence)
