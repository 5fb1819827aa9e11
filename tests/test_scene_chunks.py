"""Encode once: scenes encoded as chunks in the final settings, re-encoded only where they
changed, and joined by stream copy into exactly as many frames as the scenes add up to."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from creator_service.processes import CancelToken, ProcessSlots, StageCancelled
from creator_service.rendering import scene_chunks
from creator_service.rendering.ffmpeg import input_args, run_ffmpeg
from creator_service.rendering.formats import VideoFormat
from creator_service.rendering.layers import Inputs, Keyframes, SceneSources, from_frame, scene_filter
from creator_service.rendering.scene_chunks import (
    CHUNK_SECONDS,
    HOLD_SECONDS,
    CaptionScript,
    Chunk,
    EncodedScene,
    FileDigests,
    PlannedChunk,
    SceneEncode,
    chunk_bounds,
    clip_length,
    encode_args,
    encode_despite_eviction,
    encode_planned,
    encode_scene,
    join_args,
    made_before,
    moves,
    plan_chunks,
    plan_encode,
    write_join_list,
)
from creator_service.stages.render import longest_first

from .helpers import caption_script, ffprobe

FMT = VideoFormat(192, 108, 10)
CHUNK = CHUNK_SECONDS * FMT.fps
HOLD = HOLD_SECONDS * FMT.fps


def test_a_scene_is_cut_into_whole_chunks_and_a_short_last_one() -> None:
    assert chunk_bounds(2 * CHUNK + 3, FMT.fps) == [(0, CHUNK), (CHUNK, CHUNK), (2 * CHUNK, 3)]
    assert chunk_bounds(CHUNK, FMT.fps) == [(0, CHUNK)]


def test_a_hold_is_cut_into_hold_chunks_after_a_moving_part_that_ends_where_it_starts() -> None:
    moving = [PlannedChunk(0, CHUNK), PlannedChunk(CHUNK, 15)]
    held = [PlannedChunk(CHUNK + 15 + n * HOLD, HOLD, held=True) for n in range(3)]
    assert plan_chunks(CHUNK + 15 + 3 * HOLD + 2, FMT.fps, CHUNK + 15) == [
        *moving, *held, PlannedChunk(CHUNK + 15 + 3 * HOLD, 2, held=True)]
    # A hold shorter than a hold chunk, and no hold at all: the grid alone.
    assert plan_chunks(CHUNK + 18, FMT.fps, CHUNK + 15) == [*moving, PlannedChunk(CHUNK + 15, 3, held=True)]
    grid = [PlannedChunk(first, length) for first, length in chunk_bounds(CHUNK + 18, FMT.fps)]
    assert plan_chunks(CHUNK + 18, FMT.fps, None) == plan_chunks(CHUNK + 18, FMT.fps, CHUNK + 18) == grid


def test_a_missing_chunk_keeps_the_longest_chunk_made_at_its_place_and_only_the_rest_is_new() -> None:
    made = {(20, 5), (20, 3), (25, 9)}

    def exists(chunk: PlannedChunk) -> bool:
        return (chunk.first, chunk.length) in made

    # Made longer twice: 5 frames, then 9 more, then the rest up to the grid.
    assert made_before(PlannedChunk(20, CHUNK), exists) == [
        PlannedChunk(20, 5), PlannedChunk(25, 9), PlannedChunk(34, CHUNK - 14)]
    assert made_before(PlannedChunk(25, 9), exists) == [PlannedChunk(25, 9)]
    assert made_before(PlannedChunk(40, 7), exists) == [PlannedChunk(40, 7)]


def test_a_chunk_sees_only_the_captions_shown_in_it_timed_from_its_start(tmp_path: Path) -> None:
    script = CaptionScript.read(caption_script(tmp_path, "c.ass", [("0:00:02.50", "0:00:03.00", "Hello")]), None)
    assert script.within(0.0, 2.0) is None
    header, shown = script.within(2.0, 4.0)  # type: ignore[misc]
    assert shown == [[0.5, 1.0, "0,Caption,,0,0,8,,Hello"]]
    # The same caption at the same place in another chunk: the same key material.
    later = CaptionScript.read(caption_script(tmp_path, "d.ass", [("0:00:12.50", "0:00:13.00", "Hello")]), None)
    assert later.within(12.0, 14.0) == [header, shown]


def test_a_still_caption_is_timed_in_a_key_only_where_the_chunk_sees_it_come_or_go(tmp_path: Path) -> None:
    plain = CaptionScript.read(caption_script(tmp_path, "p.ass", [("0:00:01.00", "0:00:09.00", "Risks")]), None)
    karaoke = CaptionScript.read(caption_script(tmp_path, "k.ass", [("0:00:01.00", "0:00:09.00", "{\\kf50}Risks")]), None)
    # Covering the whole chunk, a still caption keys the same however long before it started.
    assert plain.within(4.0, 6.0) == plain.within(2.0, 4.0)
    assert plain.within(4.0, 6.0)[1] == [[0.0, 2.0, "0,Caption,,0,0,8,,Risks"]]  # type: ignore[index]
    assert plain.within(0.0, 2.0)[1] == [[1.0, 2.0, "0,Caption,,0,0,8,,Risks"]]  # type: ignore[index]
    # Karaoke fills in with time: where the chunk is in it is part of what it shows.
    assert karaoke.within(4.0, 6.0) != karaoke.within(2.0, 4.0)


def test_still_captions_over_a_hold_cut_it_where_they_change_and_moving_ones_give_it_up(tmp_path: Path) -> None:
    events = [("0:00:02.05", "0:00:03.45", "One"), ("0:00:03.45", "0:00:04.25", "Two"),
              ("0:00:06.15", "0:00:09.00", "Three")]
    script = CaptionScript.read(caption_script(tmp_path, "s.ass", events), None)
    # A hold from frame 30 to 70 at 10 fps: "One" from frame 30 (it began before), "Two" from
    # 35, nothing from 43, "Three" from 62.
    cuts, shown = script.over_hold(30, 70, FMT.fps)  # type: ignore[misc]
    assert cuts == [35, 43, 62]
    assert [None if s is None else s[1] for s in shown] == [  # type: ignore[index]
        ["0,Caption,,0,0,8,,One"], ["0,Caption,,0,0,8,,Two"], None, ["0,Caption,,0,0,8,,Three"]]
    assert script.over_hold(45, 60, FMT.fps) == ([], [None])
    moving = CaptionScript.read(caption_script(tmp_path, "m.ass", [("0:00:02.05", "0:00:09.00", "{\\kf50}One")]), None)
    assert moving.over_hold(30, 70, FMT.fps) is None
    assert moves("0,Caption,,0,0,8,Scroll up;20;80;50,One") and not moves("0,Caption,,0,0,8,,One, two")
    # A caption coming on a frame's very time: which frame shows it first is rounding's call.
    on_a_frame = CaptionScript.read(caption_script(tmp_path, "f.ass", [("0:00:04.00", "0:00:09.00", "One")]), None)
    assert on_a_frame.over_hold(30, 70, FMT.fps) is None
    # The hold's stretches are each cut like a hold: chunks of a hold's length and a short last one.
    assert plan_chunks(CHUNK + 27, FMT.fps, CHUNK, cuts=[CHUNK + 14, CHUNK + 15, CHUNK + 99]) == [
        PlannedChunk(0, CHUNK), PlannedChunk(CHUNK, HOLD, held=True), PlannedChunk(CHUNK + HOLD, 4, held=True),
        PlannedChunk(CHUNK + 14, 1, held=True), PlannedChunk(CHUNK + 15, HOLD, held=True),
        PlannedChunk(CHUNK + 15 + HOLD, 2, held=True)]


@pytest.fixture(scope="module")
def background(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Moving footage: every frame differs, so a frame out of place would show."""
    path = tmp_path_factory.mktemp("chunks") / "bg.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=192x108:r={FMT.fps}:d=7",
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def _encode(scene: SceneEncode, store: Path, work: Path) -> EncodedScene:
    return encode_scene(scene, FMT, store, cancel=CancelToken(), slots=ProcessSlots(2), work_dir=work,
                        digest=FileDigests())


