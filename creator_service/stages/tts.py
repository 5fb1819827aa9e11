"""Stage: tts, the narration spoken, one audio track per scene.

Feedback here understands pace ("slower", "faster"); anything else speaks the script again
(a fresh take, which for some voices differs).
"""

from __future__ import annotations

import re

from ..claims import SAFETY_KINDS
from ..models import AudioTrack, FeedbackReading, LoudnessReport, Script, Voiceover, WordTime
from ..processes import ChildProcessFailed
from ..providers.voice import SpeechItem, SpeechJob, SpokenTrack, VoiceFailure, VoiceUnavailable
from ..rendering import wav
from ..sound import loudness
from ..speech_timing import estimate_words
from .context import StageContext, StageFailure

PACE_STEP = 1.12
# The major statement is said this much slower than the rest: no faster than the benefits, and
# as understandable (audio_parity).
SAFETY_PACE = 1.12
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
        SpeechItem(text=scene.text, path=audio_dir / f"scene_{scene.scene_index:02d}.wav",
                   pace=SAFETY_PACE if scene.kind in SAFETY_KINDS else 1.0)
        for scene in spoken
    ]
    ctx.progress(0.02, f"speaking {len(items)} scenes")
    try:
        speech = ctx.services.voice.speak(
            items, SpeechJob(cancel=ctx.cancel, slots=ctx.services.slots, progress=ctx.progress,
                             log_dir=ctx.work_dir, pace=pace, language=getattr(ctx.brief, "language", "en")),
        )
    except VoiceFailure as exc:
        raise StageFailure(str(exc)) from exc
    except (VoiceUnavailable, ChildProcessFailed) as exc:
        raise StageFailure(f"no voice could speak the script: {exc}") from exc
    made = {scene.scene_index: _track(ctx, scene.scene_index, scene.text, track)
            for scene, track in zip(spoken, speech.tracks)}
    # A per-scene regenerate keeps every other scene's take: the very file, not a copy.
    tracks = [made.get(scene.scene_index) or kept.tracks[scene.scene_index]  # type: ignore[union-attr]
              for scene in script.scenes]
    measured = loudness.measure(
        ctx.video_dir / tracks[0].path, inputs=[ctx.video_dir / track.path for track in tracks],
        cancel=ctx.cancel, slots=ctx.services.slots, log_path=ctx.work_dir / "loudness.log",
    )
    return Voiceover(
        loudness=LoudnessReport(integrated_lufs=measured.integrated_lufs, true_peak_dbtp=measured.true_peak_dbtp),
        engine=speech.engine,
        voice=speech.voice,
        sample_rate=wav.SAMPLE_RATE,
        tracks=tracks,
        total_duration=round(sum(track.duration for track in tracks), 3),
        notes=speech.notes,
        pace=pace,
        feedback=reading,
    )


def _track(ctx: StageContext, scene_index: int, text: str, track: SpokenTrack) -> AudioTrack:
    """A scene's take, with when each word is said: the voice's own timings, or an estimate
    read from the audio (captions need one or the other)."""
    if track.words:
        words = [WordTime(word=w.word, start=round(w.start, 3), end=round(w.end, 3)) for w in track.words]
        timing = track.timing
    else:
        words = [WordTime(word=w.word, start=w.start, end=w.end) for w in estimate_words(text, track.path)]
        timing = "estimated"
    return AudioTrack(
        scene_index=scene_index, path=ctx.relative(track.path), duration=round(track.duration, 3),
        sample_rate=wav.SAMPLE_RATE, text=text, words=words, timing=timing,
    )
