"""Final stage, render: the scenes and the voice become one MP4 (H.264 + AAC, faststart).

Sync is built in, not hoped for: each scene lasts a whole number of frames, long enough for its
narration plus a pause before and after; the narration track is assembled sample-exactly to the
same boundaries; each scene is rebuilt from its layers at exactly that length (the background
loops, a finished animation or a still foreground holds its last frame), with the logo and the
burned captions, and encoded once in chunks (rendering/scene_chunks.py): a render after a new
voice encodes only what changed. One last ffmpeg run joins the chunks by stream copy and muxes
the sound.
"""

from __future__ import annotations

import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from ..claims import PROMOTIONAL_TYPES
from ..fsutil import write_text_atomically
from ..major_statement import TextSpan
from ..models import (
    Animations,
    AudioTrack,
    CaptionFiles,
    Clip,
    ClipLayers,
    FinalVideo,
    LoudnessReport,
    MediaCredit,
    MusicReport,
    RuleResult,
    SceneTiming,
    SoundReport,
    Visuals,
    Voiceover,
    rule_warnings,
)
from ..processes import ChildProcessFailed
from ..rendering import wav
from ..rendering.captions import (
    FONT,
    PlacedCue,
    SceneText,
    Spoken,
    build_cues,
    placed_cues,
    write_placed_ass,
    write_srt,
    write_vtt,
)
from ..rendering.credits import CREDITS_SECONDS, credit_lines, make_card, reference_lines
from ..rendering.ffmpeg import extract_frame, probe, run_ffmpeg
from ..rendering.formats import VideoFormat
from ..rendering.on_workers import ffmpeg_runner
from ..rendering.scene_chunks import (
    EncodedScene,
    EncodePlan,
    FileDigests,
    SceneEncode,
    chunk_store,
    encode_despite_eviction,
    join_args,
    plan_encode,
)
from ..sound import loudness
from ..sound.mix import MixPlan, MixResult, make_mix, measure_ducking
from ..sound.music import MusicTrack, choose_music
from ..timing import LEAD_IN_SECONDS, TAIL_SECONDS
from .branding import kit_font
from .composed_again import safety_scenes
from .context import StageContext, StageFailure
from .evidence import brief_evidence, enforce
from .risk_checks import Narration, SafetyPictureReader, check_risk_presentation, safety_overlays
from .sources import scene_sources

# Stereo AAC at 192 kb/s, 48 kHz: above the 160 kb/s floor platforms and broadcasters ask for.
AUDIO_BITRATE = "192k"
AUDIO_RATE = "48000"
# ffmpeg's AAC encoder with its "fast" coder: 2.5-4x quicker than the default "twoloop" on this
# machine (1.5 s against 3.7-5.7 s for 43 s of sound) and, at 192 kb/s, closer to the mix
# sample by sample (47 dB against 30 dB signal-to-error on a moa master; not a listening test).
AAC_ARGS = ["-c:a", "aac", "-aac_coder", "fast", "-b:a", AUDIO_BITRATE, "-ar", AUDIO_RATE, "-ac", "2"]


@dataclass(frozen=True)
class Segment:
    """One stretch of the final video: a scene and its narration, or a silent end card."""

    clip: Clip
    track: AudioTrack | None
    start_frame: int
    frames: int


def plan_segments(clips: list[Clip], tracks: list[AudioTrack], fps: int, tails: list[Clip] | None = None) -> list[Segment]:
    """Frame-exact boundaries: each scene as long as its narration plus its pauses."""
    by_scene = {track.scene_index: track for track in tracks}
    missing = [clip.scene_index for clip in clips if clip.scene_index not in by_scene]
    if missing:
        raise StageFailure(f"no narration for scene(s) {missing}; regenerate the tts stage")
    segments: list[Segment] = []
    start = 0
    for clip in sorted(clips, key=lambda c: c.scene_index):
        track = by_scene[clip.scene_index]
        frames = math.ceil((LEAD_IN_SECONDS + track.spoken_seconds + TAIL_SECONDS) * fps)
        segments.append(Segment(clip, track, start, frames))
        start += frames
    for tail in tails or []:
        segments.append(Segment(tail, None, start, round(tail.duration * fps)))
        start += round(tail.duration * fps)
    return segments


