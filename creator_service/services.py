"""The long-lived, read-only helpers every stage may use, built once per app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .processes import ProcessSlots
from .settings import Settings

if TYPE_CHECKING:
    from .media.backgrounds import MediaFinder
    from .providers.llm import Planner
    from .providers.voice import VoiceProvider
    from .rendering.remotion_workers import RemotionWorkers
    from .warm import WarmWorkers


@dataclass(frozen=True)
class Services:
    settings: Settings
    planner: "Planner"
    voice: "VoiceProvider"
    media: "MediaFinder"
    slots: ProcessSlots
    # Manim workers that imported Manim ahead of need (None: every render starts its own).
    manim_workers: "WarmWorkers | None" = None
    # Piper workers with the voice loaded ahead of need (None: every tts stage loads it).
    speech_workers: "WarmWorkers | None" = None
    # Remotion render workers with the bundle and the browser open (None: one Node per job).
    remotion_workers: "RemotionWorkers | None" = None
