"""Stage: tts, the narration spoken, one audio track per scene."""

from __future__ import annotations

from ..models import AudioTrack, Script, Voiceover
from ..processes import ChildProcessFailed
from ..providers.voice import SpeechItem, VoiceUnavailable
from ..rendering import wav
from .context import StageContext, StageFailure


def tts_generate(ctx: StageContext) -> Voiceover:
    script = ctx.output_of("script", Script)
    audio_dir = ctx.work_dir / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    items = [
        SpeechItem(text=scene.text, path=audio_dir / f"scene_{scene.scene_index:02d}.wav")
        for scene in script.scenes
    ]
    voice = ctx.services.voice
    ctx.progress(0.02, f"speaking {len(items)} scenes")
    try:
        speech = voice.speak(
            items, cancel=ctx.cancel, slots=ctx.services.slots, progress=ctx.progress,
            log_dir=ctx.work_dir,
        )
    except (VoiceUnavailable, ChildProcessFailed) as exc:
        raise StageFailure(f"no voice could speak the script: {exc}") from exc
    tracks = [
        AudioTrack(
            scene_index=scene.scene_index,
            path=ctx.relative(track.path),
            duration=round(track.duration, 3),
            sample_rate=wav.SAMPLE_RATE,
            text=scene.text,
        )
        for scene, track in zip(script.scenes, speech.tracks)
    ]
    return Voiceover(
        engine=speech.engine,
        voice=speech.voice,
        sample_rate=wav.SAMPLE_RATE,
        tracks=tracks,
        total_duration=round(sum(track.duration for track in tracks), 3),
        notes=speech.notes,
    )