def _join(chunks: list[Chunk], tmp_path: Path, name: str) -> Path:
    audio = tmp_path / f"{name}.wav"
    seconds = sum(c.frames for c in chunks) / FMT.fps
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=d={seconds}", str(audio)], check=True)
    output = tmp_path / f"{name}.mp4"
    run_ffmpeg(join_args(chunks, FMT.fps, output, listing=tmp_path / f"{name}.ffconcat", audio=audio,
                         audio_args=["-c:a", "aac"]), cancel=CancelToken(),
               slots=ProcessSlots(2), log_path=tmp_path / f"{name}.log", what="join")
    return output


def _frames(video: Path) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v",
                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(video)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def _psnr(a: Path, b: Path) -> float:
    """The mean PSNR of two videos of the same frames (inf when identical)."""
    log = subprocess.run(["ffmpeg", "-v", "info", "-i", str(a), "-i", str(b), "-lavfi", "[0:v][1:v]psnr",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    average = log.rsplit("average:", 1)[1].split()[0]
    return float("inf") if average == "inf" else float(average)


def _worst_psnr(a: Path, b: Path, tmp_path: Path) -> float:
    """The lowest PSNR of any one frame pair: a single frame out of place shows here."""
    stats = tmp_path / "psnr.log"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(a), "-i", str(b), "-lavfi",
                    f"[0:v][1:v]psnr=stats_file={stats}", "-f", "null", "-"], check=True)
    values = [line.split("psnr_avg:")[1].split()[0] for line in stats.read_text().splitlines()]
    return min(float("inf") if v == "inf" else float(v) for v in values)


