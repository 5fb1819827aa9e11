"""Encode once: a scene's picture is encoded in the final settings as chunks, each kept under a
key made of what it shows, and the final cut joins the chunks with stream copy.

Why this works: frame k of a composed scene depends only on its layers and on k, never on how
long the scene is (backgrounds loop, clips and stills hold their last frame). So a scene cut
into chunks of `CHUNK_SECONDS` whole frames can be made longer or shorter (a new voice) and
every whole chunk before the change is still right: only the last one, and any chunk whose
burned captions changed, is encoded again. Each chunk starts on a key frame and every chunk
is encoded with the same codec, size, frame rate and pixel format, so the concat demuxer
joins them without decoding. The audio is muxed once, in the same run.

A Manim scene shown alone is encoded once, by its Manim worker, in these very settings and with
a key frame on every chunk's first frame (manim_scenes/final_clip.py): its moving chunks are cut
from that clip with stream copy (`split_args`), never encoded again.

A Manim scene outlives its animation: its last frame holds while the voice goes on, often for
half the scene. Every frame of that hold is the same picture, and x264 takes as long over a
repeated picture as over a moving one, so the hold is not cut on the grid but into chunks of
`HOLD_SECONDS` that share one key, and so one file, encoded once, and a short last chunk.
Plain burned captions over a hold (the major statement) cut it into stretches of one picture
each, from one caption to the next, and each stretch is cut the same way: its chunks are keyed
by the caption's text, not its time, so a new voice, which moves the captions, leaves each
stretch only its short last chunk to encode. Captions that move (karaoke) make every frame its
own picture: a hold under them is cut on the grid like the rest.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

from ..processes import CancelToken, ChildProcessFailed, Evicted, ProcessSlots, StageCancelled
from .captions import ass_filter
from .ffmpeg import input_args, probe, run_ffmpeg
from .formats import VideoFormat
from .layers import Inputs, Keyframes, SceneSources, Skip, logo_filter, scene_filter

CHUNK_SECONDS = 2
# A hold's chunk: a key frame a second keeps a hold's extra key frames cheap (a still picture
# compresses well) while encoding at most two seconds of it per scene, whatever its length.
HOLD_SECONDS = 1
# Part of every key: change it when the filter graph or the encoder settings change, so chunks
# made the old way are never joined with new ones.
ENCODE_VERSION = "2"
# veryfast keeps flat motion graphics crisp at CRF 20 and encodes about 3x faster than medium.
FINAL_PRESET = "veryfast"
FINAL_CRF = "20"
VIDEO_CODEC_ARGS = ["-c:v", "libx264", "-preset", FINAL_PRESET, "-crf", FINAL_CRF, "-pix_fmt", "yuv420p"]


@dataclass(frozen=True)
class SceneEncode:
    """One scene of the final cut: its layers at their final length, where it starts in the
    video (burned captions are timed in video time), and what goes over it."""

    label: str
    sources: SceneSources
    start_frame: int
    logo: Path | None = None
    captions: Path | None = None
    fonts_dir: Path | None = None


@dataclass(frozen=True)
class Chunk:
    path: Path
    frames: int
    # Every frame the same picture (a held chunk): its key frame, its first, is all of it.
    still: bool = False


@dataclass(frozen=True)
class EncodedScene:
    chunks: list[Chunk]
    # How many of the scene's frames this run encoded (0: every chunk was already made).
    encoded_frames: int
    # How many it cut from a clip on the grid instead, copying the picture (never encoded).
    copied_frames: int = 0


def chunk_bounds(frames: int, fps: int) -> list[tuple[int, int]]:
    """(first frame, length) of each chunk of a scene `frames` long; the last may be short."""
    size = CHUNK_SECONDS * fps
    return [(start, min(size, frames - start)) for start in range(0, frames, size)]


@dataclass(frozen=True)
class PlannedChunk:
    first: int
    length: int
    # In the scene's hold: the same picture as every other held chunk of its length.
    held: bool = False


def plan_chunks(frames: int, fps: int, still_from: int | None, cuts: Sequence[int] = ()) -> list[PlannedChunk]:
    """The chunks of a scene `frames` long whose picture stops changing at frame `still_from`
    (None: it never does): the moving part on the grid, ending on the hold's first frame, then
    the hold in chunks of `HOLD_SECONDS` and a short last one. `cuts`: frames within the hold
    where its picture changes to another held one (a caption comes or goes); each stretch
    between them is cut the same way, from its own first frame."""
    if still_from is None or still_from >= frames:
        return [PlannedChunk(first, length) for first, length in chunk_bounds(frames, fps)]
    size = HOLD_SECONDS * fps
    edges = [still_from, *sorted(cut for cut in set(cuts) if still_from < cut < frames), frames]
    return [*(PlannedChunk(first, length) for first, length in chunk_bounds(still_from, fps)),
            *(PlannedChunk(first, min(size, end - first), held=True)
              for start, end in zip(edges, edges[1:]) for first in range(start, end, size))]


class FileDigests:
    """Content digests of layer files, each file read once per (path, size, mtime)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int, int], str] = {}

    def __call__(self, path: Path) -> str:
        stat = path.stat()
        memo = (str(path), stat.st_size, stat.st_mtime_ns)
        if memo not in self._known:
            digest = hashlib.blake2b(digest_size=16)
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            self._known[memo] = digest.hexdigest()
        return self._known[memo]


