"""Encode once: a scene's picture is encoded in the final settings as chunks, each kept under a
key made of what it shows, and the final cut joins the chunks with stream copy.

Why this works: frame k of a composed scene depends only on its layers and on k, never on how
long the scene is (backgrounds loop, clips and stills hold their last frame). So a scene cut
into chunks of `CHUNK_SECONDS` whole frames can be made longer or shorter (a new voice) and
every whole chunk before the change is still right: only the last one, and any chunk whose
burned captions changed, is encoded again. Each chunk starts on a key frame and every chunk
is encoded with the same codec, size, frame rate and pixel format, so the concat demuxer
joins them without decoding. The audio is muxed once, in the same run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ..processes import CancelToken, ChildProcessFailed, ProcessSlots
from .captions import ass_filter
from .ffmpeg import probe, run_ffmpeg
from .formats import VideoFormat
from .layers import ClipSkip, Inputs, Keyframes, SceneSources, logo_filter, scene_filter

CHUNK_SECONDS = 2
# Part of every key: change it when the filter graph or the encoder settings change, so chunks
# made the old way are never joined with new ones.
ENCODE_VERSION = "1"
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


@dataclass(frozen=True)
class EncodedScene:
    chunks: list[Chunk]
    # How many of the scene's frames this run encoded (0: every chunk was already made).
    encoded_frames: int


def chunk_bounds(frames: int, fps: int) -> list[tuple[int, int]]:
    """(first frame, length) of each chunk of a scene `frames` long; the last may be short."""
    size = CHUNK_SECONDS * fps
    return [(start, min(size, frames - start)) for start in range(0, frames, size)]


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
        there needs to know of the captions (None when none shows)."""
        shown = [[round(a - start, 2), round(b - start, 2), text] for a, b, text in self.events if a < end and b > start]
        return [self.header, shown] if shown else None


def chunk_key(identity: dict[str, object], first: int, length: int, captions: list[object] | None) -> str:
    text = json.dumps({"picture": identity, "first": first, "length": length, "captions": captions}, sort_keys=True)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=20).hexdigest()


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
    """The scene's chunks in `store`, encoding only those not already there: one ffmpeg run
    from the first missing chunk to the scene's end, split at the chunk boundaries."""
    fps, frames = fmt.fps, scene.sources.frames
    identity = picture_identity(scene, fmt, digest)
    script = CaptionScript.read(scene.captions, scene.fonts_dir) if scene.captions else None
    keys = []
    for first, length in chunk_bounds(frames, fps):
        at = (scene.start_frame + first) / fps
        shown = script.within(at, at + length / fps) if script else None
        keys.append((store / f"{chunk_key(identity, first, length, shown)}.mp4", length))
    missing = [n for n, (path, _) in enumerate(keys) if not path.exists()]
    chunks = [Chunk(path, length) for path, length in keys]
    if not missing:
        return EncodedScene(chunks, 0)
    begin = missing[0] * CHUNK_SECONDS * fps
    store.mkdir(parents=True, exist_ok=True)
    parts = Path(tempfile.mkdtemp(prefix=f".{scene.label}-", dir=store))
    try:
        run(
            encode_args(scene, fmt, begin, parts, work_dir),
            cancel=cancel, slots=slots, log_path=work_dir / f"{scene.label}.encode.log",
            what=f"encoding scene {scene.label}", expected_seconds=(frames - begin) / fps,
        )
        made = sorted(parts.glob("part*.mp4"))
        if len(made) != len(keys) - missing[0]:
            raise ChildProcessFailed(f"ffmpeg made {len(made)} chunk(s) of scene {scene.label}, "
                                     f"not {len(keys) - missing[0]}")
        for part, (path, _) in zip(made, keys[missing[0]:]):
            os.replace(part, path)  # atomic: a chunk in the store is always whole
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    return EncodedScene(chunks, frames - begin)


def clip_skip(sources: SceneSources, fmt: VideoFormat, begin: int) -> ClipSkip | None:
    """How a scene can start at frame `begin` without composing the frames before it: when it
    is a clip alone at the video's frame rate (a Manim scene), by reading the clip from there.
    A new voice re-encodes only each scene's last chunk, and this spares composing the rest."""
    if begin == 0 or not sources.clip_alone:
        return None
    assert sources.clip is not None
    info = probe(sources.clip)
    if info.fps is None or abs(info.fps - fmt.fps) > 1e-6:
        return None  # the fps filter would resample it: frame k of the clip is not frame k
    return ClipSkip(begin, max(1, round(info.duration * fmt.fps)))


def encode_args(scene: SceneEncode, fmt: VideoFormat, begin: int, parts: Path, work_dir: Path) -> list[str]:
    """ffmpeg's arguments: compose the scene from frame `begin`, add the logo and the captions,
    and write the chunks from there on as part0000.mp4, part0001.mp4, …"""
    inputs = Inputs()
    label = scene.label
    skip = clip_skip(scene.sources, fmt, begin)
    chains = scene_filter(scene.sources, fmt, inputs, label, work_dir, skip=skip)
    # A layered scene composes the frames before `begin` but never encodes them (a looped
    # background cannot be sought frame-exactly); the captions see video time.
    at = (scene.start_frame + begin) / fmt.fps
    dropped = 0 if skip else begin
    chains.append(f"[{label}]trim=start_frame={dropped},setpts=PTS-STARTPTS+{at:.6f}/TB[{label}_from]")
    current = f"{label}_from"
    if scene.logo is not None:
        chains.append(logo_filter(inputs, scene.logo, current, f"{label}_branded", fmt))
        current = f"{label}_branded"
    captions = f"{ass_filter(scene.captions, scene.fonts_dir)}," if scene.captions else ""
    chains.append(f"[{current}]{captions}setpts=PTS-STARTPTS,format=yuv420p[{label}_out]")
    size = CHUNK_SECONDS * fmt.fps
    splits = list(range(size, scene.sources.frames - begin, size))
    return [
        *inputs.args,
        "-filter_complex", ";".join(chains),
        "-map", f"[{label}_out]", "-an", *VIDEO_CODEC_ARGS, "-r", str(fmt.fps),
        # A key frame at every chunk's first frame, and the file split there.
        "-force_key_frames", f"expr:eq(mod(n,{size}),0)",
        "-f", "segment", *(["-segment_frames", ",".join(map(str, splits))] if splits else []),
        "-reset_timestamps", "1", "-segment_format", "mp4",
        str(parts / "part%04d.mp4"),
    ]


def chunk_store(video_dir: Path) -> Path:
    """Where a video's chunks are kept: its previews and every render of it share them."""
    return video_dir / "chunks"


def write_join_list(chunks: list[Chunk], fps: int, path: Path) -> Path:
    """An ffconcat script of the chunks, each with its exact length: the concat demuxer would
    otherwise take each file's millisecond-rounded duration, and drift from the audio."""
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
    return ["-f", "concat", "-safe", "0", "-i", str(listing), *sound, "-c:v", "copy",
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
