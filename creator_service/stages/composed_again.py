"""Which scenes a later stage composes and encodes again (issue 17, encode once).

A stage that makes a scene's preview either encodes it in the final settings, as the chunks the
render joins by stream copy, or, when a later stage will change that scene's picture anyway, as
a quick half-size preview: final chunks would be thrown away. Two later stages change pictures:
- the render burns captions: over every scene with `captions: burned`, and a promotional
  video's major statement over its safety scenes, whatever `captions` says;
- the animations stage lays its overlay layer over every scene of the visuals.
"""

from __future__ import annotations

from ..claims import PROMOTIONAL_TYPES, SAFETY_KINDS
from ..models import ScenePlan
from .context import StageContext


def safety_scenes(ctx: StageContext) -> set[int]:
    """The indices of the scenes the accepted plan marks as safety information (the major statement)."""
    plan = ctx.accepted.get("scenes")
    return {scene.index for scene in plan.scenes if scene.kind in SAFETY_KINDS} if isinstance(plan, ScenePlan) else set()


def captions_burned_everywhere(ctx: StageContext) -> bool:
    return getattr(ctx.brief, "captions", "sidecar") == "burned"


def captions_burned_over(ctx: StageContext, index: int) -> bool:
    """True if the render burns captions over scene `index`."""
    if captions_burned_everywhere(ctx):
        return True
    return ctx.video_type in PROMOTIONAL_TYPES and index in safety_scenes(ctx)


def composed_again(ctx: StageContext, index: int) -> bool:
    """True if a stage after `ctx.stage` composes scene `index` again, so that `ctx.stage` should
    make only a quick preview of it."""
    if ctx.stage == "visuals" and "animations" in ctx.later_stages:
        return True
    return captions_burned_over(ctx, index)