def _keys_identity(keys: Keyframes | None, digest: Callable[[Path], str]) -> list[tuple[int, str]] | None:
    return None if keys is None else [(frame, digest(path)) for frame, path in zip(keys.frames, keys.files)]


def picture_identity(scene: SceneEncode, fmt: VideoFormat, digest: Callable[[Path], str]) -> dict[str, object]:
    """What a scene's pictures are made of, its length aside: equal identities, equal frames."""
    s = scene.sources

    def file(path: Path | None) -> str | None:
        return digest(path) if path is not None else None

    return {
        "version": ENCODE_VERSION, "size": [fmt.width, fmt.height, fmt.fps],
        "clip": file(s.clip), "background": file(s.background), "offset": round(s.background_offset, 3),
        "backdrop": file(s.backdrop), "foreground_video": file(s.foreground_video),
        "foreground_keys": _keys_identity(s.foreground_keys, digest),
        "overlay_keys": _keys_identity(s.overlay_keys, digest), "logo": file(scene.logo),
    }


_TIME = re.compile(r"^Dialogue: (?P<layer>[^,]*),(?P<start>[^,]*),(?P<end>[^,]*),(?P<rest>.*)$")


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True)
class CaptionScript:
    """A burned-caption script read back: its styles and its timed events."""

    header: str
    events: list[tuple[float, float, str]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path, fonts_dir: Path | None) -> CaptionScript:
        header: list[str] = [f"fonts: {fonts_dir}"]
        events = []
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _TIME.match(line)
            if match:
                events.append((_seconds(match["start"]), _seconds(match["end"]), f"{match['layer']},{match['rest']}"))
            else:
                header.append(line)
        return cls("\n".join(header), events)

    def within(self, start: float, end: float) -> list[object] | None:
        """The events shown between `start` and `end` seconds, timed from `start`: all a chunk
        there needs to know of the captions (None when none shows). A still caption is timed
        only where the chunk sees it come or go, so a chunk it covers has the same key whenever
        the caption started; one that moves keeps its own times, which decide what it shows."""
        shown = [[round((a if moves(text) else max(a, start)) - start, 2),
                  round((b if moves(text) else min(b, end)) - start, 2), text]
                 for a, b, text in self.events if a < end and b > start]
        return [self.header, shown] if shown else None

    def over_hold(self, first: int, last: int, fps: int) -> tuple[list[int], list[list[object] | None]] | None:
        """Captions over a held picture from video frame `first` to `last` (not included): the
        frames after `first` where what they show changes, and what each stretch between them
        shows, untimed (None: nothing). None if a caption there moves (an override tag, such as
        karaoke or a fade), or comes or goes within a millisecond of a frame, where rounding
        in ffmpeg and libass decides which frame is the first to show it (captions.frame_edge
        keeps ours clear of that)."""
        over = [(a, b, text) for a, b, text in self.events if a < last / fps and b > first / fps]
        edges = {first, last}
        for a, b, text in over:
            if moves(text):
                return None
            for at in (a, b):
                frame = at * fps
                if at > 0 and abs(frame - round(frame)) < fps / 1000 and first <= round(frame) < last:
                    return None
                if first < math.ceil(frame) < last:
                    edges.add(math.ceil(frame))
        stretches = sorted(edges)[:-1]
        shown = []
        for start in stretches:
            texts = [text for a, b, text in over if a * fps <= start < b * fps]
            shown.append([self.header, texts] if texts else None)
        return stretches[1:], shown