def build_narration(segments: list[Segment], fps: int, video_dir: Path, output: Path) -> None:
    """One narration track whose scene boundaries fall exactly on the video's frame boundaries."""
    pieces: list[bytes] = []
    for segment in segments:
        # Boundaries from frame numbers, rounded once each, so rounding never accumulates.
        first = round(segment.start_frame * wav.SAMPLE_RATE / fps)
        last = round((segment.start_frame + segment.frames) * wav.SAMPLE_RATE / fps)
        speech = b""
        if segment.track is not None:
            speech = wav.silence(LEAD_IN_SECONDS) + wav.read_frames(video_dir / segment.track.path)
        pieces.append(wav.exact_length(speech, last - first))
    wav.write(output, b"".join(pieces))


@dataclass(frozen=True)
class Scenes:
    """The accepted scenes a render cuts, in the size and colours they were made in: the
    animations stage's, with its end card, where it was accepted; else the visuals'."""

    clips: list[Clip]
    tail: Clip | None
    fmt: VideoFormat
    palette: dict[str, str]
    logo: str | None

    @property
    def tails(self) -> list[Clip]:
        """The silent end cards the scenes bring (the animations' end card), a fresh list."""
        return [self.tail] if self.tail else []


def accepted_scenes(ctx: StageContext) -> Scenes:
    visuals = ctx.output_of("visuals", Visuals)
    fmt = VideoFormat(visuals.width, visuals.height, visuals.fps)
    animations = ctx.accepted.get("animations")
    if isinstance(animations, Animations):
        return Scenes(animations.clips, animations.end_card, fmt, visuals.palette_colors, visuals.logo)
    return Scenes(visuals.clips, None, fmt, visuals.palette_colors, visuals.logo)


@dataclass(frozen=True)
class Cut:
    """What the final cut shows, worked out from the accepted stages and the voice before anything
    is encoded: the render makes it, and the work ahead encodes its scenes while the voice is
    still under review, so that both plan the very same chunks."""

    segments: list[Segment]
    spoken: list[Spoken]
    narration: list[Narration]
    # Where a promotional video's major statement is spoken (empty for the other types).
    major: list[tuple[float, float]]
    # The burned cues, placed on the frame (empty when nothing is burned).
    placed: list[PlacedCue]
    encodes: list[SceneEncode]


def plan_cut(ctx: StageContext, scenes: Scenes, tails: list[Clip]) -> Cut:
    """The cut of the scenes and then `tails` (silent end cards) to the voice: each scene's
    length, the captions burned over them (written to the work folder), and each scene's encode."""
    voice = ctx.output_of("tts", Voiceover)
    fmt, fps, logo = scenes.fmt, scenes.fmt.fps, scenes.logo
    segments = plan_segments(scenes.clips, voice.tracks, fps, tails)
    mode = getattr(ctx.brief, "captions", "sidecar")
    spoken = spoken_parts(segments, fps)
    narration = narration_parts(ctx, segments, fps)
    # A promotional video's major statement is always shown in text while it is spoken (dual
    # modality): its captions are burned whatever `captions` says, without gaps between cues.
    major = [(n.start, n.end) for n in narration if n.safety] if ctx.video_type in PROMOTIONAL_TYPES else []
    burn_only = None if mode == "burned" else major
    placed = []
    script: Path | None = None
    fonts_dir: Path | None = None
    if mode == "burned" or major:
        # libass finds the brand kit's font in the kit's folder.
        font = kit_font(ctx)
        placed = placed_cues(spoken, fmt, scenes=scene_text(segments, fps), only=burn_only, gapless=major)
        # Captions asked for highlight each word as it is said. The major statement burned on
        # its own is plain text, as a super is: nothing in it moves to draw the eye from the
        # words, and a held picture under it stays one picture from cue to cue, so its chunks
        # are encoded once and outlive a new voice (scene_chunks.py).
        script = write_placed_ass(placed, fmt, scenes.palette, ctx.work_dir / "captions.ass",
                                  highlight=mode == "burned", font=font["family"] if font else FONT)
        fonts_dir = Path(font["path"]).parent if font else None
    encodes = [
        SceneEncode(f"s{number}", scene_sources(ctx.video_dir, segment.clip.layers, segment.frames), segment.start_frame,
                    logo=ctx.video_dir / logo if logo else None, captions=script, fonts_dir=fonts_dir)
        for number, segment in enumerate(segments)
    ]
    return Cut(segments, spoken, narration, major, placed, encodes)


