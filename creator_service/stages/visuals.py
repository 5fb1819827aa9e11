"""Stage 3, visuals: one clip per scene (the spec's `run_stage2*`).

Manim types draw each scene with Manim; scenes with footage are drawn transparent and laid over
a stock clip or photo (the media library) or generated light. Remotion types render the
composition's key frames once and lay them over footage. Every clip keeps its layers, so the
render stage can rebuild it at the voice's exact length; the clip itself is the reviewer's
preview, at the length the narration is estimated to run (a plain Manim clip is its own preview:
the animation alone, whose last frame the scene holds).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, TypeVar

from .. import brand_assets
from ..brands import BrandKit, brand_palette, remotion_font
from ..fsutil import link_or_copy
from ..media.assets import MediaRequest
from ..media.backgrounds import prepare_background
from ..media.generated import LOOP_SECONDS
from ..media.pexels import MediaFailure
from ..models import (
    Clip,
    ClipLayers,
    FeedbackReading,
    KeyframeSet,
    MediaCredit,
    PlannedScene,
    ScenePlan,
    Script,
    Visuals,
)
from ..planner.decks import DECKS
from ..planner.figures import chart_of
from ..processes import ChildProcessFailed
from ..rendering.drawn_boxes import drawn_boxes
from ..rendering.ffmpeg import THUMBNAIL_WIDTH, extract_frame, run_ffmpeg
from ..rendering.formats import VideoFormat, video_format
from ..rendering.layers import (
    LOGO_HEIGHT_SHARE,
    Keyframes,
    SceneSources,
    Thumbnail,
    compose_clip,
    thumbnail_frame,
    thumbnail_path,
)
from ..rendering.manim_clips import ClipJob, render_clips, text_boxes
from ..rendering.on_workers import ffmpeg_runner
from ..rendering.palettes import PALETTES, choose_palette
from ..rendering.remotion import render_frames
from ..rendering.scene_chunks import FileDigests, SceneEncode, chunk_store, encode_preview
from .branding import brand_kit, kit_font
from .composed_again import composed_again
from .context import StageContext, StageFailure
from .sources import scene_sources

T = TypeVar("T")
# Remotion elements take this long to animate in; after that the foreground is still.
ENTER_SECONDS = 0.6
# Remotion scene layouts, by the plan's scene kind.
COMPOSITION_KIND = {
    "title": "title", "problem": "problem", "story": "problem", "benefit": "benefit",
    "region": "proof", "safety": "isi", "cta": "cta", "approved_use": "approved_use", "facts": "statement",
    "isi": "isi", "closing": "closing",
}
COMPOSITION = {"product_ad": "ProductAd", "compliance_video": "ComplianceVideo"}


@dataclass(frozen=True)
class Look:
    plan: ScenePlan
    script: Script
    fmt: VideoFormat
    quality: str
    palette: str
    # The palette's colours, with the brand kit's in place of its own when the brief names one.
    colours: dict[str, str]
    brand: BrandKit | None = None


def _look(ctx: StageContext) -> tuple[Look, FeedbackReading]:
    plan = ctx.output_of("scenes", ScenePlan)
    script = ctx.output_of("script", Script)
    quality = str(getattr(ctx.brief, "quality", "high"))
    previous = ctx.previous_as(Visuals)
    palette, reading = choose_palette(ctx.feedback, previous.palette if previous else None)
    if isinstance(ctx.reshape_of, Visuals):
        # Another aspect of accepted visuals: the colours the reviewer accepted.
        palette, reading = ctx.reshape_of.palette, FeedbackReading()
    if ctx.kept(Visuals) is not None and previous is not None and palette != previous.palette:
        # One scene redone keeps the video's colours, or it would not match the others.
        palette = previous.palette
        reading = reading.model_copy(update={"notes": [*reading.notes, "Colours change for the whole video:"
                                                       " regenerate the stage without 'scenes' for that."]})
    brand = brand_kit(ctx)
    colours = brand_palette(PALETTES[palette], brand) if brand else PALETTES[palette]
    return Look(plan, script, video_format(plan.aspect_ratio, quality), quality, palette, colours, brand), reading


def merge_clips(ctx: StageContext, made: list[Clip], count: int) -> list[Clip]:
    """The new clips of the redone scenes, in place among the previous version's other clips."""
    kept = ctx.kept(Visuals)
    if kept is None:
        return made
    by_index = {clip.scene_index: clip for clip in made}
    return [by_index.get(index) or kept.clips[index] for index in range(count)]


