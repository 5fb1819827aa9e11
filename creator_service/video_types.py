"""The registry: each video type's brief model, engine, and stage handlers in order.

Creator Mode and the automated endpoints both look stages up here, so a stage function is
written once and called by both. `create_app` takes a registry, so tests can run the real
engine and protocol over instant stand-in handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Mapping

from .payloads import BRIEF_MODELS, Brief
from .stages.animations import generate_animations
from .stages.context import StageContext, StageHandler
from .stages.formats import with_formats
from .stages.render import encode_ahead, render_video
from .stages.scenes import generate_doctor_scenes, generate_moa_scenes, generate_scenes, generate_sm_scenes
from .stages.script import generate_script
from .stages.tts import tts_generate
from .stages.visuals import run_stage2, run_stage2_doctor, run_stage2_moa, run_stage2_sm

MANIM_STAGES: tuple[str, ...] = ("scenes", "script", "visuals", "tts", "render")
REMOTION_STAGES: tuple[str, ...] = ("scenes", "script", "visuals", "animations", "tts", "render")

# Which stages each stage reads: the accepted outputs its handler asks for. A stage may run only
# after what it reads, and runs again after a `goto` only if one of those changed. Render reads
# every other stage of its video (the final cut is made of all of them).
STAGE_INPUTS: Mapping[str, tuple[str, ...]] = {
    "scenes": (),
    "script": ("scenes",),
    "visuals": ("scenes", "script"),
    "animations": ("scenes", "visuals"),
    "tts": ("script",),
}
# Stages a session may leave out (at start) or skip: the render does without them.
OPTIONAL_STAGES: frozenset[str] = frozenset({"animations"})
# Stages made scene by scene, so `regenerate` may redo some scenes only.
PER_SCENE_STAGES: tuple[str, ...] = ("script", "visuals", "animations", "tts")


class StageOrderError(ValueError):
    """A stage order that cannot run; the message names the stage and the rule it breaks."""


@dataclass(frozen=True)
class VideoType:
    name: str
    brief_model: type[Brief]
    engine: Literal["manim", "remotion"]
    # Stage name -> handler, for the stages built so far; empty until the pipeline exists.
    handlers: Mapping[str, StageHandler]
    # What the studio calls it, and the spec's automated endpoint that makes it.
    label: str
    endpoint: str
    # The render's work that can run ahead while a voice is reviewed, every other stage the
    # render reads accepted (creator_service/ahead.py); None: the render does all its work itself.
    render_ahead: Callable[[StageContext], None] | None = None

    @property
    def stage_order(self) -> list[str]:
        return list(MANIM_STAGES if self.engine == "manim" else REMOTION_STAGES)

    def inputs_of(self, stage: str) -> tuple[str, ...]:
        """The stages `stage` reads, among this type's stages."""
        if stage == "render":
            return tuple(s for s in self.stage_order if s != "render")
        return STAGE_INPUTS[stage]

    def needed_by(self, stage: str) -> list[str]:
        """The stages that read `stage`."""
        return [other for other in self.stage_order if stage in self.inputs_of(other)]

    def check_order(self, order: list[str]) -> list[str]:
        """`order` if the stages can run in it, else StageOrderError naming what is wrong."""
        known = self.stage_order
        for stage in order:
            if stage not in known:
                raise StageOrderError(f"stage {stage!r} is not a stage of {self.name}; its stages are: "
                                      f"{', '.join(known)}")
        if len(set(order)) != len(order):
            twice = next(stage for stage in order if order.count(stage) > 1)
            raise StageOrderError(f"stage {twice!r} appears more than once")
        for stage in known:
            if stage not in order and stage not in OPTIONAL_STAGES:
                raise StageOrderError(f"stage {stage!r} is required (only {', '.join(sorted(OPTIONAL_STAGES))}"
                                      " may be left out)")
        if order[-1] != "render":
            raise StageOrderError("stage 'render' must come last")
        for position, stage in enumerate(order):
            for needed in self.inputs_of(stage):
                if needed in order and order.index(needed) > position:
                    raise StageOrderError(f"stage {stage!r} reads {needed!r}, so {needed!r} must come before it")
        return list(order)

    @property
    def available(self) -> bool:
        return set(self.handlers) == set(self.stage_order)


VideoTypes = Mapping[str, VideoType]

REMOTION_HANDLERS: dict[str, StageHandler] = with_formats({
    "scenes": generate_scenes,
    "script": generate_script,
    "visuals": run_stage2,
    "animations": generate_animations,
    "tts": tts_generate,
    "render": render_video,
})

VIDEO_TYPES: dict[str, VideoType] = {
    "product_ad": VideoType(
        "product_ad", BRIEF_MODELS["product_ad"], "remotion", REMOTION_HANDLERS, "Product ad", "/create",
        encode_ahead,
    ),
    "compliance_video": VideoType(
        "compliance_video", BRIEF_MODELS["compliance_video"], "remotion", REMOTION_HANDLERS, "Compliance video",
        "/create-compliance",
        encode_ahead,
    ),
    "moa": VideoType(
        "moa",
        BRIEF_MODELS["moa"],
        "manim",
        with_formats({
            "scenes": generate_moa_scenes,
            "script": generate_script,
            "visuals": run_stage2_moa,
            "tts": tts_generate,
            "render": render_video,
        }),
        "Mechanism of action (MoA)",
        "/create-moa",
        encode_ahead,
    ),
    "doctor_ad": VideoType(
        "doctor_ad",
        BRIEF_MODELS["doctor_ad"],
        "manim",
        with_formats({
            "scenes": generate_doctor_scenes,
            "script": generate_script,
            "visuals": run_stage2_doctor,
            "tts": tts_generate,
            "render": render_video,
        }),
        "Doctor ad",
        "/create-doctor",
        encode_ahead,
    ),
    "social_media": VideoType(
        "social_media",
        BRIEF_MODELS["social_media"],
        "manim",
        with_formats({
            "scenes": generate_sm_scenes,
            "script": generate_script,
            "visuals": run_stage2_sm,
            "tts": tts_generate,
            "render": render_video,
        }),
        "Social media short",
        "/create-sm",
        encode_ahead,
    ),
}
