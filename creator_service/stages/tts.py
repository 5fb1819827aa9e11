"""Stage: tts, the narration spoken, one audio track per scene.

Feedback here understands pace ("slower", "faster"); anything else speaks the script again
(a fresh take, which for some voices differs).
"""

from __future__ import annotations

import re

from ..models import AudioTrack, FeedbackReading, Script, Voiceover, WordTime
from ..processes import ChildProcessFailed
from ..providers.voice import SpeechItem, SpeechJob, VoiceFailure, VoiceUnavailable
from ..rendering import wav
from .context import StageContext, StageFailure

PACE_STEP = 1.12
PACE_LIMITS = (0.75, 1.4)
_SLOWER = re.compile(r"\b(slower|more slowly|slow (it )?down|too fast)\b", re.IGNORECASE)
_FASTER = re.compile(r"\b(faster|quicker|speed (it )?up|too slow)\b", re.IGNORECASE)


def read_pace(feedback: str | None, previous: Voiceover | None) -> tuple[float, FeedbackReading]:
    pace = previous.pace if previous else 1.0
    if previous is None:
        return pace, FeedbackReading()
    understood = []
    if feedback and _SLOWER.search(feedback):
        pace, understood = pace * PACE_STEP, ["slower"]
    elif feedback and _FASTER.search(feedback):
        pace, understood = pace / PACE_STEP, ["faster"]
    pace = round(min(PACE_LIMITS[1], max(PACE_LIMITS[0], pace)), 3)
    notes = [] if understood or not feedback else [
        "The voice stage understands 'slower' and 'faster'; it spoke the script again."
    ]
    return pace, FeedbackReading(feedback=feedback, understood=understood or ["spoken again"], notes=notes)


def tts_generate(ctx: StageContext) -> Voiceover:
    script = ctx.output_of("script", Script)
    pace, reading = read_pace(ctx.feedback, ctx.previous_as(Voiceover))
    audio_dir = ctx.work_dir / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    kept = ctx.kept(Voiceover)
    spoken = [scene for scene in script.scenes if ctx.redo(scene.scene_index)]
    items = [
        SpeechItem(text=scene.text, path=audio_dir / f"scene_{scene.scene_index:02d}.wav")
        for scene in spoken
    ]
    ctx.progress(0.02, f"speaking {len(items)} scenes")
    try:
        speech = ctx.services.voice.speak(
            items, SpeechJob(cancel=ctx.cancel, slots=ctx.services.slots, progress=ctx.progress,
                             log_dir=ctx.work_dir, pace=pace),
        )
    except VoiceFailure as exc:
        raise StageFailure(str(exc)) from exc
    except (VoiceUnavailable, ChildProcessFailed) as exc:
        raise StageFailure(f"no voice could speak the script: {exc}") from exc
    made = {
        scene.scene_index: AudioTrack(
            scene_index=scene.scene_index,
            path=ctx.relative(track.path),
            duration=round(track.duration, 3),
            sample_rate=wav.SAMPLE_RATE,
            text=scene.text,
            words=[WordTime(word=w.word, start=round(w.start, 3), end=round(w.end, 3)) for w in track.words],
        )
        for scene, track in zip(spoken, speech.tracks)
    }
    # A per-scene regenerate keeps every other scene's take: the very file, not a copy.
    tracks = [made.get(scene.scene_index) or kept.tracks[scene.scene_index]  # type: ignore[union-attr]
              for scene in script.scenes]
    return Voiceover(
        engine=speech.engine,
        voice=speech.voice,
        sample_rate=wav.SAMPLE_RATE,
        tracks=tracks,
        total_duration=round(sum(track.duration for track in tracks), 3),
        notes=speech.notes,
        pace=pace,
        feedback=reading,
    )