def moves(event: str) -> bool:
    """True for a caption event (as `CaptionScript` keeps it: Layer, Style, Name, MarginL,
    MarginR, MarginV, Effect, Text) whose look can change while it is up: one with an effect
    (a scroll, a banner) or an override block in its text ({...}: karaoke, fades, movement).
    Plain text cannot."""
    fields = event.split(",", 7)
    return len(fields) < 8 or bool(fields[6].strip()) or "{" in fields[7]


def chunk_key(identity: dict[str, object], first: int | str, length: int, captions: list[object] | None) -> str:
    text = json.dumps({"picture": identity, "first": first, "length": length, "captions": captions}, sort_keys=True)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()


@dataclass(frozen=True)
class EncodePlan:
    """What `encode_scene` will do for a scene, worked out before any ffmpeg runs: its chunks, the
    missing moving chunks it cuts from its clip (`cut`), and the chunks it encodes (`todo`)."""

    scene: SceneEncode
    plan: list[PlannedChunk]
    keys: list[Path]
    clip_frames: int | None
    # The scene's first moving chunks that are pieces of its clip, and which of them are missing.
    cuttable: list[int]
    cut: list[int]
    todo: list[int]

    @property
    def chunks(self) -> list[Chunk]:
        return [Chunk(path, chunk.length, still=chunk.held) for path, chunk in zip(self.keys, self.plan)]

    @property
    def frames_to_encode(self) -> int:
        return sum(self.plan[n].length for n in self.todo)


def plan_encode(scene: SceneEncode, fmt: VideoFormat, store: Path, digest: Callable[[Path], str]) -> EncodePlan:
    """The scene's chunks in `store`, and which of them are missing: the moving chunks that are
    pieces of a clip encoded on the grid are cut from it (`_cut_from_clip`); the other missing
    moving chunks are encoded (a new voice moves the captions, and leaves the chunks that one
    caption covers as they were), then one of each missing held chunk, from its own frames (a
    held chunk shows the held picture and the captions over it there)."""
    fps, frames = fmt.fps, scene.sources.frames
    identity = picture_identity(scene, fmt, digest)
    script = CaptionScript.read(scene.captions, scene.fonts_dir) if scene.captions else None
    clip_frames = clip_length(scene.sources, fmt)
    still_from = clip_frames
    cuts: list[int] = []
    shown_from: dict[int, list[object] | None] = {}  # what the captions show from each stretch's first frame
    if still_from is not None and still_from < frames and script is not None:
        over = script.over_hold(scene.start_frame + still_from, scene.start_frame + frames, fps)
        if over is None:
            still_from = None  # moving captions over the hold: each of its chunks is its own picture
        else:
            cuts = [frame - scene.start_frame for frame in over[0]]
            shown_from = dict(zip([still_from, *cuts], over[1]))

    def moving_shown(chunk: PlannedChunk) -> list[object] | None:
        at = (scene.start_frame + chunk.first) / fps
        return script.within(at, at + chunk.length / fps) if script else None

    def key_path(chunk: PlannedChunk, shown: list[object] | None) -> Path:
        # Every held chunk of one picture (the same captions) and length shares a key.
        return store / f"{chunk_key(identity, 'held' if chunk.held else chunk.first, chunk.length, shown)}.mp4"

    plan = plan_chunks(frames, fps, still_from, cuts)
    if not _clip_to_cut(scene, clip_frames, fps):
        plan = [piece for chunk in plan
                for piece in ([chunk] if chunk.held else made_before(chunk, lambda c: key_path(c, moving_shown(c)).exists()))]
    keys, captioned = [], []
    shown: list[object] | None = None
    for chunk in plan:
        if chunk.held:
            shown = shown_from.get(chunk.first, shown)  # a stretch's chunks follow its first
        else:
            shown = moving_shown(chunk)
        keys.append(key_path(chunk, shown))
        captioned.append(shown is not None)
    moving = [n for n, chunk in enumerate(plan) if not chunk.held]
    missing_moving = [n for n in moving if not keys[n].exists()]
    cuttable = moving[:_cut_from_clip(scene, clip_frames, [plan[n] for n in moving], [captioned[n] for n in moving], fps)]
    cut = [n for n in cuttable if n in missing_moving]
    missing_moving = [n for n in missing_moving if n not in cuttable]
    # The missing moving chunks, then each missing held chunk once, from its first place in the
    # plan: in order, as one ffmpeg run makes them (`encode_args`).
    todo = list(missing_moving)
    queued: set[Path] = set()
    for n, chunk in enumerate(plan):
        if chunk.held and not keys[n].exists() and keys[n] not in queued:
            todo.append(n)
            queued.add(keys[n])
    return EncodePlan(scene, plan, keys, clip_frames, cuttable, cut, todo)