def _composed_in_one_run(sources: SceneSources, tmp_path: Path, captions: Path | None = None,
                         start_frame: int = 0) -> Path:
    """The scene composed whole in one ffmpeg run, nearly lossless; with `captions` burned in
    as if it started `start_frame` into the video."""
    if captions is not None:
        composing = encode_args(SceneEncode("direct", sources, start_frame, captions=captions), FMT,
                                [(0, sources.frames)], tmp_path, tmp_path)
        composing = composing[:composing.index("-an") + 1]
    else:
        inputs = Inputs()
        chains = scene_filter(sources, FMT, inputs, "direct", tmp_path)
        composing = [*inputs.args, "-filter_complex", ";".join(chains), "-map", "[direct]"]
    output = tmp_path / "direct.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *composing, "-c:v", "libx264", "-crf", "1", str(output)], check=True)
    return output


@pytest.mark.render
def test_a_longer_scene_encodes_only_its_new_last_chunk(tmp_path: Path, background: Path) -> None:
    store, work = tmp_path / "store", tmp_path / "work"
    work.mkdir()
    first = _encode(SceneEncode("s0", SceneSources(frames=CHUNK + 5, background=background), 0), store, work)
    assert first.encoded_frames == CHUNK + 5 and [c.frames for c in first.chunks] == [CHUNK, 5]
    # The same scene again: nothing to encode.
    assert _encode(SceneEncode("s0", SceneSources(frames=CHUNK + 5, background=background), 0), store, work).encoded_frames == 0
    # A new voice made it longer: both chunks are kept, the short one where it was, and only
    # the frames past them are encoded, up to the grid, then on it.
    longer = _encode(SceneEncode("s0", SceneSources(frames=2 * CHUNK + 7, background=background), 0), store, work)
    assert longer.encoded_frames == CHUNK - 5 + 7
    assert [c.frames for c in longer.chunks] == [CHUNK, 5, CHUNK - 5, 7]
    assert [c.path for c in longer.chunks[:2]] == [c.path for c in first.chunks]
    joined = _join(longer.chunks, tmp_path, "longer")
    info = ffprobe(joined)
    assert _frames(joined) == 2 * CHUNK + 7
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    # Frame for frame the picture one ffmpeg run composes: chunks made at different times
    # join seamlessly (lossy, so compared by PSNR, not bytes).
    direct = _composed_in_one_run(SceneSources(frames=2 * CHUNK + 7, background=background), tmp_path)
    assert _psnr(joined, direct) > 35


