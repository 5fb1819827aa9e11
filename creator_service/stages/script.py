"""Stage 2, script: the narration for each scene of the accepted plan, with its claims traced."""

from __future__ import annotations

from .. import compliance
from ..claims import PROMOTIONAL_TYPES, Evidence, faithful_figures, link_claims, risk_content
from ..models import ScenePlan, Script
from .context import StageContext, StageFailure
from .evidence import brief_evidence, enforce


def generate_script(ctx: StageContext) -> Script:
    plan = ctx.output_of("scenes", ScenePlan)
    planner = ctx.services.planner
    evidence = brief_evidence(ctx)
    ctx.progress(0.1, f"writing narration for {len(plan.scenes)} scenes")
    script = planner.write_script(
        ctx.video_type, ctx.brief, plan, ctx.feedback, ctx.previous_as(Script), evidence=evidence
    )
    kept = ctx.kept(Script)
    if kept is not None:
        # Only the chosen scenes take the new narration; the others stay word for word.
        scenes = [new if ctx.redo(new.scene_index) else old for new, old in zip(script.scenes, kept.scenes)]
        script = script.model_copy(update={
            "scenes": scenes, "total_words": sum(s.word_count for s in scenes),
            "estimated_seconds": round(sum(s.estimated_seconds for s in scenes), 2),
        })
    if ctx.video_type == "compliance_video":
        _check_compliance(ctx, script, evidence)
    script = trace(ctx, script, evidence)
    ctx.progress(1.0, f"wrote {script.total_words} words, about {script.estimated_seconds:.0f} s")
    return script


def trace(ctx: StageContext, script: Script, evidence: Evidence) -> Script:
    """The script with its claims linked and, for the promotional types, the content rules
    checked: risk_content, and figures_faithful for what the visuals will chart."""
    ctx.progress(0.7, "tracing every claim to the references")
    rules = [risk_content(script, evidence), faithful_figures(ctx.brief)] if ctx.video_type in PROMOTIONAL_TYPES else []
    traced = script.model_copy(update={"claims": link_claims(script, evidence), "compliance": rules})
    enforce(ctx, traced.review_warnings(), "unsupported claim(s) or failed rule(s)")
    return traced


def _check_compliance(ctx: StageContext, script: Script, evidence: Evidence) -> None:
    """compliance_video: the script may only say what its references say (a stage error)."""
    ctx.progress(0.6, "checking every sentence against the reference text")
    said = [sentence for scene in script.scenes for sentence in compliance.sentences(scene.text)]
    reference_text = "\n".join(s for source in evidence.sources for s in source.sentences) or None
    violations = compliance.check_script(said, reference_text)
    if violations:
        raise StageFailure(compliance.describe(violations))