def made_before(chunk: PlannedChunk, made: Callable[[PlannedChunk], bool]) -> list[PlannedChunk]:
    """A moving chunk, or, when it is missing, the longest chunk already made at its place (the
    last chunk of a shorter take, before a new voice made the scene longer) and the rest of its
    frames as a chunk of their own, treated the same way. Without this a scene made longer by a
    second is encoded again from its last grid frame, up to two seconds more; the grid after
    the chunk is kept, so chunks made on it are still found."""
    pieces: list[PlannedChunk] = []
    while not made(chunk):
        found = next((length for length in range(chunk.length - 1, 0, -1)
                      if made(PlannedChunk(chunk.first, length))), None)
        if found is None:
            break
        pieces.append(PlannedChunk(chunk.first, found))
        chunk = PlannedChunk(chunk.first + found, chunk.length - found)
    return [*pieces, chunk]


def encode_scene(
    scene: SceneEncode,
    fmt: VideoFormat,
    store: Path,
    *,
    cancel: CancelToken,
    slots: ProcessSlots | None,
    work_dir: Path,
    digest: Callable[[Path], str],
    run: Callable[..., None] = run_ffmpeg,
) -> EncodedScene:
    """The scene's chunks in `store`, making only those not already there (`plan_encode`)."""
    return encode_planned(plan_encode(scene, fmt, store, digest), fmt, store, cancel=cancel, slots=slots,
                          work_dir=work_dir, run=run)


def encode_planned(
    made: EncodePlan,
    fmt: VideoFormat,
    store: Path,
    *,
    cancel: CancelToken,
    slots: ProcessSlots | None,
    work_dir: Path,
    run: Callable[..., None] = run_ffmpeg,
) -> EncodedScene:
    """Carry out a plan made by `plan_encode`: cut what it cuts, encode what it encodes."""
    scene, plan, keys, clip_frames = made.scene, made.plan, made.keys, made.clip_frames
    copied = 0
    if made.cut:
        assert scene.sources.clip is not None and clip_frames is not None
        clip, lengths = scene.sources.clip, [plan[n].length for n in made.cuttable]
        rest = clip_frames - sum(lengths)  # the clip's frames past the cut chunks, not kept
        _store_parts(lambda parts: split_args(clip, lengths + [rest] * (rest > 0), parts),
                     [keys[n] if n in made.cut else None for n in made.cuttable] + [None] * (rest > 0),
                     store, scene.label, run=run, cancel=cancel, slots=slots,
                     log_path=work_dir / f"{scene.label}.split.log", what=f"cutting scene {scene.label}")
        copied = sum(plan[n].length for n in made.cut)
    if not made.todo:
        return EncodedScene(made.chunks, 0, copied)
    # One run for all of them: the frames between are composed and dropped, which costs less
    # than a run per gap, since each run decodes a scene's footage from the scene's start.
    spans = [(plan[n].first, plan[n].length) for n in made.todo]
    _store_parts(lambda parts: encode_args(scene, fmt, spans, parts, work_dir, clip_frames=clip_frames),
                 [keys[n] for n in made.todo], store, scene.label, run=run, cancel=cancel, slots=slots,
                 log_path=work_dir / f"{scene.label}.encode.log", what=f"encoding scene {scene.label}",
                 expected_seconds=made.frames_to_encode / fmt.fps)
    return EncodedScene(made.chunks, made.frames_to_encode, copied)