def _sentences(text: str, limit: int) -> list[str]:
    parts = [part.strip() for part in re.split(r"(?<=[.!?])\s+", text) if part.strip()]
    return parts[:limit]


def _frames(seconds: float, fmt: VideoFormat) -> int:
    return max(1, round(seconds * fmt.fps))


@dataclass(frozen=True)
class Background:
    path: Path
    offset: float
    credit: MediaCredit


def background_clip(
    ctx: StageContext, query: str, index: int, seconds: float, fmt: VideoFormat, palette: dict[str, str]
) -> Background:
    """Footage for a scene from the first source that has some (Pexels with a key, the media
    library, generated light), fitted to the frame; generated loops are shared, not re-encoded."""
    request = MediaRequest(query=query, fmt=fmt, seconds=seconds, palette=palette)
    try:
        asset = ctx.services.media.find(request, cancel=ctx.cancel, slots=ctx.services.slots)
    except MediaFailure as exc:
        raise StageFailure(f"{exc} (while looking for footage of {query!r})") from exc
    clips_dir = ctx.work_dir / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    # Scenes start at different points of their footage, so they do not look alike.
    offset = (index * 3.7) % (LOOP_SECONDS - 1)
    if asset.credit.kind == "generated":
        # Generated loops are already the right size and rate: link the shared loop in, no copy.
        local = clips_dir / asset.path.name
        link_or_copy(asset.path, local)
        return Background(local, offset, asset.credit)
    output = clips_dir / f"background_{index:02d}.mp4"
    prepare_background(
        asset, request, output, offset=offset, cancel=ctx.cancel,
        slots=ctx.services.slots, log_path=ctx.work_dir / f"background_{index:02d}.log",
    )
    return Background(output, 0.0, asset.credit)


def _background(ctx: StageContext, scene: PlannedScene, look: Look, seconds: float) -> Background:
    return background_clip(ctx, scene.media_query or scene.on_screen_text, scene.index, seconds,
                           look.fmt, look.colours)


def in_parallel(ctx: StageContext, jobs: list[Callable[[], T]]) -> list[T]:
    """Run independent ffmpeg jobs side by side; the server-wide process slots bound them."""
    with ThreadPoolExecutor(max_workers=ctx.services.slots.capacity) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [future.result() for future in futures]


def _prepare_logo(ctx: StageContext, fmt: VideoFormat, brand: BrandKit | None) -> Path | None:
    """The brief's logo, else the brand kit's, scaled for the corner of every scene."""
    logo = getattr(ctx.brief, "logo", None) or (brand.logo if brand else None)
    if not logo:
        return None
    source = brand_assets.resolve_logo(ctx.services.settings.assets_root, logo)
    if source is None:
        raise StageFailure(f"the logo {logo!r} is no longer in the assets folder; upload it again")
    output = ctx.work_dir / "logo.png"
    height = round(min(fmt.width, fmt.height) * LOGO_HEIGHT_SHARE)
    run_ffmpeg(["-i", str(source), "-vf", f"scale=-2:{height}", "-frames:v", "1", str(output)],
               cancel=ctx.cancel, slots=ctx.services.slots, log_path=ctx.work_dir / "logo.log",
               what="preparing the logo")
    return output


