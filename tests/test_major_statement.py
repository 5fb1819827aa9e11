"""The major-statement rules, each passing and failing on real (tiny) renders measured by the
same code the render stage uses. The service's own videos pass them in test_render_all_types;
here each rule is also made to fail on purpose: the safety text removed, text too small, a loud
music bed, a cut and fast movement, a hurried and louder safety narration, too little of it."""

from __future__ import annotations

import subprocess
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np
import pytest

from creator_service import major_statement as rules
from creator_service.processes import CancelToken, ProcessSlots
from creator_service.rendering.ffmpeg import run_ffmpeg
from creator_service.rendering.formats import VideoFormat
from creator_service.rendering.layers import SceneSources
from creator_service.rendering.scene_chunks import (
    EncodedScene,
    FileDigests,
    SceneEncode,
    encode_scene,
    join_args,
    write_join_list,
)
from creator_service.sound import loudness
from creator_service.sound.mix import MixPlan, MixResult, make_mix, measure_ducking
from creator_service.sound.music import choose_music
from creator_service.stages.risk_checks import SafetyPictureReader, measure_frames

from .helpers import caption_script

pytestmark = pytest.mark.render

BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
WIDTH, HEIGHT = 640, 360
# Where a caption sits: the lower band of the title-safe area, two lines.
BOX = (0.1, 0.70, 0.9, 0.88)
WINDOW = (0.5, 3.5)
FPS = 15


def common(tmp_path: Path) -> dict[str, object]:
    return {"cancel": CancelToken(), "slots": ProcessSlots(2), "work_dir": tmp_path}


def card(path: Path, *, text: str | None, size: int, source: str = "color=c=0x0B1F3A") -> Path:
    """Four seconds of a picture with (or without) one caption line drawn on a dark box."""
    draw = []
    if text:
        y = int((BOX[1] + BOX[3]) / 2 * HEIGHT)
        draw = ["-vf", f"drawtext=fontfile={BOLD}:text='{text}':fontsize={size}:fontcolor=white:"
                       f"box=1:boxcolor=black@0.7:boxborderw=6:x=(w-text_w)/2:y={y}-text_h/2"]
    joiner = ":" if "=" in source else "="
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{source}{joiner}s={WIDTH}x{HEIGHT}:r={FPS}:d=4",
                    *draw, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def readings(video: Path, tmp_path: Path) -> list[tuple[float, rules.TextReading | None]]:
    spans = [rules.TextSpan(0.0, 4.0, BOX, lines=2)]
    return rules.text_readings(frames(video, tmp_path), spans)


def frames(video: Path, tmp_path: Path) -> list[rules.SafetyFrames]:
    return rules.safety_frames([WINDOW], [rules.Picture(video)], FPS, **common(tmp_path))  # type: ignore[arg-type]


def test_readable_text_passes_a_caption_and_fails_one_too_small(tmp_path: Path) -> None:
    good = readings(card(tmp_path / "good.mp4", text="Side effects can happen", size=24), tmp_path)
    # Every half second, from half a second after the narration starts to before it ends.
    assert [at for at, _ in good] == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert rules.dual_modality(good, [WINDOW]).passed
    readable = rules.readable_text(good)
    assert readable.passed, readable.evidence
    assert readable.evidence["min_height"] >= 0.035 and readable.evidence["min_contrast"] >= 4.5

    small = readings(card(tmp_path / "small.mp4", text="Side effects can happen", size=9), tmp_path)
    assert rules.dual_modality(small, [WINDOW]).passed  # still there...
    too_small = rules.readable_text(small)
    assert not too_small.passed and too_small.evidence["min_height"] < 0.035  # ...but too small
    assert too_small.evidence["summary"].startswith("too hard to read")


def test_dual_modality_fails_when_the_safety_text_is_removed(tmp_path: Path) -> None:
    for source in ("color=c=0x0B1F3A", "color=c=white"):
        bare = readings(card(tmp_path / "bare.mp4", text=None, size=24, source=source), tmp_path)
        result = rules.dual_modality(bare, [WINDOW])
        assert not result.passed and result.evidence["text_missing_at"][0] == pytest.approx(1.0)
        assert not rules.readable_text(bare).passed