def encode_despite_eviction(
    made: EncodePlan,
    fmt: VideoFormat,
    store: Path,
    *,
    digest: Callable[[Path], str],
    cancel: CancelToken,
    slots: ProcessSlots | None,
    work_dir: Path,
    run: Callable[..., None] = run_ffmpeg,
) -> EncodedScene:
    """`encode_planned`, going on after an eviction: work ahead of need gives its slot up to any
    stage that finds none free (processes.Evicted). The chunks it finished are kept
    (`_store_parts`), so what is left is planned again and encoded once a slot is free. What it
    reports is the whole of it, over every run."""
    encoded = copied = 0
    while True:
        try:
            result = encode_planned(made, fmt, store, cancel=cancel, slots=slots, work_dir=work_dir, run=run)
        except Evicted:
            again = plan_encode(made.scene, fmt, store, digest)
            encoded += made.frames_to_encode - again.frames_to_encode
            copied += sum(made.plan[n].length for n in made.cut if n not in again.cut)
            made = again
            continue
        return replace(result, encoded_frames=encoded + result.encoded_frames,
                       copied_frames=copied + result.copied_frames)


def _cut_from_clip(scene: SceneEncode, clip_frames: int | None, moving: list[PlannedChunk],
                   captioned: list[bool], fps: int) -> int:
    """How many of the scene's first moving chunks are pieces of its clip as it is, to be cut
    from it rather than encoded: a clip alone, encoded on the grid (`on_grid`), with no logo
    over it; the chunks lie wholly within the clip, end on its key frames, and show no burned
    caption."""
    if not _clip_to_cut(scene, clip_frames, fps):
        return 0
    count = 0
    for chunk, shown in zip(moving, captioned):
        end = chunk.first + chunk.length
        # A cut ends on a key frame: on the grid, or at the clip's very end.
        if shown or end > clip_frames or (end != clip_frames and end % (CHUNK_SECONDS * fps)):
            break
        count += 1
    return count


def _clip_to_cut(scene: SceneEncode, clip_frames: int | None, fps: int) -> bool:
    """True for a clip alone, encoded on the grid (`on_grid`), with no logo over it: its moving
    chunks are cut from it on the grid (`_cut_from_clip`), never encoded."""
    return (clip_frames is not None and scene.logo is None and scene.sources.clip is not None
            and on_grid(scene.sources.clip, fps))


def _store_parts(args_for: Callable[[Path], list[str]], keys: Sequence[Path | None], store: Path, label: str, *,
                 run: Callable[..., None], **how: object) -> None:
    """Run ffmpeg with `args_for(folder)`, writing one part per key into a folder of its own,
    and move each part into the store under its key (a part whose key is None is not kept)."""
    store.mkdir(parents=True, exist_ok=True)
    parts = Path(tempfile.mkdtemp(prefix=f".{label}-", dir=store))
    try:
        try:
            run(args_for(parts), **how)
        except StageCancelled:
            # Cut short (the reviewer moved on while the work ahead encoded, or a stop): the
            # segment muxer closes each part before it opens the next, so every part but the
            # last one begun is whole. Those are kept, for the run that encodes the rest.
            _keep(sorted(parts.glob("part*.mp4"))[:-1], keys)
            raise
        made = sorted(parts.glob("part*.mp4"))
        if len(made) != len(keys):
            raise ChildProcessFailed(f"ffmpeg made {len(made)} chunk(s) of scene {label}, not {len(keys)}")
        _keep(made, keys)
    finally:
        shutil.rmtree(parts, ignore_errors=True)


def _keep(parts: Sequence[Path], keys: Sequence[Path | None]) -> None:
    for part, key in zip(parts, keys):
        if key is not None:
            os.replace(part, key)  # atomic: a chunk in the store is always whole