def finish_clip(
    ctx: StageContext, index: int, sources: SceneSources, layers: ClipLayers, fmt: VideoFormat,
    credits: list[MediaCredit], preview: Path | None = None, logo: Path | None = None,
    quick_sources: SceneSources | None = None,
) -> Clip:
    """The reviewer's preview and its thumbnail. A Manim clip that is its own preview
    (`preview`) comes with its thumbnail, which its worker wrote (ClipJob.thumbnail_frame).
    Otherwise the scene is composed from `layers` (what the final cut rebuilds from) and encoded
    once, in the final settings, as the chunks the render will join again (rendering/
    scene_chunks.py); when a later stage composes the scene again (composed_again.py), as a quick
    preview instead, from `quick_sources` when given (fewer layers showing the same picture, the
    logo already in them)."""
    size = fmt
    if preview is not None:
        if not thumbnail_path(preview).is_file():
            raise StageFailure(f"the Manim worker wrote no thumbnail for {preview.name}")
    else:
        preview = ctx.work_dir / "clips" / f"scene_{index:02d}.mp4"
        preview.parent.mkdir(parents=True, exist_ok=True)
        if composed_again(ctx, index):
            # Final-quality chunks here would be thrown away. A quick half-size preview, with
            # its thumbnail from the same ffmpeg run.
            size = compose_clip(quick_sources or sources, fmt, preview, logo=None if quick_sources else logo,
                                cancel=ctx.cancel, slots=ctx.services.slots,
                                work_dir=ctx.work_dir,
                                thumbnail=Thumbnail(thumbnail_path(preview), thumbnail_frame(sources.frames),
                                                    THUMBNAIL_WIDTH),
                                run=ffmpeg_runner(ctx.services.settings.executor, ctx.work_dir))
        else:
            scene = SceneEncode(f"scene_{index:02d}", sources, 0, logo=logo)
            encode_preview(scene, fmt, chunk_store(ctx.video_dir), preview, cancel=ctx.cancel,
                           slots=ctx.services.slots, work_dir=ctx.work_dir, digest=FileDigests(),
                           run=ffmpeg_runner(ctx.services.settings.executor, ctx.work_dir))
            extract_frame(preview, thumbnail_frame(sources.frames) / fmt.fps, thumbnail_path(preview),
                          cancel=ctx.cancel, slots=ctx.services.slots,
                          log_path=preview.with_suffix(".thumbnail.log"), width=THUMBNAIL_WIDTH)
    return Clip(
        scene_index=index,
        path=ctx.relative(preview),
        thumbnail=ctx.relative(thumbnail_path(preview)),
        duration=round(sources.frames / fmt.fps, 3),
        width=size.width,
        height=size.height,
        fps=fmt.fps,
        layers=layers,
        sources=credits,
    )


# ---- Manim types --------------------------------------------------------------------------


def _manim_spec(ctx: StageContext, scene: PlannedScene, narration: str, look: Look) -> dict[str, Any]:
    brief = ctx.brief
    clinical = getattr(brief, "clinical_data", None)
    return {
        "kind": scene.kind,
        "title": scene.title,
        "on_screen_text": scene.on_screen_text,
        "eyebrow": scene.eyebrow,
        "bullets": scene.bullets,
        "drug": getattr(brief, "drug_name", ""),
        "indication": getattr(brief, "indication", None) or getattr(brief, "condition", ""),
        # Safety scenes show the narration's own sentences: on screen and in the voice, fair
        # balance says the same thing.
        "lines": _sentences(narration, 3),
        "caption": (clinical if scene.kind == "clinical_data" else getattr(brief, "moa_summary", None)) or "",
        # Only figures that chart faithfully are drawn; a range or an unclear label stays text.
        "figures": [f.__dict__ for f in chart_of(clinical).figures] if scene.kind == "clinical_data" else [],
        "palette": look.colours,
        "font": kit_font(ctx),
    }