def test_no_distraction_fails_on_a_cut_and_on_fast_movement(tmp_path: Path) -> None:
    still = card(tmp_path / "still.mp4", text="Side effects can happen", size=24)
    calm = rules.picture_motion(frames(still, tmp_path), [BOX])
    assert rules.no_distraction(None, calm, []).passed, calm

    cut = tmp_path / "cut.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=navy:s={WIDTH}x{HEIGHT}:r={FPS}:d=2",
                    "-f", "lavfi", "-i", f"color=c=white:s={WIDTH}x{HEIGHT}:r={FPS}:d=2", "-filter_complex",
                    "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-pix_fmt", "yuv420p", str(cut)], check=True)
    cutting = rules.no_distraction(None, rules.picture_motion(frames(cut, tmp_path), [BOX]), [])
    assert not cutting.passed and "cuts" in cutting.evidence["summary"]

    # A fast pan: the picture slides 2 % of its width a frame.
    moving = tmp_path / "moving.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={WIDTH}x{HEIGHT}:r={FPS}:d=4",
                    "-vf", "scroll=horizontal=0.02", "-pix_fmt", "yuv420p", str(moving)], check=True)
    fast = rules.no_distraction(None, rules.picture_motion(frames(moving, tmp_path), [BOX]), [])
    assert not fast.passed and ("moves fast" in fast.evidence["summary"] or "cuts" in fast.evidence["summary"])
    overlay = rules.no_distraction(None, calm, ['callout "New" on scene 5'])
    assert not overlay.passed and "overlays" in overlay.evidence["summary"]


def speech(path: Path, text: str, words_per_minute: int) -> Path:
    subprocess.run(["espeak-ng", "-s", str(words_per_minute), "-w", str(path), text], check=True)
    return path


def test_no_distraction_fails_with_a_loud_music_bed_and_passes_when_it_drops_out(tmp_path: Path) -> None:
    narration = speech(tmp_path / "voice.wav", "Important safety information. Side effects can happen. "
                       "Read the patient information that comes with your medicine.", 150)
    seconds = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                    str(narration)], capture_output=True, text=True, check=True).stdout)
    track = choose_music("uplifting", None, tmp_path / "cache")
    assert track is not None
    window = [(0.0, seconds)]
    # The service's own mix drops the bed out for the safety narration.
    mixed = make_mix(MixPlan(narration, seconds, track, window, -16.0), tmp_path,
                     cancel=CancelToken(), slots=ProcessSlots(2))
    dropped = rules.no_distraction(measure_ducking(mixed, window, seconds)["under_voice_during_safety_db"],
                                   (0.0, 0.0), [])
    assert dropped.passed, dropped.evidence
    # A bed laid under the same voice only 8 dB down, as a careless edit would: caught.
    loud_bed = tmp_path / "loud.bed.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(track.path), "-t", f"{seconds:.3f}",
                    "-af", "loudnorm=I=-24:TP=-2", "-ar", "48000", "-ac", "2", str(loud_bed)], check=True)
    voice = tmp_path / "loud.voice.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(narration), "-af", "loudnorm=I=-16:TP=-2",
                    "-ar", "48000", "-ac", "2", str(voice)], check=True)
    careless = MixResult(master=voice, voice_stem=voice, bed_stem=loud_bed)
    under = measure_ducking(careless, window, seconds)["under_voice_during_safety_db"]
    loud = rules.no_distraction(under, (0.0, 0.0), [])
    assert not loud.passed and loud.evidence["music_under_voice_db"] < 20, loud.evidence
    assert "music" in loud.evidence["summary"]


def test_audio_parity_fails_when_the_safety_narration_is_hurried_and_louder(tmp_path: Path) -> None:
    text = "Metformin helps keep blood sugar in a healthy range, day after day."
    rest = speech(tmp_path / "rest.wav", text, 150)
    same = speech(tmp_path / "same.wav", text, 150)
    hurried = speech(tmp_path / "hurried.wav", text, 230)
    measured = {}
    for name, safety in (("fair", same), ("hurried", hurried)):
        joined = tmp_path / f"joined-{name}.wav"
        gain = "0dB" if name == "fair" else "6dB"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(rest), "-i", str(safety), "-filter_complex",
                        f"[1:a]volume={gain}[s];[0:a][s]concat=n=2:v=0:a=1", str(joined)], check=True)
        lengths = [float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                         "csv=p=0", str(p)], capture_output=True, text=True, check=True).stdout)
                   for p in (rest, safety)]
        windows = {"rest": [(0.0, lengths[0])], "safety": [(lengths[0], lengths[0] + lengths[1])]}
        lufs = {k: loudness.measure_windows(joined, w, cancel=CancelToken(), slots=None,
                                            log_path=tmp_path / f"{name}.{k}.log").integrated_lufs
                for k, w in windows.items()}
        words = len(text.split())
        measured[name] = rules.audio_parity(words, lengths[1], words, lengths[0], lufs["safety"], lufs["rest"])
    assert measured["fair"].passed, measured["fair"].evidence
    hurried_result = measured["hurried"]
    assert not hurried_result.passed
    assert "faster" in hurried_result.evidence["summary"] and hurried_result.evidence["loudness_gap_lu"] > 2


