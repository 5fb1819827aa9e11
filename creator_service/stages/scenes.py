"""Stage 1, scenes: the plan of the video, scene by scene.

The spec names one function per family; they share the planner call and differ in which of the
planner's decks they ask for (the deck is chosen by the context's video type).
"""

from __future__ import annotations

from .. import compliance
from ..models import ScenePlan
from .context import StageContext, StageFailure
from .evidence import brief_evidence


def _plan(ctx: StageContext, expected_types: tuple[str, ...]) -> ScenePlan:
    if ctx.video_type not in expected_types:
        raise StageFailure(f"this scene planner is for {', '.join(expected_types)}, not {ctx.video_type}")
    planner = ctx.services.planner
    if not planner.supports(ctx.video_type):
        raise StageFailure(f"the {planner.name} planner cannot plan {ctx.video_type} videos yet")
    ctx.progress(0.1, f"planning scenes with the {planner.name} planner")
    plan = planner.plan_scenes(ctx.video_type, ctx.brief, ctx.feedback, ctx.previous_as(ScenePlan),
                               evidence=brief_evidence(ctx))
    ctx.progress(1.0, f"planned {len(plan.scenes)} scenes, about {plan.total_seconds:.0f} s")
    return plan


def generate_scenes(ctx: StageContext) -> ScenePlan:
    """product_ad and compliance_video (the Remotion types)."""
    if ctx.video_type == "compliance_video":
        # Say at once, not after the script, when the reference text cannot carry a video.
        evidence = brief_evidence(ctx)
        text = "\n".join(s for source in evidence.sources for s in source.sentences)
        problems = compliance.reference_problems(text or None)
        if problems:
            raise StageFailure(compliance.describe(problems))
    return _plan(ctx, ("product_ad", "compliance_video"))


def generate_moa_scenes(ctx: StageContext) -> ScenePlan:
    return _plan(ctx, ("moa",))


def generate_doctor_scenes(ctx: StageContext) -> ScenePlan:
    return _plan(ctx, ("doctor_ad",))


def generate_sm_scenes(ctx: StageContext) -> ScenePlan:
    return _plan(ctx, ("social_media",))