@pytest.mark.render
def test_an_encode_cut_short_keeps_its_whole_chunks_and_the_next_run_encodes_only_the_rest(
        tmp_path: Path, background: Path) -> None:
    store, work = tmp_path / "store", tmp_path / "work"
    work.mkdir()
    scene = SceneEncode("s0", SceneSources(frames=5 * CHUNK + 3, background=background), 0)
    cancel = CancelToken()

    def slowly(args: list[str], **how: object) -> None:
        """ffmpeg reading its footage at its own pace (-re), cancelled once it has begun a third chunk."""
        def watch() -> None:
            while not cancel.cancelled:
                if list(store.glob(".s0-*/part0002.mp4")):
                    cancel.cancel()
                time.sleep(0.01)

        threading.Thread(target=watch, daemon=True).start()
        run_ffmpeg(["-re", *args], **how)  # type: ignore[arg-type]

    with pytest.raises(StageCancelled):
        encode_scene(scene, FMT, store, cancel=cancel, slots=ProcessSlots(2), work_dir=work, digest=FileDigests(),
                     run=slowly)
    plan = plan_encode(scene, FMT, store, FileDigests())
    kept = [n for n, key in enumerate(plan.keys) if key.exists()]
    # The two chunks finished before the third was begun, whole, and not the one cut short.
    assert kept[:2] == [0, 1] and len(kept) < len(plan.keys) - 1 and kept == list(range(len(kept)))
    assert [_frames(plan.keys[n]) for n in kept] == [plan.plan[n].length for n in kept]
    assert not list(store.glob(".s0-*"))  # the cut-short run's folder is gone
    again = _encode(scene, store, work)
    assert again.encoded_frames == 5 * CHUNK + 3 - len(kept) * CHUNK
    joined = _join(again.chunks, tmp_path, "again")
    assert _frames(joined) == 5 * CHUNK + 3
    assert _psnr(joined, _composed_in_one_run(scene.sources, tmp_path)) > 35


@pytest.mark.render
def test_work_ahead_evicted_mid_scene_keeps_its_chunks_and_encodes_the_rest_once_a_slot_is_free(
        tmp_path: Path, background: Path) -> None:
    store, work = tmp_path / "store", tmp_path / "work"
    work.mkdir()
    frames = 5 * CHUNK + 3
    scene = SceneEncode("s0", SceneSources(frames=frames, background=background), 0)
    slots, digest = ProcessSlots(1), FileDigests()
    keys = plan_encode(scene, FMT, store, digest).keys
    made_at_each_run: list[list[int]] = []

    def take_the_slot() -> None:
        """Another session's stage: once the work ahead has begun a third chunk, it wants the
        one slot, holds it a moment and gives it back."""
        while not list(store.glob(".s0-*/part0002.mp4")):
            time.sleep(0.01)
        with slots.hold(CancelToken()):
            time.sleep(0.3)

    def slowly(args: list[str], **how: object) -> None:
        """ffmpeg reading its footage at its own pace (-re), as work ahead of need."""
        made_at_each_run.append([n for n, key in enumerate(keys) if key.exists()])
        run_ffmpeg(["-re", *args], background=True, **how)  # type: ignore[arg-type]

    stage = threading.Thread(target=take_the_slot, daemon=True)
    stage.start()
    done = encode_despite_eviction(plan_encode(scene, FMT, store, digest), FMT, store, digest=digest,
                                   cancel=CancelToken(), slots=slots, work_dir=work, run=slowly)
    stage.join(5)
    assert not stage.is_alive()
    # Two runs: the second began with the chunks the first finished, and encoded only the rest.
    assert len(made_at_each_run) == 2 and made_at_each_run[0] == []
    assert made_at_each_run[1][:2] == [0, 1] and len(made_at_each_run[1]) < len(keys)
    assert done.encoded_frames == frames and all(key.exists() for key in keys)
    joined = _join(done.chunks, tmp_path, "joined")
    assert _frames(joined) == frames
    assert _psnr(joined, _composed_in_one_run(scene.sources, tmp_path)) > 35


@pytest.mark.render
def test_changed_captions_re_encode_only_the_chunks_they_show_in(tmp_path: Path, background: Path) -> None:
    store, work = tmp_path / "store", tmp_path / "work"
    work.mkdir()
    sources = SceneSources(frames=2 * CHUNK + 4, background=background)
    # The scene starts 10 s into the video; its caption shows in its second chunk.
    at = 10 + CHUNK_SECONDS
    hello = caption_script(tmp_path, "a.ass", [(f"0:00:{at + 0.5:05.2f}", f"0:00:{at + 1.5:05.2f}", "Hello")])
    scene = SceneEncode("s1", sources, 10 * FMT.fps, captions=hello)
    made = _encode(scene, store, work)
    assert made.encoded_frames == 2 * CHUNK + 4
    plain = _encode(SceneEncode("s1", sources, 10 * FMT.fps), store, work)
    # Uncaptioned: the first chunk is shared, the captioned second one is not.
    assert plain.chunks[0].path == made.chunks[0].path and plain.chunks[1].path != made.chunks[1].path
    goodbye = caption_script(tmp_path, "b.ass", [(f"0:00:{at + 0.5:05.2f}", f"0:00:{at + 1.5:05.2f}", "Goodbye")])
    redone = _encode(SceneEncode("s1", sources, 10 * FMT.fps, captions=goodbye), store, work)
    # Only the changed chunk (the second) is encoded: the first and the last are kept.
    assert redone.encoded_frames == CHUNK
    assert [chunk.path == before.path for chunk, before in zip(redone.chunks, made.chunks)] == [True, False, True]
    # Composed from its own first frame: the chunk is the frames it stands for.
    direct = _composed_in_one_run(sources, tmp_path, goodbye, 10 * FMT.fps)
    assert _worst_psnr(_join(redone.chunks, tmp_path, "redone"), direct, tmp_path) > 38
    # The caption is really in the picture: the captioned and plain second chunks differ.
    assert _psnr(made.chunks[1].path, plain.chunks[1].path) < 40


