"""Final stage, render: clips and voice become one MP4 (H.264 + AAC, faststart).

Sync is built in, not hoped for: each scene lasts a whole number of frames long enough for its
narration plus a pause before and after; the narration track is assembled sample-exactly to
the same boundaries; then every clip is held on its last frame or trimmed to its scene's frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..models import AudioTrack, Clip, FinalVideo, SceneTiming, Visuals, Voiceover
from ..processes import ChildProcessFailed
from ..rendering import wav
from ..rendering.ffmpeg import probe, run_ffmpeg
from ..timing import LEAD_IN_SECONDS, TAIL_SECONDS
from .context import StageContext, StageFailure

# veryfast keeps flat motion graphics crisp at CRF 20 and encodes about 3x faster than medium.
FINAL_PRESET = "veryfast"
FINAL_CRF = "20"
AUDIO_BITRATE = "160k"
AUDIO_RATE = "48000"


@dataclass(frozen=True)
class SceneCut:
    clip: Path
    audio: Path
    start_frame: int
    frames: int


def plan_cuts(clips: list[Clip], tracks: list[AudioTrack], fps: int, video_dir: Path) -> list[SceneCut]:
    """Frame-exact scene boundaries, each scene as long as its narration plus its pauses."""
    by_scene = {track.scene_index: track for track in tracks}
    missing = [clip.scene_index for clip in clips if clip.scene_index not in by_scene]
    if missing:
        raise StageFailure(f"no narration for scene(s) {missing}; regenerate the tts stage")
    cuts: list[SceneCut] = []
    start = 0
    for clip in sorted(clips, key=lambda c: c.scene_index):
        track = by_scene[clip.scene_index]
        frames = math.ceil((LEAD_IN_SECONDS + track.duration + TAIL_SECONDS) * fps)
        cuts.append(SceneCut(video_dir / clip.path, video_dir / track.path, start, frames))
        start += frames
    return cuts


def build_narration(cuts: list[SceneCut], fps: int, output: Path) -> None:
    """One narration track whose scene boundaries fall exactly on the video's frame boundaries."""
    pieces: list[bytes] = []
    for cut in cuts:
        # Boundaries from frame numbers, rounded once each, so rounding never accumulates.
        first = round(cut.start_frame * wav.SAMPLE_RATE / fps)
        last = round((cut.start_frame + cut.frames) * wav.SAMPLE_RATE / fps)
        speech = wav.silence(LEAD_IN_SECONDS) + wav.read_frames(cut.audio)
        pieces.append(wav.exact_length(speech, last - first))
    wav.write(output, b"".join(pieces))


def _video_filter(cuts: list[SceneCut], width: int, height: int, fps: int) -> str:
    chains = []
    for i, cut in enumerate(cuts):
        seconds = cut.frames / fps
        chains.append(
            f"[{i}:v]fps={fps},"
            f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,"
            f"tpad=stop_mode=clone:stop_duration={seconds:.3f},"
            f"trim=end_frame={cut.frames},setpts=PTS-STARTPTS[v{i}]"
        )
    joined = "".join(f"[v{i}]" for i in range(len(cuts)))
    chains.append(f"{joined}concat=n={len(cuts)}:v=1:a=0,format=yuv420p[video]")
    return ";".join(chains)


def _render_clips_with_voice(ctx: StageContext) -> FinalVideo:
    visuals = ctx.output_of("visuals", Visuals)
    voice = ctx.output_of("tts", Voiceover)
    fps = visuals.fps
    cuts = plan_cuts(visuals.clips, voice.tracks, fps, ctx.video_dir)
    total_seconds = sum(cut.frames for cut in cuts) / fps
    narration = ctx.work_dir / "narration.wav"
    build_narration(cuts, fps, narration)
    output = ctx.work_dir / "final.mp4"
    inputs: list[str] = []
    for cut in cuts:
        inputs += ["-i", str(cut.clip)]
    inputs += ["-i", str(narration)]
    ctx.progress(0.02, f"cutting {len(cuts)} scenes into a {total_seconds:.1f} s video")
    try:
        run_ffmpeg(
            [
                *inputs,
                "-filter_complex", _video_filter(cuts, visuals.width, visuals.height, fps),
                "-map", "[video]", "-map", f"{len(cuts)}:a",
                "-c:v", "libx264", "-preset", FINAL_PRESET, "-crf", FINAL_CRF, "-r", str(fps),
                "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ar", AUDIO_RATE,
                "-movflags", "+faststart",
                str(output),
            ],
            cancel=ctx.cancel, slots=ctx.services.slots, log_path=ctx.work_dir / "ffmpeg.log",
            what="ffmpeg (final cut)", expected_seconds=total_seconds,
            on_progress=lambda f: ctx.progress(0.02 + 0.96 * f, f"encoded {f:.0%} of the video"),
        )
    except ChildProcessFailed as exc:
        raise StageFailure(f"ffmpeg could not make the final video: {exc}") from exc
    info = probe(output)
    ctx.progress(1.0, f"final video ready: {info.duration:.1f} s")
    return FinalVideo(
        path=ctx.relative(output),
        duration=round(info.duration, 3),
        size_bytes=info.size_bytes,
        width=info.width or visuals.width,
        height=info.height or visuals.height,
        fps=fps,
        video_codec=info.video_codec or "unknown",
        audio_codec=info.audio_codec or "none",
        scenes=[
            SceneTiming(
                scene_index=clip.scene_index,
                start=round(cut.start_frame / fps, 3),
                duration=round(cut.frames / fps, 3),
            )
            for clip, cut in zip(sorted(visuals.clips, key=lambda c: c.scene_index), cuts)
        ],
    )


def render_sm_video(ctx: StageContext) -> FinalVideo:
    return _render_clips_with_voice(ctx)


def render_moa_video(ctx: StageContext) -> FinalVideo:
    return _render_clips_with_voice(ctx)


def render_doctor_video(ctx: StageContext) -> FinalVideo:
    return _render_clips_with_voice(ctx)