def final_cut(ctx: StageContext, scenes: Scenes) -> FinalVideo:
    clips, fmt, palette = scenes.clips, scenes.fmt, scenes.palette
    fps = fmt.fps
    tails = scenes.tails
    settings = ctx.services.settings
    track = choose_music(getattr(ctx.brief, "music", "none"), settings.music_dir, settings.cache_dir)
    credits = credits_clip(ctx, [*clips, *tails], fmt, palette, music_credits(track))
    if credits is not None:
        tails.append(credits)
    references = references_clip(ctx, len(clips) + len(tails), fmt, palette)
    if references is not None:
        tails.append(references)
    cut = plan_cut(ctx, scenes, tails)
    segments, spoken, narration, major, placed = cut.segments, cut.spoken, cut.narration, cut.major, cut.placed
    total_seconds = sum(s.frames for s in segments) / fps
    narration_wav = ctx.work_dir / "narration.wav"
    build_narration(segments, fps, ctx.video_dir, narration_wav)

    safety = safety_windows(ctx, segments, fps)

    def make_sound() -> tuple[MixResult, Path, loudness.Loudness]:
        """The mix, its AAC encoding for the final join, and that encoding's loudness: the sound
        does not depend on the picture, so it is made and measured while the scenes encode.
        The join copies this very stream, so what is measured here is the final video's sound."""
        mixed = make_mix(MixPlan(narration_wav, total_seconds, track, safety, settings.loudness_target), ctx.work_dir,
                         cancel=ctx.cancel, slots=ctx.services.slots)
        sound = ctx.work_dir / "sound.m4a"
        run_ffmpeg(["-i", str(mixed.master), "-vn", *AAC_ARGS, str(sound)],
                   cancel=ctx.cancel, slots=ctx.services.slots, log_path=ctx.work_dir / "sound.log",
                   what="ffmpeg (the sound, AAC)")
        heard = loudness.measure(sound, cancel=ctx.cancel, slots=ctx.services.slots,
                                 log_path=ctx.work_dir / "final.loudness.log")
        return mixed, sound, heard

    mode = getattr(ctx.brief, "captions", "sidecar")
    output = ctx.work_dir / "final.mp4"
    ctx.progress(0.05, f"mixing the sound and encoding {len(segments)} scenes of a {total_seconds:.1f} s video")
    try:
        # The sound, and the safety scenes' picture check, are made beside the encoding.
        with ThreadPoolExecutor(max_workers=2) as beside:
            made = beside.submit(make_sound)
            picture = safety_picture_reader(ctx, segments, narration, placed, major, fmt, beside)
            encoded = encode_scenes(ctx, cut.encodes, fmt, on_encoded=picture.scene_encoded if picture else None)
            mixed, sound, heard = made.result()
            ctx.progress(0.9, "joining the scenes and the sound")
            ffmpeg_runner(settings.executor, ctx.work_dir)(
                join_args([chunk for scene in encoded for chunk in scene.chunks], fps, output,
                          listing=ctx.work_dir / "final.ffconcat", audio=sound, audio_args=["-c:a", "copy"]),
                cancel=ctx.cancel, slots=ctx.services.slots, log_path=ctx.work_dir / "final-join.log",
                what="ffmpeg (final cut)", expected_seconds=total_seconds,
            )
            try:
                measured = picture.result() if picture else None
            except ChildProcessFailed as exc:
                raise StageFailure(f"could not read the safety scenes' picture to check it: {exc}") from exc
    except ChildProcessFailed as exc:
        raise StageFailure(f"ffmpeg could not make the final video: {exc}") from exc
    info = probe(output)
    music = music_report(track, mixed, safety, total_seconds)
    compliance: list[RuleResult] = []
    if measured is not None:
        compliance = check_risk_presentation(
            ctx, measured, mixed.voice_stem, narration,
            music.under_voice_during_safety_db if music else None, safety_overlays(ctx, safety_scenes(ctx)))
        enforce(ctx, rule_warnings(compliance), "failed compliance rule(s) on the finished video")
    ctx.progress(1.0, f"final video ready: {info.duration:.1f} s at {heard.integrated_lufs} LUFS")
    return FinalVideo(
        path=ctx.relative(output),
        duration=round(info.duration, 3),
        size_bytes=info.size_bytes,
        width=info.width or fmt.width,
        height=info.height or fmt.height,
        fps=fps,
        video_codec=info.video_codec or "unknown",
        audio_codec=info.audio_codec or "none",
        scenes=[
            SceneTiming(
                scene_index=s.clip.scene_index,
                start=round(s.start_frame / fps, 3),
                duration=round(s.frames / fps, 3),
            )
            for s in segments
        ],
        sound=SoundReport(
            loudness=LoudnessReport(**heard.as_data(settings.loudness_target)),
            channels=info.audio_channels or 0, sample_rate=info.audio_sample_rate or 0,
            bitrate=info.audio_bitrate or 0, processing="compression, one gain, true-peak limiter",
        ),
        music=music,
        captions=caption_files(ctx, spoken, mode),
        compliance=compliance,
        encoded_seconds=round(sum(scene.encoded_frames for scene in encoded) / fps, 3),
    )