@pytest.mark.render
def test_scenes_join_into_exactly_their_frames_with_key_frames_at_scene_starts(tmp_path: Path, background: Path) -> None:
    store, work = tmp_path / "store", tmp_path / "work"
    work.mkdir()
    lengths = [CHUNK + 3, 7, 2 * CHUNK]
    chunks: list[Chunk] = []
    start = 0
    for number, frames in enumerate(lengths):
        scene = SceneEncode(f"s{number}", SceneSources(frames=frames, background=background,
                                                       background_offset=number * 0.5), start)
        chunks += _encode(scene, store, work).chunks
        start += frames
    joined = _join(chunks, tmp_path, "three")
    assert _frames(joined) == sum(lengths)
    keys = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time,flags",
                           "-of", "csv=p=0", str(joined)], capture_output=True, text=True, check=True).stdout
    key_times = [round(float(line.split(",")[0]) * FMT.fps) for line in keys.splitlines() if "K" in line.split(",")[1]]
    # Every chunk starts on a key frame, where the list put it (no drift from rounded durations).
    starts, at = [], 0
    for chunk in chunks:
        starts.append(at)
        at += chunk.frames
    assert set(starts) <= set(key_times)


@pytest.mark.render
def test_a_scene_keeps_its_frames_and_its_captions_timing_wherever_it_starts(tmp_path: Path) -> None:
    # A scene 2.3 s in: at 10 fps that is 22.999… ticks in floating point. Truncated, some
    # frames moved a tick less than others, and the encoder filled the gap with a repeated
    # frame (the last chunk held 8 frames, not 7); the captions were drawn a frame early.
    black = tmp_path / "black.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=black:s=192x108:r={FMT.fps}:d=7",
                    "-pix_fmt", "yuv420p", str(black)], check=True)
    # The caption comes up on the scene's frame 5 (2.8 s into the video) and stays.
    caption = caption_script(tmp_path, "c.ass", [("0:00:02.80", "0:00:09.00", "Hello")])
    work = tmp_path / "work"
    work.mkdir()
    made = _encode(SceneEncode("s1", SceneSources(frames=2 * CHUNK + 7, background=black), 23, captions=caption),
                   tmp_path / "store", work)
    assert [_frames(chunk.path) for chunk in made.chunks] == [chunk.frames for chunk in made.chunks] == [CHUNK, CHUNK, 7]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(made.chunks[0].path), "-f", "rawvideo", "-pix_fmt", "gray",
                          "-"], capture_output=True, check=True).stdout
    brightest = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 108, 192).max(axis=(1, 2))
    assert list(brightest[:5] > 128) == [False] * 5 and all(brightest[5:] > 128), list(brightest)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished clip at the video's frame rate, 35 frames: a Manim scene's only layer."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=192x108:r={FMT.fps}",
                    "-frames:v", "35", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