def _manim_visuals(ctx: StageContext, family: str) -> Visuals:
    look, reading = _look(ctx)
    fmt = look.fmt
    narration = {scene.scene_index: scene for scene in look.script.scenes}
    clips_dir = ctx.work_dir / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    jobs = []
    redone = [scene for scene in look.plan.scenes if ctx.redo(scene.index)]
    # Manim's ImageMobject fails with this Pillow, so ffmpeg lays the logo over each preview
    # and over the final cut.
    logo = _prepare_logo(ctx, fmt, look.brand)
    # Encoding a clip in the final settings costs this stage more than Manim's quick encode, and
    # pays off only where it shortens the render. Where the render composes some scene again
    # anyway (a promotional video's safety scenes), that scene leads the render, and cutting the
    # others measured no faster: doctor_ad's pipeline 0.72-0.78 x before, 0.85-0.88 x with them.
    final_clips = logo is None and not any(composed_again(ctx, scene.index) for scene in look.plan.scenes)
    for scene in redone:
        footage = scene.media_query is not None
        frames = _frames(narration[scene.index].estimated_seconds, fmt)
        jobs.append(ClipJob(
            index=scene.index,
            scene=f"{family}.footage" if footage else f"{family}.{scene.kind}",
            seconds=frames / fmt.fps,
            spec=_manim_spec(ctx, scene, narration[scene.index].text, look),
            output=clips_dir / (f"scene_{scene.index:02d}_overlay.mov" if footage else f"scene_{scene.index:02d}_manim.mp4"),
            transparent=footage,
            design_aspect=DECKS[ctx.video_type].aspect_ratio,
            # Shown alone in the final cut: encoded once, for the render to cut, not encode.
            final=final_clips and not footage,
            # Its own preview (nothing laid over it): its worker writes the thumbnail too.
            thumbnail_frame=None if footage or logo else thumbnail_frame(frames),
        ))
    ctx.progress(0.01, f"rendering {len(jobs)} clips at {fmt.width}x{fmt.height}, {fmt.fps} fps")

    def run(jobs: list[ClipJob], progress: Callable[[float, str], None]) -> None:
        render_clips(jobs, fmt, work_dir=ctx.work_dir, cancel=ctx.cancel, slots=ctx.services.slots,
                     warm=ctx.services.manim_workers, executor=ctx.services.settings.executor, progress=progress)

    def progress(fraction: float, detail: str) -> None:
        ctx.progress(fraction * 0.8, detail)  # the rest is composing and thumbnails

    try:
        if ctx.clips_together is not None:
            ctx.clips_together.render(jobs, run, ctx.cancel, progress)
        else:
            run(jobs, progress)
    except ChildProcessFailed as exc:
        raise StageFailure(f"Manim could not render the clips: {exc}") from exc

    def make_clip(scene: PlannedScene, job: ClipJob) -> Clip:
        frames = _frames(job.seconds, fmt)
        credits = [MediaCredit(kind="manim", description=f"Manim scene {job.scene}, drawn by Creator Studio")]
        if job.transparent:
            background = _background(ctx, scene, look, job.seconds)
            credits.append(background.credit)
            layers = ClipLayers(background=ctx.relative(background.path), background_offset=background.offset,
                                foreground_video=ctx.relative(job.output))
            clip = finish_clip(ctx, scene.index, scene_sources(ctx.video_dir, layers, frames), layers, fmt,
                               credits, logo=logo)
        else:
            layers = ClipLayers(clip=ctx.relative(job.output))
            # A plain Manim clip is its own preview, unless the logo goes on top.
            clip = finish_clip(ctx, scene.index, scene_sources(ctx.video_dir, layers, frames), layers, fmt,
                               credits, preview=None if logo else job.output, logo=logo)
        return clip.model_copy(update={"text_boxes": text_boxes(job.output)})

    ctx.progress(0.8, f"composing {len(jobs)} clips")
    made = in_parallel(ctx, [partial(make_clip, scene, job) for scene, job in zip(redone, jobs)])
    clips = merge_clips(ctx, made, len(look.plan.scenes))
    return Visuals(
        quality=look.quality, width=fmt.width, height=fmt.height, fps=fmt.fps,
        aspect_ratio=look.plan.aspect_ratio, palette=look.palette,
        palette_colors=look.colours, clips=clips,
        logo=ctx.relative(logo) if logo else None, feedback=reading,
    )


def run_stage2_sm(ctx: StageContext) -> Visuals:
    return _manim_visuals(ctx, "social_media")


def run_stage2_moa(ctx: StageContext) -> Visuals:
    return _manim_visuals(ctx, "moa")


def run_stage2_doctor(ctx: StageContext) -> Visuals:
    return _manim_visuals(ctx, "doctor_ad")


# ---- Remotion types ---------------------------------------------------------------------


def _composition_scene(scene: PlannedScene, start: int, frames: int, video_type: str) -> dict[str, Any]:
    return {
        "kind": COMPOSITION_KIND.get(scene.kind, "problem"),
        "from": start,
        "durationInFrames": frames,
        "eyebrow": scene.eyebrow,
        "headline": scene.on_screen_text,
        "body": scene.body,
        "bullets": scene.bullets,
        "source": "Source: reference document"
        if video_type == "compliance_video" and scene.kind in ("approved_use", "facts", "isi")
        else "",
    }


def key_frames(starts: list[int], lengths: list[int], enter: int) -> list[int]:
    """The timeline frames where something moves: each scene's entrance, and the still after it."""
    frames: set[int] = set()
    for start, length in zip(starts, lengths):
        frames.update(range(start, start + min(length, enter + 1)))
    return sorted(frames)