def encode_scenes(ctx: StageContext, scenes: list[SceneEncode], fmt: VideoFormat, *,
                  on_encoded: Callable[[int, EncodedScene], None] | None = None,
                  background: bool = False) -> list[EncodedScene]:
    """Every scene's chunks, two scenes at a time (each run holds a process slot), the scenes
    with the most frames to encode first: started last, a long scene (the captioned safety
    scene) would run alone at the end with a slot idle, while short ones fill the gaps.
    `on_encoded(index, scene)` hears of each scene as soon as its chunks are made.
    `background`: work ahead, at the lowest priority, only in a free slot (ffmpeg_runner), and
    one scene at a time: two took as long (social_media's cut for a new voice, medians of six:
    20.1 s against 20.6 s; x264 keeps both cores busy by itself), and a second slot held is one
    that another session's stage must take back. A scene whose slot is taken back (Evicted)
    keeps the chunks it finished and goes on once a slot is free again."""
    digest = FileDigests()
    run = ffmpeg_runner(ctx.services.settings.executor, ctx.work_dir, background=background)
    store = chunk_store(ctx.video_dir)
    plans = []
    for scene in scenes:
        # Planning probes clips: a render waiting for cancelled work ahead waits for this.
        ctx.cancel.raise_if_cancelled()
        plans.append(plan_encode(scene, fmt, store, digest))
    total = sum(scene.sources.frames for scene in scenes)
    done: list[int] = []

    def encode(index: int) -> EncodedScene:
        # A scene whose chunks are all made runs no child that would notice a cancellation.
        ctx.cancel.raise_if_cancelled()
        plan = plans[index]
        # Evicted, work ahead waits for a free slot and goes on; a stage is never evicted.
        result = encode_despite_eviction(plan, fmt, store, digest=digest, cancel=ctx.cancel,
                                         slots=ctx.services.slots, work_dir=ctx.work_dir, run=run)
        done.append(plan.scene.sources.frames)
        ctx.progress(0.05 + 0.85 * sum(done) / total, f"encoded scene {len(done)} of {len(scenes)}")
        if on_encoded is not None:
            on_encoded(index, result)
        return result

    order = longest_first(plans)
    at_once = 1 if background else max(1, ctx.services.slots.capacity)
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        made = dict(zip(order, pool.map(encode, order)))
    return [made[n] for n in range(len(plans))]