@pytest.mark.render
def test_a_clip_scene_made_longer_is_read_from_its_new_chunk_not_composed_from_its_start(
        tmp_path: Path, clip: Path, background: Path) -> None:
    store, work = tmp_path / "store", tmp_path / "work"
    work.mkdir()
    # A clip alone is read from the first missing chunk; a layered scene's layers are cut there.
    at_chunk = encode_args(SceneEncode("s0", SceneSources(frames=47, clip=clip), 0), FMT, [(CHUNK, 27)], work, work,
                           clip_frames=35)
    assert "-ss" in at_chunk
    looped = SceneSources(frames=47, background=background)
    assert "trim=start_frame=20:end_frame=47," in ";".join(
        encode_args(SceneEncode("s0", looped, 0), FMT, [(CHUNK, 27)], work, work))
    assert _encode(SceneEncode("s0", SceneSources(frames=CHUNK + 5, clip=clip), 0), store, work).encoded_frames == 25
    # Longer than the clip (35 frames): the moving part keeps its chunk of frames 20 to 25, is
    # read from frame 25 and ends at 35; its last frame, held, is encoded once as a hold chunk
    # and once as the short last one. Then longer again: only the new short last chunk is encoded.
    for frames, encoded in ((2 * CHUNK + 7, 10 + HOLD + 2), (3 * CHUNK + 3, 8)):
        scene = SceneEncode("s0", SceneSources(frames=frames, clip=clip), 0)
        made = _encode(scene, store, work)
        assert made.encoded_frames == encoded
        held = [chunk.path for chunk in made.chunks if chunk.still and chunk.frames == HOLD]
        assert len(held) == (frames - 35) // HOLD and len(set(held)) == 1
        joined = _join(made.chunks, tmp_path, f"clip{frames}")
        assert _frames(joined) == frames
        # Every frame is where one ffmpeg run composing the whole scene puts it.
        direct = _composed_in_one_run(SceneSources(frames=frames, clip=clip), tmp_path)
        assert _worst_psnr(joined, direct, tmp_path) > 30


def test_a_clip_is_probed_once_per_version_of_its_file(
        tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probed: list[Path] = []
    real = scene_chunks.probe

    def counted(path: Path) -> object:
        probed.append(path)
        return real(path)

    monkeypatch.setattr(scene_chunks, "probe", counted)
    scene = tmp_path / "scene.mp4"
    scene.write_bytes(clip.read_bytes())
    sources = SceneSources(frames=50, clip=scene)
    assert clip_length(sources, FMT) == clip_length(sources, FMT) == 35
    assert probed == [scene]
    # A new take of the scene replaces the file: it is probed again.
    shorter = tmp_path / "shorter.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-frames:v", "12", str(shorter)], check=True)
    shorter.replace(scene)
    assert clip_length(sources, FMT) == 12 and probed == [scene, scene]


@pytest.mark.render
def test_captions_burned_over_a_hold_give_each_of_its_chunks_its_own_picture(tmp_path: Path, clip: Path) -> None:
    store, work = tmp_path / "store", tmp_path / "work"
    work.mkdir()
    sources = SceneSources(frames=35 + 3 * HOLD, clip=clip)
    # A caption over the hold's second second: the hold is cut on the grid, not shared.
    hello = caption_script(tmp_path, "a.ass", [("0:00:04.50", "0:00:05.50", "Hello")])
    captioned = _encode(SceneEncode("s0", sources, 0, captions=hello), store, work)
    assert [c.frames for c in captioned.chunks] == [length for _, length in chunk_bounds(35 + 3 * HOLD, FMT.fps)]
    assert captioned.encoded_frames == 35 + 3 * HOLD
    # A caption over the moving part only: the hold is shared, and the caption is in the picture.
    early = caption_script(tmp_path, "b.ass", [("0:00:00.50", "0:00:01.50", "Hello")])
    shared = _encode(SceneEncode("s0", sources, 0, captions=early), store, work)
    assert [c.frames for c in shared.chunks] == [CHUNK, 15, HOLD, HOLD, HOLD]
    assert shared.encoded_frames == 35 + HOLD and len({c.path for c in shared.chunks[2:]}) == 1
    # Uncaptioned: its first chunk is the first run's, the rest the second's; nothing is new.
    plain = _encode(SceneEncode("s0", sources, 0), store, work)
    assert plain.chunks[0] == captioned.chunks[0] and plain.chunks[1:] == shared.chunks[1:]
    assert plain.encoded_frames == 0
    assert _psnr(shared.chunks[0].path, plain.chunks[0].path) < 40


def test_key_frames_seen_from_a_frame_start_at_the_key_shown_there() -> None:
    files = [Path(f"{n}.png") for n in range(4)]
    keys = Keyframes(files, [0, 3, 4, 9])
    assert from_frame(keys, 0) == keys
    assert from_frame(keys, 3) == Keyframes(files[1:], [0, 1, 6])
    assert from_frame(keys, 5) == Keyframes(files[2:], [0, 4])
    assert from_frame(keys, 40) == Keyframes(files[3:], [0])