def clip_length(sources: SceneSources, fmt: VideoFormat) -> int | None:
    """How many frames a scene that is a clip alone at the video's frame rate (a Manim scene)
    moves for: from there on, it holds the clip's last frame. None for any other scene."""
    if not sources.clip_alone:
        return None
    assert sources.clip is not None
    stat = sources.clip.stat()
    fps, duration = _clip_timing(str(sources.clip), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if fps is None or abs(fps - fmt.fps) > 1e-6:
        return None  # the fps filter would resample it: frame k of the clip is not frame k
    return max(1, round(duration * fmt.fps))


@functools.lru_cache(maxsize=1024)
def _clip_timing(path: str, inode: int, size: int, mtime_ns: int) -> tuple[float | None, float]:
    """A clip's frame rate and duration, probed once per version of the file (its inode, size
    and modification time: a new take of a scene, in a new file or written over the old one,
    is probed afresh). The work ahead, the render and every later render ask for the same
    clips, and each ffprobe costs about a tenth of a second before the encoding can start."""
    info = probe(Path(path))
    return info.fps, info.duration


def clip_grid(fps: int) -> dict[str, object]:
    """What a clip encoded on the final cut's chunk grid (manim_scenes/final_clip.py) promises:
    a key frame every chunk, in these settings. Kept beside the clip (`grid_path`); a clip is
    cut by stream copy only if its record is this very one."""
    return {"keyframe_every": CHUNK_SECONDS * fps, "encode_version": ENCODE_VERSION, "codec": VIDEO_CODEC_ARGS}


def grid_path(clip: Path) -> Path:
    return clip.with_name(f"{clip.stem}.grid.json")


def on_grid(clip: Path, fps: int) -> bool:
    """True if `clip` was encoded in the final settings with a key frame at each chunk's start."""
    path = grid_path(clip)
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")) == clip_grid(fps))
    except (OSError, ValueError):
        return False


def final_clip_args(width: int, height: int, fps: int, output: Path) -> list[str]:
    """ffmpeg's arguments: raw RGBA frames on stdin, encoded as the final cut's chunks are (the
    same filter's square pixels and pixel format, the same codec settings), with a key frame
    at every chunk's first frame. Its SPS is then the chunks', so the concat demuxer can join
    the pieces `split_args` cuts from it with the chunks `encode_args` makes."""
    return [
        "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{width}x{height}", "-framerate", str(fps), "-i", "-",
        "-vf", "setsar=1,format=yuv420p", "-an", *VIDEO_CODEC_ARGS, "-r", str(fps),
        "-force_key_frames", f"expr:eq(mod(n,{CHUNK_SECONDS * fps}),0)",
        str(output),
    ]


def split_args(clip: Path, lengths: Sequence[int], parts: Path) -> list[str]:
    """ffmpeg's arguments: cut a clip on the grid (`on_grid`) into chunks of `lengths` from its
    first frame, as part0000.mp4, part0001.mp4, …, copying the picture (no frame decoded)."""
    return ["-i", str(clip), "-map", "0:v", "-an", "-c:v", "copy", *_chunk_files(lengths, parts)]


def _chunk_files(lengths: Sequence[int], parts: Path) -> list[str]:
    """ffmpeg's output: the video split into files of `lengths` frames, each starting on the
    key frame there, as part0000.mp4, part0001.mp4, …"""
    splits = list(itertools.accumulate(lengths))[:-1]
    return [
        "-f", "segment", *(["-segment_frames", ",".join(map(str, splits))] if splits else []),
        "-reset_timestamps", "1", "-segment_format", "mp4",
        str(parts / "part%04d.mp4"),
    ]


def encode_args(scene: SceneEncode, fmt: VideoFormat, spans: Sequence[tuple[int, int]], parts: Path,
                work_dir: Path, *, clip_frames: int | None = None) -> list[str]:
    """ffmpeg's arguments: compose the scene's frames of each span (first frame, length; in
    order, none overlapping), add the logo and the captions, and write one chunk per span as
    part0000.mp4, part0001.mp4, …

    Nothing before the first span is composed (`layers.Skip`): a clip alone (`clip_frames`, see
    `clip_length`) is read from there, or from its last frame past its moving part; any other
    scene's layers are cut there before they are laid over each other. A new voice re-encodes
    only a little of each scene, and this spares composing the rest. Frames between spans are
    dropped before the logo and captions go on: a held clip's cost nearly nothing (the same
    frame again), a layered scene's their composing."""
    inputs = Inputs()
    label = scene.label
    begin, lengths = spans[0][0], [length for _, length in spans]
    skip = Skip(begin, clip_frames) if begin > 0 else None
    sources = replace(scene.sources, frames=spans[-1][0] + spans[-1][1])
    chains = scene_filter(sources, fmt, inputs, label, work_dir, skip=skip)
    # The captions see video time. setpts truncates its result to a whole tick, and at/TB is
    # seldom whole in floating point (2.3 s at 10 fps is 22.999…): rounded, every frame moves by
    # the same whole number of ticks; truncated, some moved one tick less, a frame came a tick
    # early, and the encoder filled the gap with a repeated frame.
    at = (scene.start_frame + begin) / fmt.fps
    chains.append(f"[{label}]setpts=PTS-STARTPTS+round({at:.6f}/TB)[{label}_from]")
    current = f"{label}_from"
    runs = _runs(spans)
    if len(runs) > 1:
        picked = "+".join(f"between(n,{first - begin},{first - begin + length - 1})" for first, length in runs)
        chains.append(f"[{current}]select='{picked}'[{label}_picked]")
        current = f"{label}_picked"
    if scene.logo is not None:
        chains.append(logo_filter(inputs, scene.logo, current, f"{label}_branded", fmt))
        current = f"{label}_branded"
    captions = f"{ass_filter(scene.captions, scene.fonts_dir)}," if scene.captions else ""
    # The chunks' frames follow each other, whatever was dropped between them.
    restart = "PTS-STARTPTS" if len(runs) == 1 else f"N/({fmt.fps}*TB)"
    chains.append(f"[{current}]{captions}setpts={restart},format=yuv420p[{label}_out]")
    splits = list(itertools.accumulate(lengths))[:-1]
    starts = "+".join(f"eq(n,{frame})" for frame in [0, *splits])
    return [
        *inputs.args,
        "-filter_complex", ";".join(chains),
        "-map", f"[{label}_out]", "-an", *VIDEO_CODEC_ARGS, "-r", str(fmt.fps),
        # A key frame at every chunk's first frame, and the file split there.
        "-force_key_frames", f"expr:{starts}", *_chunk_files(lengths, parts),
    ]


def _runs(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans with those that follow each other merged: (first frame, length) of each run."""
    runs: list[tuple[int, int]] = []
    for first, length in spans:
        if runs and sum(runs[-1]) == first:
            runs[-1] = (runs[-1][0], runs[-1][1] + length)
        elif runs and sum(runs[-1]) > first:
            raise ValueError(f"spans overlap or go back at frame {first}")
        else:
            runs.append((first, length))
    return runs


def chunk_store(video_dir: Path) -> Path:
    """Where a video's chunks are kept: its previews and every render of it share them."""
    return video_dir / "chunks"


def write_join_list(chunks: list[Chunk], fps: int, path: Path) -> Path:
    """An ffconcat script of the chunks, each with its exact length: the concat demuxer would
    otherwise take each file's millisecond-rounded duration, and drift from the audio. `path`
    ends in `.ffconcat`, which is how ffmpeg's input is told to read it (`ffmpeg.input_args`)."""
    if path.suffix != ".ffconcat":
        raise ValueError(f"a join list is named *.ffconcat, not {path.name}")
    lines = ["ffconcat version 1.0"]
    for chunk in chunks:
        lines.append(f"file '{chunk.path.resolve().as_posix()}'")
        lines.append(f"duration {chunk.frames / fps:.9f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def join_args(chunks: list[Chunk], fps: int, output: Path, *, listing: Path, audio: Path | None = None,
              audio_args: Sequence[str] = ()) -> list[str]:
    """One video from the chunks, the picture copied (no frame decoded or encoded again); with
    `audio`, the sound encoded once beside it."""
    write_join_list(chunks, fps, listing)
    sound = ["-i", str(audio), "-map", "0:v", "-map", "1:a", *audio_args] if audio else ["-map", "0:v", "-an"]
    return [*input_args(listing), *sound, "-c:v", "copy",
            "-movflags", "+faststart", str(output)]


def encode_preview(
    scene: SceneEncode,
    fmt: VideoFormat,
    store: Path,
    output: Path,
    *,
    cancel: CancelToken,
    slots: ProcessSlots,
    work_dir: Path,
    digest: Callable[[Path], str],
    run: Callable[..., None] = run_ffmpeg,
) -> EncodedScene:
    """The reviewer's preview of a scene, made of the very chunks the final cut will join: the
    scene is encoded once, in the final settings, when it is first shown."""
    encoded = encode_scene(scene, fmt, store, cancel=cancel, slots=slots, work_dir=work_dir, digest=digest, run=run)
    run_ffmpeg(join_args(encoded.chunks, fmt.fps, output, listing=work_dir / f"{scene.label}.ffconcat"),
               cancel=cancel, slots=slots, log_path=work_dir / f"{scene.label}.join.log",
               what=f"joining the preview of {scene.label}")
    return encoded