def test_fair_balance_is_a_share_of_the_benefit_narration() -> None:
    assert rules.fair_balance(6.0, 18.0, 0.3).passed
    short = rules.fair_balance(3.0, 18.0, 0.3)
    assert not short.passed and short.evidence["ratio"] == pytest.approx(0.167, abs=0.001)
    assert short.evidence["proxy"] is True
    assert not rules.fair_balance(0.0, 0.0, 0.3).passed


def test_a_window_is_sampled_every_quarter_second_on_the_frame_on_screen_then() -> None:
    # 15 fps: moments 0.5, 0.75, 1.0 ... 3.25 s, each the frame on screen at that moment.
    assert rules.sampled_frames(*WINDOW, FPS) == [7, 11, 15, 18, 22, 26, 30, 33, 37, 41, 45, 48]
    # A moment on a frame's first instant is that frame, whatever the float error of the start.
    start = 598 / 30
    assert rules.sampled_frames(start, start + 0.6, 30) == [598, 605, 613]
    assert rules.sampled_frames(1.0, 1.01, 30) == [30]


CHUNKED = VideoFormat(192, 108, 10)


@pytest.fixture(scope="module")
def chunked(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[EncodedScene], Path]:
    """Two scenes of moving footage encoded as chunks (23 and 47 frames), and the video they join into."""
    folder = tmp_path_factory.mktemp("chunked")
    footage = folder / "footage.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=192x108:r={CHUNKED.fps}:d=7",
                    "-pix_fmt", "yuv420p", str(footage)], check=True)
    scenes = [SceneEncode("s0", SceneSources(frames=23, background=footage), 0),
              SceneEncode("s1", SceneSources(frames=47, background=footage, background_offset=1.3), 23)]
    encoded = [encode_scene(scene, CHUNKED, folder / "store", digest=FileDigests(), cancel=CancelToken(),
                            slots=ProcessSlots(2), work_dir=folder) for scene in scenes]
    video = folder / "final.mp4"
    run_ffmpeg(join_args([c for scene in encoded for c in scene.chunks], CHUNKED.fps, video,
                         listing=folder / "final.ffconcat"), log_path=folder / "join.log", what="join",
               cancel=CancelToken(), slots=ProcessSlots(2))
    return encoded, video


def test_the_frames_read_from_a_scenes_chunks_are_the_finished_videos_frames(
        tmp_path: Path, chunked: tuple[list[EncodedScene], Path]) -> None:
    """The render measures a safety scene from its chunks as soon as they are encoded: the join
    copies them into the video, so they must give the very frames the video shows there."""
    fmt = CHUNKED
    encoded, video = chunked
    common = {"cancel": CancelToken(), "slots": ProcessSlots(2), "work_dir": tmp_path}
    window = (2.35, 6.6)  # inside the second scene (2.3 s to 7 s), as a narration window is
    listing = write_join_list(encoded[1].chunks, fmt.fps, tmp_path / "s1.ffconcat")
    from_chunks = rules.safety_frames([window], [rules.Picture(listing, 23)], fmt.fps, **common)[0]  # type: ignore[arg-type]
    from_video = rules.safety_frames([window], [rules.Picture(video)], fmt.fps, **common)[0]  # type: ignore[arg-type]
    # Every frame of the finished video, decoded without selecting, to pick the samples from.
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    every = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 108, 192, 3)
    assert len(every) == 70
    wanted = rules.sampled_frames(*window, fmt.fps)
    assert wanted[0] == 23 and len(wanted) == 17
    assert np.array_equal(from_video.frames, every[wanted])
    assert np.array_equal(from_chunks.frames, every[wanted])
    # Moving footage: neighbouring samples differ, so a sample off by a frame would show.
    assert not np.array_equal(every[wanted[1]], every[wanted[1] + 1])

    with pytest.raises(ValueError, match="comes before"):
        rules.safety_frames([(1.0, 2.0)], [rules.Picture(listing, 23)], fmt.fps, **common)  # type: ignore[arg-type]


