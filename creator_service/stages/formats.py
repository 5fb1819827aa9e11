"""Several aspect ratios from one set of accepted stages: the brief's `formats`.

The render stage makes the video in the plan's aspect as always, then, for each other aspect
the brief asks for, remakes the picture in that aspect (the visuals, and the animations when the
type has them) with the same accepted plan, script, colours and voice, and cuts it. Each extra
video is an MP4 of its own in the render data's `formats`. The scene layouts adapt to any
aspect (see `rendering/formats.design_frame`), so nothing a reviewer accepted changes but the
frame.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from ..models import FinalVideo, FormatVideo, ScenePlan
from .context import ProgressSink, StageContext, StageHandler

# The stages that make the picture, in the order they run; the others are the same in any aspect.
PICTURE_STAGES = ("visuals", "animations")


def extra_aspects(ctx: StageContext, main: str) -> list[str]:
    asked = getattr(ctx.brief, "formats", None) or []
    return [aspect for position, aspect in enumerate(asked) if aspect != main and aspect not in asked[:position]]


def with_formats(handlers: Mapping[str, StageHandler]) -> dict[str, StageHandler]:
    """`handlers`, with a render that also makes each extra aspect of the brief's `formats`."""
    render = handlers["render"]

    def render_every_format(ctx: StageContext) -> FinalVideo:
        main_aspect = ctx.output_of("scenes", ScenePlan).aspect_ratio
        extra = extra_aspects(ctx, main_aspect)
        parts = 1 + len(extra)
        main = render(replace(ctx, progress=lambda f, d: ctx.progress(f / parts, d)))
        if not extra:
            return main
        made = [FormatVideo.of(main_aspect, main)]
        for number, aspect in enumerate(extra, start=1):
            def progress(fraction: float, detail: str, number: int = number, aspect: str = aspect) -> None:
                ctx.progress((number + fraction) / parts, f"{aspect}: {detail}")

            made.append(FormatVideo.of(aspect, _render_in(ctx, aspect, handlers, render, progress)))
        return main.model_copy(update={"formats": made})

    return {**handlers, "render": render_every_format}


def _render_in(ctx: StageContext, aspect: str, handlers: Mapping[str, StageHandler], render: StageHandler,
               progress: ProgressSink) -> FinalVideo:
    folder = ctx.work_dir / f"format-{aspect.replace(':', 'x')}"
    accepted = dict(ctx.accepted)
    accepted["scenes"] = ctx.output_of("scenes", ScenePlan).model_copy(update={"aspect_ratio": aspect})
    remade = [stage for stage in PICTURE_STAGES if stage in accepted]  # a skipped stage stays skipped
    for number, stage in enumerate(remade):
        work = folder / stage
        work.mkdir(parents=True, exist_ok=True)
        # The accepted output as the one to reshape: same look, every scene, this aspect.
        remake = replace(ctx, stage=stage, work_dir=work, accepted=accepted, previous=None, feedback=None,
                         scenes=None, reshape_of=ctx.accepted[stage], progress=progress,
                         later_stages=(*remade[number + 1:], "render"))
        accepted[stage] = handlers[stage](remake)
    work = folder / "render"
    work.mkdir(parents=True, exist_ok=True)
    video = render(replace(ctx, work_dir=work, accepted=accepted, progress=progress))
    assert isinstance(video, FinalVideo)
    return video
