"""Stage 3, visuals: one clip per scene (the spec's `run_stage2*`).

Each clip is rendered as long as its scene's narration is estimated to run; the render stage
then fits it exactly to the spoken audio.
"""

from __future__ import annotations

import re

from ..models import Clip, MediaCredit, PlannedScene, ScenePlan, Script, Visuals
from ..processes import ChildProcessFailed
from ..rendering.ffmpeg import extract_frame, probe
from ..rendering.formats import VideoFormat, video_format
from ..rendering.manim_clips import ClipJob, render_clips
from ..rendering.palettes import PALETTES, choose_palette
from .context import StageContext, StageFailure

THUMBNAIL_WIDTH = 320


def _sentences(text: str, limit: int) -> list[str]:
    parts = [part.strip() for part in re.split(r"(?<=[.!?])\s+", text) if part.strip()]
    return parts[:limit]


def _scene_spec(scene: PlannedScene, narration: str, ctx: StageContext, palette: str) -> dict[str, object]:
    brief = ctx.brief
    return {
        "kind": scene.kind,
        "title": scene.title,
        "on_screen_text": scene.on_screen_text,
        "drug": getattr(brief, "drug_name", None) or getattr(brief, "brand_name", ""),
        "indication": getattr(brief, "indication", None) or getattr(brief, "condition", ""),
        # The safety scene shows the narration's own sentences: on screen and in the voice,
        # fair balance says the same thing.
        "lines": _sentences(narration, 3),
        "palette": PALETTES[palette],
    }


def _render_manim_visuals(ctx: StageContext, family: str) -> Visuals:
    plan = ctx.output_of("scenes", ScenePlan)
    script = ctx.output_of("script", Script)
    quality = str(getattr(ctx.brief, "quality", "low"))
    fmt = video_format(plan.aspect_ratio, quality)
    previous = ctx.previous_as(Visuals)
    palette, reading = choose_palette(ctx.feedback, previous.palette if previous else None)

    narration = {scene.scene_index: scene for scene in script.scenes}
    clips_dir = ctx.work_dir / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        ClipJob(
            index=scene.index,
            scene=f"{family}.{scene.kind}",
            seconds=narration[scene.index].estimated_seconds,
            spec=_scene_spec(scene, narration[scene.index].text, ctx, palette),
            output=clips_dir / f"scene_{scene.index:02d}.mp4",
        )
        for scene in plan.scenes
    ]
    ctx.progress(0.01, f"rendering {len(jobs)} clips at {fmt.width}x{fmt.height}, {fmt.fps} fps")
    try:
        render_clips(
            jobs, fmt, work_dir=ctx.work_dir, cancel=ctx.cancel, slots=ctx.services.slots,
            progress=lambda fraction, detail: ctx.progress(fraction * 0.95, detail),
        )
    except ChildProcessFailed as exc:
        raise StageFailure(f"Manim could not render the clips: {exc}") from exc
    clips = [_finish_clip(ctx, job, fmt) for job in jobs]
    ctx.progress(1.0, f"{len(clips)} clips ready")
    return Visuals(
        quality=quality,
        width=fmt.width,
        height=fmt.height,
        fps=fmt.fps,
        aspect_ratio=plan.aspect_ratio,
        palette=palette,
        clips=clips,
        feedback=reading,
    )


def _finish_clip(ctx: StageContext, job: ClipJob, fmt: VideoFormat) -> Clip:
    thumbnail = job.output.with_suffix(".jpg")
    extract_frame(
        job.output, job.seconds * 0.6, thumbnail, cancel=ctx.cancel, slots=ctx.services.slots,
        log_path=ctx.work_dir / "thumbnails.log", width=THUMBNAIL_WIDTH,
    )
    return Clip(
        scene_index=job.index,
        path=ctx.relative(job.output),
        thumbnail=ctx.relative(thumbnail),
        duration=round(probe(job.output).duration, 3),
        width=fmt.width,
        height=fmt.height,
        fps=fmt.fps,
        sources=[
            MediaCredit(kind="manim", description=f"Manim scene {job.scene}, rendered by Creator Studio")
        ],
    )


def run_stage2_sm(ctx: StageContext) -> Visuals:
    return _render_manim_visuals(ctx, "social_media")