def test_a_held_picture_under_captions_is_read_from_each_still_chunks_key_frame_as_the_video_shows_it(
        tmp_path: Path) -> None:
    """A major statement over a held Manim frame is mostly still chunks: each is read once, from
    its key frame, which must be the finished video's frame where the chunk starts."""
    fmt = CHUNKED
    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=192x108:r={fmt.fps}",
                    "-frames:v", "25", "-pix_fmt", "yuv420p", str(clip)], check=True)
    captions = caption_script(tmp_path, "c.ass", [("0:00:00.55", "0:00:04.15", "Take it with food."),
                                                   ("0:00:04.15", "0:00:07.25", "Tell your doctor.")])
    # The scene starts 5 frames into the video: moving until its frame 25, then held.
    scene = SceneEncode("s1", SceneSources(frames=70, clip=clip), 5, captions=captions)
    encoded = encode_scene(scene, fmt, tmp_path / "store", digest=FileDigests(), cancel=CancelToken(),
                           slots=ProcessSlots(2), work_dir=tmp_path)
    stills = {chunk.path for chunk in encoded.chunks if chunk.still}
    assert len(stills) >= 3 and any(not chunk.still for chunk in encoded.chunks)
    video = tmp_path / "final.mp4"
    run_ffmpeg(join_args(encoded.chunks, fmt.fps, video, listing=tmp_path / "final.ffconcat"),
               log_path=tmp_path / "join.log", what="join", cancel=CancelToken(), slots=ProcessSlots(2))
    window = (0.6, 7.4)  # into the hold, across both captions and past the last
    listing = write_join_list(encoded.chunks, fmt.fps, tmp_path / "s1.ffconcat")
    how = {"cancel": CancelToken(), "slots": ProcessSlots(2), "work_dir": tmp_path}
    from_chunks = rules.safety_frames([window], [rules.Picture(listing, 5, tuple(encoded.chunks))], fmt.fps,
                                      **how)[0]  # type: ignore[arg-type]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    every = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 108, 192, 3)
    wanted = [frame - 5 for frame in rules.sampled_frames(*window, fmt.fps)]
    # A sample in a moving chunk is the video's frame; one in a still chunk is that chunk's first
    # frame, as the video shows it: the same picture, give or take the encoder's refinement of
    # it in the frames after a key frame.
    starts = np.cumsum([0] + [chunk.frames for chunk in encoded.chunks])
    shown = []
    for n in wanted:
        number = int(np.searchsorted(starts, n, side="right")) - 1
        shown.append(int(starts[number]) if encoded.chunks[number].still else n)
    assert any(a != b for a, b in zip(shown, wanted))
    assert np.array_equal(from_chunks.frames, every[shown])
    assert np.abs(from_chunks.frames.astype(int) - every[wanted]).mean() < 0.5
    # Each still file is decoded once, for all the samples that fall in it.
    read = (tmp_path / "safety0.stills.ffconcat").read_text()
    assert read.count("file ") == len({chunk.path for chunk in encoded.chunks if str(chunk.path) in read})
    assert read.count("file ") < len([n for n in wanted if n >= 25])


class HeldBack:
    """An executor that runs what it is given only when told: what happens before it runs shows."""

    def __init__(self) -> None:
        self.waiting: list[Future[object]] = []
        self._calls: list[tuple[Future[object], Callable[[], object]]] = []

    def submit(self, call: Callable[[], object]) -> Future[object]:
        future: Future[object] = Future()
        self._calls.append((future, call))
        self.waiting.append(future)
        return future

    def run(self) -> None:
        for future, call in self._calls:
            future.set_result(call())


def test_the_safety_picture_is_read_under_a_slot_taken_before_the_encoding_thread_goes_on(
        tmp_path: Path, chunked: tuple[list[EncodedScene], Path]) -> None:
    encoded, video = chunked
    slots = ProcessSlots(1)
    ctx = SimpleNamespace(cancel=CancelToken(), services=SimpleNamespace(slots=slots), work_dir=tmp_path)
    spans = [rules.TextSpan(2.3, 7.0, BOX, lines=2)]
    pool = HeldBack()
    reader = SafetyPictureReader(ctx, {1: (2.35, 6.6)}, {1: 23}, spans, CHUNKED.fps, pool)  # type: ignore[arg-type]
    reader.scene_encoded(0, encoded[0])  # not a safety scene: nothing to read
    assert not pool.waiting and slots.try_acquire()
    slots.release()
    reader.scene_encoded(1, encoded[1])
    # The encoding thread is back, the read not yet started: the slot is the read's already.
    assert len(pool.waiting) == 1 and not slots.try_acquire()
    pool.run()
    assert slots.try_acquire()  # given back once the frames are read
    slots.release()
    measured = reader.result()
    frames = rules.safety_frames([(2.35, 6.6)], [rules.Picture(video)], CHUNKED.fps, cancel=CancelToken(),
                                 slots=ProcessSlots(1), work_dir=tmp_path)
    assert measured == measure_frames(frames, spans)
    assert [at for at, _ in measured.readings] == [2.85, 3.35, 3.85, 4.35, 4.85, 5.35, 5.85, 6.35]