def longest_first(plans: list[EncodePlan]) -> list[int]:
    """The plans' indices, most frames to encode first (in scene order among equals)."""
    return sorted(range(len(plans)), key=lambda n: -plans[n].frames_to_encode)


def encode_ahead(ctx: StageContext) -> None:
    """The render's work done ahead, while the reviewer listens to the voice under review
    (creator_service/ahead.py; `ctx.accepted["tts"]` is that voice): every scene of the cut the
    render would make with it is encoded, as the very chunks `final_cut` will join, burned
    captions included, since the voice decides where they fall. The render then finds them made
    and encodes only its end cards (the credits and references cards it makes itself). If the
    reviewer asks for another voice instead, the chunks that voice moves are wasted; those it
    leaves alone (a Manim scene's animation, every whole chunk before a scene's end) are still
    used. The music bed is composed too, if it must be."""
    choose_music(getattr(ctx.brief, "music", "none"), ctx.services.settings.music_dir, ctx.services.settings.cache_dir)
    scenes = accepted_scenes(ctx)
    cut = plan_cut(ctx, scenes, scenes.tails)
    began = time.monotonic()
    # The longest first, as the render would: if the reviewer accepts before the work ahead is
    # done, the render is left the short scenes, which it encodes two at a time. The work ahead
    # encodes one at a time, only in a free slot, which it gives back the moment a stage wants it.
    made = encode_scenes(ctx, [replace(encode, label=f"ahead{encode.label}") for encode in cut.encodes], scenes.fmt,
                         background=True)
    done = [{"scene_index": segment.clip.scene_index, "frames": segment.frames,
             "encoded_frames": encoded.encoded_frames, "copied_frames": encoded.copied_frames}
            for segment, encoded in zip(cut.segments, made)]
    # What was done ahead, for whoever wonders why a render encoded so little.
    report = {"scenes": done, "seconds": round(time.monotonic() - began, 3)}
    write_text_atomically(ctx.work_dir / "ahead.json", json.dumps(report, indent=2))


def safety_windows(ctx: StageContext, segments: list[Segment], fps: int) -> list[tuple[float, float]]:
    """Where the safety narration plays: the scenes the plan marks as safety information."""
    safety = safety_scenes(ctx)
    return [(s.start_frame / fps, (s.start_frame + s.frames) / fps)
            for s in voiced(segments) if s.clip.scene_index in safety]


def safety_picture_reader(ctx: StageContext, segments: list[Segment], narration: list[Narration],
                          placed: list[PlacedCue], major: list[tuple[float, float]], fmt: VideoFormat,
                          pool: ThreadPoolExecutor) -> SafetyPictureReader | None:
    """What measures the safety scenes' picture while the render goes on (None: the video has
    no major statement to check): each safety scene's narration window, and the cues burned
    over it."""
    if not major:
        return None
    # narration_parts speaks of the voiced segments, in order.
    windows = {number: (part.start, part.end) for number, part in zip(voiced_numbers(segments), narration)
               if part.safety}
    spans = [TextSpan(p.cue.start, p.cue.end, p.box(fmt), len(p.cue.lines)) for p in placed
             if any(start <= p.cue.start < end for start, end in major)]
    return SafetyPictureReader(ctx, windows, {n: segments[n].start_frame for n in windows}, spans, fmt.fps, pool)


def voiced_numbers(segments: list[Segment]) -> list[int]:
    """Where the segments with narration are (not the silent end cards)."""
    return [number for number, segment in enumerate(segments) if segment.track is not None]


def voiced(segments: list[Segment]) -> list[Segment]:
    return [segments[number] for number in voiced_numbers(segments)]


def narration_parts(ctx: StageContext, segments: list[Segment], fps: int) -> list[Narration]:
    """Each scene's speech in video time, the safety scenes' marked: what the rules measure."""
    safety = safety_scenes(ctx)
    parts = []
    for s in voiced(segments):
        assert s.track is not None
        start = s.start_frame / fps + LEAD_IN_SECONDS
        parts.append(Narration(start, start + s.track.spoken_seconds, len(s.track.text.split()),
                               s.clip.scene_index in safety))
    return parts


