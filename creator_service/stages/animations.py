"""Stage 4 of the Remotion types, animations: the motion layer over the accepted visuals.

Lower thirds, callouts and the end card are rendered by Remotion's `Overlays` composition (key
frames only, like the visuals) and laid over each scene, so the reviewer sees them before the
voice is made. Kinetic captions need the voice's timing, so the render stage adds them.
Feedback here understands "mention …" (a callout) and "no callouts".
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from ..brands import remotion_font
from ..claims import SAFETY_KINDS
from ..models import (
    Animations,
    Clip,
    ClipLayers,
    Directives,
    FeedbackReading,
    MediaCredit,
    ScenePlan,
    Visuals,
)
from ..planner.feedback import read_feedback
from ..processes import ChildProcessFailed
from ..rendering.drawn_boxes import drawn_boxes
from ..rendering.formats import VideoFormat
from ..rendering.layers import SceneSources
from ..rendering.remotion import render_frames
from .branding import kit_font
from .context import StageContext, StageFailure
from .sources import scene_sources
from .visuals import background_clip, finish_clip, in_parallel, split_keys

END_CARD_SECONDS = 3.0
# Lower thirds and callouts snap in faster than the scenes' own entrances.
OVERLAY_ENTER_SECONDS = 0.4
# Callouts pop in a little after their scene's lower third.
CALLOUT_DELAY_SHARE = 0.3
_NO_CALLOUTS = re.compile(r"\b(no|remove|without|drop) (the )?callouts?\b", re.IGNORECASE)


def _overlay_words(
    ctx: StageContext, plan: ScenePlan, mentions: list[str], callouts_on: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """Lower thirds, callouts and the end card's words, per type, from the brief and the plan."""
    brand = str(getattr(ctx.brief, "brand_name", ""))
    lower: list[dict[str, Any]] = []
    callouts: list[dict[str, Any]] = []
    if ctx.video_type == "product_ad":
        topic = str(getattr(ctx.brief, "topic", ""))
        for scene in plan.scenes:
            if scene.kind == "title":
                lower.append({"scene": scene.index, "title": brand, "subtitle": topic})
                callouts.append({"scene": scene.index, "text": "New" if "new" in topic.lower() else brand})
            elif scene.kind == "benefit" and scene.bullets:
                callouts.append({"scene": scene.index, "text": scene.bullets[0]})
            elif scene.kind == "cta":
                lower.append({"scene": scene.index, "title": brand, "subtitle": "Talk to your doctor"})
        end = {"headline": topic, "cta": f"Ask your doctor about {brand}",
               "disclaimer": "For information only. This does not replace advice from your healthcare provider."}
    else:
        for scene in plan.scenes:
            if scene.kind == "approved_use":
                lower.append({"scene": scene.index, "title": "Approved use", "subtitle": "Source: reference document"})
            elif scene.kind == "isi":
                lower.append({"scene": scene.index, "title": "Important Safety Information", "subtitle": brand})
        end = {"headline": "Important Safety Information and full Prescribing Information",
               "cta": "See the full prescribing information",
               "disclaimer": "Report side effects to your healthcare provider."}
    # Requested callouts go on scenes that have none yet, the middle of the video first; never
    # on the safety information, which must play free of distractions (no_distraction).
    free = [s.index for s in plan.scenes if s.kind not in SAFETY_KINDS
            and not any(c["scene"] == s.index for c in callouts)] or [0]
    for n, mention in enumerate(mentions):
        callouts.append({"scene": free[(len(free) // 2 + n) % len(free)], "text": mention})
    return lower, (callouts if callouts_on else []), end


def overlay_frames(starts: list[int], has_overlay: list[bool], end_start: int, enter: int) -> list[int]:
    """Every frame of each overlay's entrance and the still after it, and the end card's
    entrance. A scene with no lower third or callout has none: its overlay would be empty."""
    span = enter + round(enter * CALLOUT_DELAY_SHARE) + 1
    frames: set[int] = set()
    for start, overlay in zip(starts, has_overlay):
        if overlay:
            frames.update(range(start, start + span))
    frames.update(range(end_start, end_start + enter + 1))
    return sorted(frames)


def _feedback(ctx: StageContext) -> tuple[list[str], bool, FeedbackReading]:
    previous = ctx.previous_as(Animations)
    mentions = list(previous.mentions) if previous else []
    callouts_on = previous.callouts_on if previous else True
    if previous is None:
        return mentions, callouts_on, FeedbackReading()
    directives, reading = read_feedback(ctx.feedback, Directives(mentions=mentions))
    if ctx.feedback and _NO_CALLOUTS.search(ctx.feedback):
        callouts_on = False
        reading = reading.model_copy(update={"understood": [*reading.understood, "no callouts"]})
    return directives.mentions, callouts_on, reading


def generate_animations(ctx: StageContext) -> Animations:
    visuals = ctx.output_of("visuals", Visuals)
    plan = ctx.output_of("scenes", ScenePlan)
    fmt = VideoFormat(visuals.width, visuals.height, visuals.fps)
    enter = max(4, round(OVERLAY_ENTER_SECONDS * fmt.fps))
    lengths = [round(clip.duration * fmt.fps) for clip in visuals.clips]
    starts = [sum(lengths[:i]) for i in range(len(lengths))]
    end_start, end_length = sum(lengths), round(END_CARD_SECONDS * fmt.fps)
    mentions, callouts_on, reading = _feedback(ctx)
    lower, callouts, end = _overlay_words(ctx, plan, mentions, callouts_on)
    kept = ctx.kept(Animations)
    if kept is not None:
        # A per-scene regenerate: the other scenes keep their words, overlays and the end card.
        lower = sorted([i for i in lower if ctx.redo(i["scene"])]
                       + [i for i in kept.lower_thirds if not ctx.redo(i["scene"])], key=lambda i: i["scene"])
        callouts = sorted([i for i in callouts if ctx.redo(i["scene"])]
                          + [i for i in kept.callouts if not ctx.redo(i["scene"])], key=lambda i: i["scene"])

    def timed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**{k: v for k, v in item.items() if k != "scene"},
             "from": starts[item["scene"]], "durationInFrames": lengths[item["scene"]]}
            for item in items
        ]

    props = {
        "width": fmt.width, "height": fmt.height, "fps": fmt.fps,
        "durationInFrames": end_start + end_length, "enterFrames": enter,
        "calloutDelayFrames": round(enter * CALLOUT_DELAY_SHARE),
        "brandName": str(getattr(ctx.brief, "brand_name", "")), "palette": visuals.palette_colors,
        "font": remotion_font(kit_font(ctx)),
        "lowerThirds": timed(lower), "callouts": timed(callouts),
        "endCard": {**end, "from": end_start, "durationInFrames": end_length},
    }
    has_overlay = [any(item["scene"] == i for item in (*lower, *callouts)) for i in range(len(lengths))]
    frames = overlay_frames(starts, has_overlay, end_start, enter)
    redone = [i for i in range(len(lengths)) if ctx.redo(i)]
    if kept is not None:
        frames = [f for f in frames if any(starts[i] <= f < starts[i] + lengths[i] for i in redone)]
    keys_dir = ctx.work_dir / "overlays"
    # The end card's gradient is drawn once, as a backdrop, after the content frames.
    wanted = [*frames] if kept is not None else [*frames, end_start + enter]
    try:
        rendered = render_frames(
            "Overlays", props, wanted, keys_dir, cancel=ctx.cancel,
            slots=ctx.services.slots, log_dir=ctx.work_dir,
            progress=lambda f, detail: ctx.progress(0.6 * f, detail),
            layers=["content"] * len(frames) + ([] if kept is not None else ["backdrop"]),
            executor=ctx.services.settings.executor, workers=ctx.services.remotion_workers,
        ) if wanted else []
    except ChildProcessFailed as exc:
        raise StageFailure(f"Remotion could not render the overlays: {exc}") from exc
    files = rendered[: len(frames)]
    end_backdrop = rendered[-1] if kept is None else None

    # The logo the final cut lays over every scene, so the chunks made here are the final ones.
    logo = ctx.video_dir / visuals.logo if visuals.logo else None

    def with_overlay(clip: Clip, start: int, length: int) -> Clip:
        # A scene with no lower third or callout is laid over with nothing: an empty overlay
        # would change no pixel, and only cost composing it over every frame.
        overlaid = has_overlay[clip.scene_index]
        overlay, record = split_keys(files, frames, start, length, keys_dir / f"scene_{clip.scene_index:02d}",
                                     ctx.video_dir) if overlaid else (None, None)
        layers = clip.layers.model_copy(update={"overlay_keys": record})
        # A quick preview (captions burned) lays the overlay on the accepted visuals preview, one
        # layer instead of four, when that preview lasts the whole scene: a shorter one would
        # freeze on its last frame where the final cut's footage moves on.
        covers = round(clip.duration * fmt.fps) >= length
        quick = SceneSources(frames=length, clip=ctx.video_dir / clip.path, overlay_keys=overlay) if covers else None
        made = finish_clip(ctx, clip.scene_index, scene_sources(ctx.video_dir, layers, length), layers, fmt,
                           clip.sources, logo=logo, quick_sources=quick)
        # The scene's layout: the visuals' text, and the lower third or callout held after its entrance.
        drawn = drawn_boxes(overlay.files[-1]) if overlay is not None else []
        return made.model_copy(update={"text_boxes": [*clip.text_boxes, *drawn]})

    def make_end_card() -> Clip:
        background = background_clip(ctx, "end card", len(lengths), END_CARD_SECONDS, fmt, visuals.palette_colors)
        _, record = split_keys(files, frames, end_start, end_length, keys_dir / "end_card", ctx.video_dir)
        assert end_backdrop is not None
        layers = ClipLayers(background=ctx.relative(background.path), background_offset=background.offset,
                            backdrop=ctx.relative(end_backdrop), foreground_keys=record)
        return finish_clip(
            ctx, len(lengths), scene_sources(ctx.video_dir, layers, end_length), layers, fmt,
            [MediaCredit(kind="remotion", description="Overlays end card, rendered with Remotion"),
             background.credit], logo=logo,
        )

    ctx.progress(0.6, f"laying overlays on {len(redone)} scenes")
    if kept is None:
        *clips, end_card = in_parallel(
            ctx, [*(partial(with_overlay, *args) for args in zip(visuals.clips, starts, lengths)), make_end_card]
        )
    else:
        made = {i: clip for i, clip in zip(redone, in_parallel(
            ctx, [partial(with_overlay, visuals.clips[i], starts[i], lengths[i]) for i in redone]))}
        clips = [made.get(i) or kept.clips[i] for i in range(len(lengths))]
        end_card = kept.end_card
    return Animations(
        clips=clips,
        end_card=end_card,
        lower_thirds=lower,
        callouts=callouts,
        mentions=mentions,
        callouts_on=callouts_on,
        feedback=reading,
    )
