"""Stage 2, script: the narration for each scene of the accepted plan."""

from __future__ import annotations

from .. import compliance
from ..models import ScenePlan, Script
from .context import StageContext, StageFailure


def generate_script(ctx: StageContext) -> Script:
    plan = ctx.output_of("scenes", ScenePlan)
    planner = ctx.services.planner
    ctx.progress(0.1, f"writing narration for {len(plan.scenes)} scenes")
    script = planner.write_script(
        ctx.video_type, ctx.brief, plan, ctx.feedback, ctx.previous_as(Script)
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
        _check_compliance(ctx, script)
    ctx.progress(1.0, f"wrote {script.total_words} words, about {script.estimated_seconds:.0f} s")
    return script


def _check_compliance(ctx: StageContext, script: Script) -> None:
    """compliance_video: the script may only say what the reference text says."""
    ctx.progress(0.6, "checking every sentence against the reference text")
    said = [sentence for scene in script.scenes for sentence in compliance.sentences(scene.text)]
    violations = compliance.check_script(said, getattr(ctx.brief, "reference_docs", None))
    if violations:
        raise StageFailure(compliance.describe(violations))
