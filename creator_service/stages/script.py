"""Stage 2, script: the narration for each scene of the accepted plan."""

from __future__ import annotations

from ..models import ScenePlan, Script
from .context import StageContext


def generate_script(ctx: StageContext) -> Script:
    plan = ctx.output_of("scenes", ScenePlan)
    planner = ctx.services.planner
    ctx.progress(0.1, f"writing narration for {len(plan.scenes)} scenes")
    script = planner.write_script(
        ctx.video_type, ctx.brief, plan, ctx.feedback, ctx.previous_as(Script)
    )
    ctx.progress(1.0, f"wrote {script.total_words} words, about {script.estimated_seconds:.0f} s")
    return script