def _picture_md5s(args: list[str], first: int = 0) -> list[str]:
    """The composed frames of an `encode_args` run, before encoding: one MD5 each, from the
    `first` frame on."""
    composed = args[:args.index("-an") + 1] + ["-f", "framemd5", "-"]
    out = subprocess.run(["ffmpeg", "-v", "error", *composed], capture_output=True, text=True, check=True).stdout
    return [line.split(",")[-1].strip() for line in out.splitlines() if line and not line.startswith("#")][first:]


def _numbered_keys(folder: Path, count: int) -> Keyframes:
    """`count` half-transparent PNGs of moving test pattern, 00000.png on: every key differs."""
    folder.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=192x108:r={FMT.fps}",
                    "-vf", "format=rgba,colorchannelmixer=aa=0.5", "-frames:v", str(count), "-start_number", "0",
                    str(folder / "%05d.png")], check=True)
    return Keyframes(sorted(folder.glob("*.png")), list(range(count)))


@pytest.mark.render
def test_a_layered_scene_composed_from_part_way_has_the_frames_it_has_there_when_composed_whole(
        tmp_path: Path, background: Path, clip: Path) -> None:
    # Every kind of layer, each still moving somewhere after frame 20: moving footage at an
    # offset, a backdrop, a transparent video, consecutive key frames (an image sequence) and
    # scattered ones (a concat script).
    backdrop = tmp_path / "backdrop.png"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=blue@0.3:s=192x108,format=rgba",
                    "-frames:v", "1", str(backdrop)], check=True)
    overlay_video = tmp_path / "fg.mov"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=96x54:r={FMT.fps}:d=3",
                    "-vf", "format=rgba,colorchannelmixer=aa=0.5,pad=192:108:0:0:color=black@0", "-c:v", "qtrle",
                    str(overlay_video)], check=True)
    numbered = _numbered_keys(tmp_path / "fg", 26)
    scattered = _numbered_keys(tmp_path / "ov", 4)
    sources = SceneSources(frames=47, background=background, background_offset=1.3, backdrop=backdrop,
                           foreground_video=overlay_video, foreground_keys=numbered,
                           overlay_keys=Keyframes(scattered.files, [0, 8, 21, 33]))
    scene = SceneEncode("s0", sources, 0)
    whole = _picture_md5s(encode_args(scene, FMT, [(0, CHUNK), (CHUNK, 27)], tmp_path, tmp_path))
    assert len(whole) == 47 and len(set(whole[CHUNK:])) > 10  # it moves after frame 20
    for begin in (CHUNK, 2 * CHUNK, 30):
        assert _picture_md5s(encode_args(scene, FMT, [(begin, 47 - begin)], tmp_path, tmp_path)) == whole[begin:], begin
    # A finished clip under a layer: it moves until frame 35, then holds its last frame.
    under = SceneEncode("s1", SceneSources(frames=47, clip=clip, overlay_keys=numbered), 0)
    whole = _picture_md5s(encode_args(under, FMT, [(0, 47)], tmp_path, tmp_path))
    assert len(set(whole[CHUNK:35])) == 35 - CHUNK and len(set(whole[35:])) == 1
    for begin in (CHUNK, 38):
        assert _picture_md5s(encode_args(under, FMT, [(begin, 47 - begin)], tmp_path, tmp_path)) == whole[begin:], begin