def scene_text(segments: list[Segment], fps: int) -> list[SceneText]:
    """Where each scene shows text, from its clip's layout data."""
    return [SceneText(s.start_frame / fps, (s.start_frame + s.frames) / fps, s.clip.text_boxes) for s in segments]


def spoken_parts(segments: list[Segment], fps: int) -> list[Spoken]:
    """Each scene's narration in video time, with its word timings."""
    return [
        Spoken(
            start=s.start_frame / fps + LEAD_IN_SECONDS,
            duration=s.track.spoken_seconds,
            text=s.track.text,
            words=[(w.word, w.start, w.end) for w in s.track.words],
        )
        for s in segments if s.track is not None
    ]


def caption_files(ctx: StageContext, spoken: list[Spoken], mode: str) -> CaptionFiles:
    """WebVTT and SRT beside every video (burned captions too: a player may still want them)."""
    if mode == "none":
        return CaptionFiles(mode="none")
    language = getattr(ctx.brief, "language", "en")
    cues = build_cues(spoken)
    vtt = write_vtt(cues, ctx.work_dir / "captions.vtt", language)
    srt = write_srt(cues, ctx.work_dir / "captions.srt")
    return CaptionFiles(mode=mode, vtt=ctx.relative(vtt), srt=ctx.relative(srt), cues=len(cues), language=language)


def music_report(track: MusicTrack | None, mixed: MixResult, safety: list[tuple[float, float]],
                 duration: float) -> MusicReport | None:
    if track is None:
        return None
    return MusicReport(
        mood=track.mood, source=track.source, file=track.path.name if track.source == "library" else "",
        credit=track.credit, **measure_ducking(mixed, safety, duration),
    )


def music_credits(track: MusicTrack | None) -> list[MediaCredit]:
    """The music's credit, when it came from the library with an author."""
    if track is None or track.source != "library" or not track.credit.get("author"):
        return []
    return [MediaCredit(kind="music", description=f"music: {track.path.name}", author=track.credit["author"],
                        url=track.credit.get("url"), license=track.credit.get("license"))]


def credits_clip(ctx: StageContext, clips: list[Clip], fmt: VideoFormat, palette: dict[str, str],
                 extra: list[MediaCredit] | None = None) -> Clip | None:
    """A credits card naming the authors of stock footage, photos and music, when there are any."""
    lines = credit_lines([credit for clip in clips for credit in clip.sources] + (extra or []))
    return end_card(ctx, "credits", "Footage and photos", lines, len(clips), fmt, palette) if lines else None


def references_clip(ctx: StageContext, index: int, fmt: VideoFormat, palette: dict[str, str]) -> Clip | None:
    """The references card that ends a video whose brief cites references, numbered as in its claims."""
    evidence = brief_evidence(ctx)
    if not evidence.cited:
        return None
    lines = reference_lines([(source.number, source.title) for source in evidence.sources])
    return end_card(ctx, "references", "References", lines, index, fmt, palette)


def end_card(ctx: StageContext, stem: str, title: str, lines: list[str], index: int, fmt: VideoFormat,
             palette: dict[str, str]) -> Clip:
    output = ctx.work_dir / f"{stem}.mp4"
    make_card(title, lines, fmt, palette, output, cancel=ctx.cancel, slots=ctx.services.slots, work_dir=ctx.work_dir)
    thumbnail = output.with_suffix(".jpg")
    extract_frame(output, CREDITS_SECONDS / 2, thumbnail, cancel=ctx.cancel, slots=ctx.services.slots,
                  log_path=ctx.work_dir / f"{stem}.thumbnail.log")
    return Clip(
        scene_index=index, path=ctx.relative(output), thumbnail=ctx.relative(thumbnail),
        duration=CREDITS_SECONDS, width=fmt.width, height=fmt.height, fps=fmt.fps,
        layers=ClipLayers(clip=ctx.relative(output)),
    )


def render_video(ctx: StageContext) -> FinalVideo:
    """Every type's render: the accepted scenes, cut to the voice."""
    return final_cut(ctx, accepted_scenes(ctx))