def split_keys(
    files: list[Path], frames: list[int], start: int, length: int, directory: Path, video_dir: Path
) -> tuple[Keyframes, KeyframeSet]:
    """The key frames of one scene, in a folder of its own, numbered from the scene's start.

    Hard links, not copies: a scene's folder costs no space, and ffmpeg can read it as a plain
    numbered image sequence.
    """
    directory.mkdir(parents=True, exist_ok=True)
    chosen = [(f - start, file) for f, file in zip(frames, files) if start <= f < start + length]
    linked = []
    for number, (_, file) in enumerate(chosen):
        target = directory / f"{number:05d}.png"
        target.unlink(missing_ok=True)
        link_or_copy(file, target)
        linked.append(target)
    keys = Keyframes(files=linked, frames=[f for f, _ in chosen])
    record = KeyframeSet(
        directory=directory.relative_to(video_dir).as_posix(),
        frames=keys.frames,
        files=[file.name for file in linked],
    )
    return keys, record


def run_stage2(ctx: StageContext) -> Visuals:
    """product_ad and compliance_video: Remotion key frames over footage."""
    look, reading = _look(ctx)
    fmt = look.fmt
    narration = {scene.scene_index: scene for scene in look.script.scenes}
    lengths = [_frames(narration[s.index].estimated_seconds, fmt) for s in look.plan.scenes]
    starts = [sum(lengths[:i]) for i in range(len(lengths))]
    enter = max(4, round(ENTER_SECONDS * fmt.fps))
    brand = str(getattr(ctx.brief, "brand_name", ""))
    props = {
        "width": fmt.width, "height": fmt.height, "fps": fmt.fps, "durationInFrames": sum(lengths),
        "enterFrames": enter, "brandName": brand, "palette": look.colours,
        "font": remotion_font(kit_font(ctx)),
        "scenes": [
            _composition_scene(scene, start, length, ctx.video_type)
            for scene, start, length in zip(look.plan.scenes, starts, lengths)
        ],
    }
    # Only the redone scenes' frames are rendered (all of them, for the whole stage).
    redone = [i for i, scene in enumerate(look.plan.scenes) if ctx.redo(scene.index)]
    frames = key_frames([starts[i] for i in redone], [lengths[i] for i in redone], enter)
    # One backdrop (the scene's scrim) per scene, fully entered, after the content frames.
    backdrops = [starts[i] + min(enter, lengths[i] - 1) for i in redone]
    keys_dir = ctx.work_dir / "keyframes"
    try:
        rendered = render_frames(
            COMPOSITION[ctx.video_type], props, frames + backdrops, keys_dir, cancel=ctx.cancel,
            slots=ctx.services.slots, log_dir=ctx.work_dir,
            progress=lambda fraction, detail: ctx.progress(0.6 * fraction, detail),
            layers=["content"] * len(frames) + ["backdrop"] * len(backdrops),
            executor=ctx.services.settings.executor, workers=ctx.services.remotion_workers,
        )
        files, backdrop_files = rendered[: len(frames)], rendered[len(frames):]
    except ChildProcessFailed as exc:
        raise StageFailure(f"Remotion could not render the {COMPOSITION[ctx.video_type]} composition: {exc}") from exc

    def make_clip(scene: PlannedScene, start: int, length: int, backdrop: Path) -> Clip:
        background = _background(ctx, scene, look, length / fmt.fps)
        keys, record = split_keys(files, frames, start, length, keys_dir / f"scene_{scene.index:02d}", ctx.video_dir)
        layers = ClipLayers(background=ctx.relative(background.path), background_offset=background.offset,
                            backdrop=ctx.relative(backdrop), foreground_keys=record)
        credits = [
            MediaCredit(kind="remotion", description=f"{COMPOSITION[ctx.video_type]} scene, rendered with Remotion"),
            background.credit,
        ]
        clip = finish_clip(ctx, scene.index, scene_sources(ctx.video_dir, layers, length), layers, fmt, credits,
                           logo=logo)
        # The still after the entrance is the scene's layout while it is narrated.
        return clip.model_copy(update={"text_boxes": drawn_boxes(keys.files[-1])})

    logo = _prepare_logo(ctx, fmt, look.brand)
    ctx.progress(0.6, f"composing {len(redone)} scenes over their footage")
    made = in_parallel(ctx, [
        partial(make_clip, look.plan.scenes[i], starts[i], lengths[i], backdrop)
        for i, backdrop in zip(redone, backdrop_files)
    ])
    clips = merge_clips(ctx, made, len(look.plan.scenes))
    return Visuals(
        quality=look.quality, width=fmt.width, height=fmt.height, fps=fmt.fps,
        aspect_ratio=look.plan.aspect_ratio, palette=look.palette,
        palette_colors=look.colours, clips=clips, feedback=reading,
        logo=ctx.relative(logo) if logo else None,
    )