@pytest.mark.render
def test_a_hold_under_still_captions_outlives_a_new_voice_but_for_each_captions_short_last_chunk(
        tmp_path: Path, clip: Path) -> None:
    store, work = tmp_path / "store", tmp_path / "work"
    work.mkdir()
    # The clip moves for 35 frames, then holds under three captions; the slower voice stretches
    # each of them, as a new voice does the major statement's.
    first = caption_script(tmp_path, "v1.ass", [("0:00:00.00", "0:00:04.25", "One"), ("0:00:04.25", "0:00:06.45", "Two"),
                                      ("0:00:06.45", "0:00:07.65", "Three")])
    slower = caption_script(tmp_path, "v2.ass", [("0:00:00.00", "0:00:04.85", "One"), ("0:00:04.85", "0:00:07.55", "Two"),
                                       ("0:00:07.55", "0:00:09.05", "Three")])
    scenes = [SceneEncode("s0", SceneSources(frames=frames, clip=clip), 0, captions=captions)
              for frames, captions in ((80, first), (95, slower))]
    plans, wholes = [], []
    for scene in scenes:
        plans.append(plan_encode(scene, FMT, store, FileDigests()))
        wholes.append(_picture_md5s(encode_args(scene, FMT, [(0, scene.sources.frames)], work, work)))
        assert len(wholes[-1]) == scene.sources.frames
    # Equal keys, equal frames; a held chunk is one picture.
    frames_of: dict[Path, list[str]] = {}
    for plan, whole in zip(plans, wholes):
        for chunk, key in zip(plan.plan, plan.keys):
            frames = whole[chunk.first:chunk.first + chunk.length]
            assert frames_of.setdefault(key, frames) == frames, chunk
            if chunk.held:
                assert len(set(frames)) == 1, chunk
    # The first voice: the moving part, then one of each stretch's chunks (One 8; Two 10, 10
    # and 2; Three 10 and 2; none 3).
    made = _encode(scenes[0], store, work)
    assert made.encoded_frames == 35 + 8 + 10 + 2 + 10 + 2 + 3
    # The slower one: the moving part under "One" is kept; One 10 and 4, Two 10, 10 and 7,
    # Three 10 and 5, none 4: One's 10, and the short last chunks, are new.
    again = plan_encode(scenes[1], FMT, store, FileDigests())
    assert again.frames_to_encode == 10 + 4 + 7 + 5 + 4
    # Those are composed from their own frames, the ones between dropped.
    spans = [(again.plan[n].first, again.plan[n].length) for n in again.todo]
    assert _picture_md5s(encode_args(scenes[1], FMT, spans, work, work, clip_frames=35)) == [
        md5 for first, length in spans for md5 in wholes[1][first:first + length]]
    made = _encode(scenes[1], store, work)
    assert made.encoded_frames == 30
    # Joined, frame for frame the picture one ffmpeg run composes: a caption one frame out of
    # place measured a worst frame of 31 dB, these 42 dB.
    joined = _join(made.chunks, tmp_path, "slower")
    assert _frames(joined) == 95
    assert _worst_psnr(joined, _composed_in_one_run(scenes[1].sources, work, slower), tmp_path) > 38


def _no_ffmpeg(*args: object, **kwargs: object) -> None:
    raise AssertionError("ffmpeg ran for chunks that were all made")


def test_a_plan_counts_the_frames_still_to_encode_and_the_longest_scene_is_encoded_first(tmp_path: Path) -> None:
    # A layered scene is never probed: any bytes stand for its footage here.
    footage = tmp_path / "bg.mp4"
    footage.write_bytes(b"footage")
    store = tmp_path / "store"
    store.mkdir()
    digest = FileDigests()
    # Chunks are kept by what they show: the scenes start at different places in the footage.
    short, long = (SceneEncode(f"s{n}", SceneSources(frames=frames, background=footage, background_offset=offset), start)
                   for n, (frames, offset, start) in enumerate(((25, 0.0, 0), (47, 2.5, 25))))
    plans = [plan_encode(scene, FMT, store, digest) for scene in (short, long)]
    assert [p.frames_to_encode for p in plans] == [25, 47]
    assert longest_first(plans) == [1, 0]
    # The long scene's first two chunks are made already: 7 frames are left of it.
    for chunk in plans[1].chunks[:2]:
        chunk.path.write_bytes(b"chunk")
    again = [plan_encode(scene, FMT, store, digest) for scene in (short, long)]
    assert [p.frames_to_encode for p in again] == [25, 7] and again[1].todo == [2]
    assert longest_first(again) == [0, 1]
    # A plan carries its scene: carried out once every chunk is made, it runs nothing.
    for chunk in again[1].chunks:
        chunk.path.write_bytes(b"chunk")
    done = encode_planned(plan_encode(long, FMT, store, digest), FMT, store, cancel=CancelToken(),
                          slots=ProcessSlots(1), work_dir=tmp_path, run=_no_ffmpeg)
    assert done == EncodedScene(again[1].chunks, 0, 0)


def test_a_join_list_is_named_so_that_ffmpeg_reads_it_as_one(tmp_path: Path) -> None:
    chunk = Chunk(tmp_path / "a.mp4", 3)
    assert input_args(write_join_list([chunk], FMT.fps, tmp_path / "j.ffconcat"))[:2] == ["-f", "concat"]
    with pytest.raises(ValueError, match="ffconcat"):
        write_join_list([chunk], FMT.fps, tmp_path / "j.txt")
