"""Compose a scene from its layers with ffmpeg, to an exact number of frames.

A scene starts from a finished clip (a Manim animation, held on its last frame) or a moving
background (stock footage or generated light, looped); over it go, in order, a still backdrop
(a scrim), a foreground that is still once its entrance is over (a transparent Manim video, or
Remotion key frames) and an overlay layer (lower thirds, callouts). Because every layer is still
after its entrance, a scene can be made any length, and frame k of it is the same whatever the
length. The visuals and animations stages compose each scene at its planned length for the
reviewer's preview, as the final chunks (scene_chunks.py), or, when the render will burn
captions over every scene and so encode it again anyway, as a quick half-size preview
(`compose_clip`); the render stage composes at the voice's length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..processes import CancelToken, ProcessSlots
from .ffmpeg import input_args, run_ffmpeg
from .formats import VideoFormat


@dataclass(frozen=True)
class Keyframes:
    """PNG frames rendered at scene-local frame numbers; each is shown until the next."""

    files: list[Path]
    frames: list[int]

    def __post_init__(self) -> None:
        if len(self.files) != len(self.frames) or not self.frames or self.frames[0] != 0:
            raise ValueError("key frames must start at frame 0, one file per frame")


@dataclass(frozen=True)
class SceneSources:
    frames: int
    clip: Path | None = None
    background: Path | None = None
    # Where in the background to start (scenes share one loop of generated footage).
    background_offset: float = 0.0
    # A still laid over the background for the whole scene (a scrim, a gradient card).
    backdrop: Path | None = None
    foreground_video: Path | None = None
    foreground_keys: Keyframes | None = None
    overlay_keys: Keyframes | None = None

    @property
    def clip_alone(self) -> bool:
        """A finished clip with nothing laid over it (a Manim scene): its frame k is the clip's."""
        layers = (self.background, self.backdrop, self.foreground_video, self.foreground_keys, self.overlay_keys)
        return self.clip is not None and all(layer is None for layer in layers)


@dataclass(frozen=True)
class Skip:
    """Start a scene at frame `frames`, composing as little as possible of what comes before.

    A clip alone at the video's frame rate, whose frame k is the scene's frame k (`clip_frames`
    given), is read from there, or from its last frame, held, when the scene has outlived it.
    Any other scene's layers are cut there before they are laid over each other, so no frame
    before it is composed, and a key-frame layer starts at the key shown there: its earlier
    keys are not even read. Frame k of the result is frame `frames` + k of the whole scene."""

    frames: int
    clip_frames: int | None = None


@dataclass
class Inputs:
    """ffmpeg's input arguments, numbered as they are added."""

    args: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, *args: str) -> int:
        self.args.extend(args)
        self.count += 1
        return self.count - 1


def write_hold_list(keys: Keyframes, length: int, fps: int, path: Path) -> Path:
    """An ffconcat script showing each key frame until the next one, `length` frames in all."""
    lines = ["ffconcat version 1.0"]
    shown = [(f, file) for f, file in zip(keys.frames, keys.files) if f < length]
    for (frame, file), following in zip(shown, [*(f for f, _ in shown[1:]), length]):
        lines.append(f"file '{file.resolve().as_posix()}'")
        lines.append(f"duration {(following - frame) / fps:.6f}")
    # The concat demuxer ignores the last entry's duration unless the file is listed again.
    lines.append(f"file '{shown[-1][1].resolve().as_posix()}'")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# The logo's height as a share of the frame's shorter side.
LOGO_HEIGHT_SHARE = 0.11


def preview_format(fmt: VideoFormat) -> VideoFormat:
    """The size composed previews are made at: half size for HD videos.

    A reviewer judges a scene's footage, layout and words in a player a few hundred pixels
    wide; half size shows them just as well, costs about half as much to compose, and streams
    to the browser faster. The final cut is always composed at full size from the same layers.
    """
    if min(fmt.width, fmt.height) < 1080:
        return fmt
    return VideoFormat(fmt.width // 2 // 2 * 2, fmt.height // 2 // 2 * 2, fmt.fps)


def scene_filter(
    sources: SceneSources, fmt: VideoFormat, inputs: Inputs, label: str, work_dir: Path,
    *, scale_layers: bool = False, skip: Skip | None = None,
) -> list[str]:
    """Filter chains that leave the scene, exactly `sources.frames` long, on `[label]`; with
    `skip`, only its frames from `skip.frames` on.

    `scale_layers`: the layers were made at another size than `fmt` (a half-size preview).
    """
    fps = fmt.fps
    begin = skip.frames if skip else 0
    n = sources.frames - begin
    seconds = n / fps
    exact = f"trim=end_frame={n},setpts=PTS-STARTPTS"
    # A layer whose frames follow the scene's from its first: cut at `begin`, n frames left.
    cut = f"trim=start_frame={begin}:end_frame={sources.frames},setpts=PTS-STARTPTS" if begin else exact
    fit = (
        f"scale={fmt.width}:{fmt.height}:force_original_aspect_ratio=decrease,"
        f"pad={fmt.width}:{fmt.height}:(ow-iw)/2:(oh-ih)/2,setsar=1"
    )
    chains: list[str] = []
    if skip is not None and skip.clip_frames is not None and not sources.clip_alone:
        raise ValueError("only a scene that is a clip alone can be read from part way")
    if sources.clip is not None and skip is not None and skip.clip_frames is not None:
        # A finished clip alone, read from frame `begin` (or its last, held).
        seek: list[str] = []
        restart = ""
        first = min(skip.frames, skip.clip_frames - 1)
        if first > 0:
            # Seeking is exact when decoding: half a frame early keeps frame `first` and
            # drops the one before, whatever the rounding; its clock then restarts at 0.
            seek, restart = ["-ss", f"{(first - 0.5) / fps:.6f}"], "setpts=PTS-STARTPTS,"
        index = inputs.add(*seek, "-i", str(sources.clip))
        chains.append(
            f"[{index}:v]{restart}fps={fps},{fit},tpad=stop_mode=clone:stop_duration={seconds:.3f},"
            f"{exact},format=yuv420p[{label}_0]"
        )
    elif sources.clip is not None:
        # A finished clip, held on its last frame when the scene runs longer.
        index = inputs.add("-i", str(sources.clip))
        chains.append(
            f"[{index}:v]fps={fps},{fit},tpad=stop_mode=clone:stop_duration={sources.frames / fps:.3f},"
            f"{cut},format=yuv420p[{label}_0]"
        )
    elif sources.background is not None:
        index = inputs.add(
            "-stream_loop", "-1", "-ss", f"{sources.background_offset:.3f}", "-i", str(sources.background)
        )
        chains.append(f"[{index}:v]fps={fps},{fit},{cut},format=yuv420p[{label}_0]")
    else:
        raise ValueError("a scene needs a clip or a background")
    current = f"{label}_0"
    # Layers are converted to YUV with alpha before frames are repeated, so each distinct
    # picture is converted once, and are held on their last frame for the rest of the scene.
    hold = f"tpad=stop_mode=clone:stop_duration={sources.frames / fps:.3f},{cut}"
    # Key frames are first seen from `begin` (`from_frame`): their layer needs no cut.
    keys_hold = f"tpad=stop_mode=clone:stop_duration={seconds:.3f},{exact}"
    to_yuva = f"scale={fmt.width}:{fmt.height},format=yuva420p" if scale_layers else "format=yuva420p"
    layers: list[str] = []
    if sources.backdrop is not None:
        # One decoded picture: overlay repeats an input's last frame until the scene ends.
        index = inputs.add("-framerate", str(fps), "-i", str(sources.backdrop))
        layers.append(f"[{index}:v]{to_yuva}")
    if sources.foreground_video is not None:
        index = inputs.add("-i", str(sources.foreground_video))
        layers.append(f"[{index}:v]{to_yuva},fps={fps},{hold}")
    for name, keys in (("fg", sources.foreground_keys), ("ov", sources.overlay_keys)):
        if keys is not None:
            layers.append(_keyframe_layer(from_frame(keys, begin), n, fps, inputs,
                                          work_dir / f"{label}_{name}.ffconcat", keys_hold, to_yuva))
    for number, layer in enumerate(layers, start=1):
        chains.append(f"{layer}[{label}_l{number}]")
        chains.append(f"[{current}][{label}_l{number}]overlay=format=yuv420[{label}_{number}]")
        current = f"{label}_{number}"
    chains.append(f"[{current}]null[{label}]")
    return chains


_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<number>\d+)(?P<suffix>\.png)$")


def from_frame(keys: Keyframes, begin: int) -> Keyframes:
    """The key frames of a layer as seen from frame `begin` on: the key shown at `begin` becomes
    frame 0, and the keys before it are left out."""
    if begin <= 0:
        return keys
    shown = max(n for n, frame in enumerate(keys.frames) if frame <= begin)
    return Keyframes(files=keys.files[shown:], frames=[0, *(f - begin for f in keys.frames[shown + 1:])])


def _keyframe_layer(
    keys: Keyframes, length: int, fps: int, inputs: Inputs, script: Path, hold: str, to_yuva: str
) -> str:
    """Key frames as an input: a numbered image sequence when they are consecutive frames in
    consecutively numbered files (an entrance, then a hold: the usual case, and cheap to read);
    otherwise an ffconcat script with a duration per frame."""
    first = _NUMBERED.match(keys.files[0].name)
    numbers = [_NUMBERED.match(f.name) for f in keys.files]
    consecutive = (
        first is not None
        and keys.frames == list(range(len(keys.frames)))
        and all(m is not None and m["stem"] == first["stem"] for m in numbers)
        and [int(m["number"]) for m in numbers if m] == list(range(int(first["number"]), int(first["number"]) + len(numbers)))
        and len({f.parent for f in keys.files}) == 1
    )
    if consecutive and first is not None:
        pattern = keys.files[0].parent / f"{first['stem']}%0{len(first['number'])}d{first['suffix']}"
        index = inputs.add("-framerate", str(fps), "-start_number", first["number"], "-i", str(pattern))
        shown = min(len(keys.frames), length)
        return f"[{index}:v]trim=end_frame={shown},{to_yuva},{hold}"
    listing = write_hold_list(keys, length, fps, script)
    index = inputs.add(*input_args(listing))
    return f"[{index}:v]{to_yuva},fps={fps},{hold}"


def logo_filter(inputs: Inputs, logo: Path, source: str, label: str, fmt: VideoFormat) -> str:
    """The brand logo in the top-right corner, a margin in from the edges, sized to the frame
    (a no-op in the final cut, which the logo was prepared for; smaller in a preview)."""
    # A single picture, decoded once: overlay repeats it to the end of the video.
    index = inputs.add("-i", str(logo))
    margin = round(min(fmt.width, fmt.height) * 0.04)
    height = round(min(fmt.width, fmt.height) * LOGO_HEIGHT_SHARE)
    return (
        f"[{index}:v]scale=-2:{height},format=yuva420p[{label}_logo];"
        f"[{source}][{label}_logo]overlay=W-w-{margin}:{margin}:format=yuv420[{label}]"
    )


@dataclass(frozen=True)
class Thumbnail:
    """A still of a composed clip: frame `frame`, `width` pixels wide."""

    path: Path
    frame: int
    width: int


def thumbnail_frame(frames: int) -> int:
    """Which frame of a scene of `frames` its thumbnail shows: past the entrance, before the exit."""
    return min(round(frames * 0.6), max(0, frames - 1))


def thumbnail_path(clip: Path) -> Path:
    """Where a scene's preview clip has its thumbnail."""
    return clip.with_suffix(".jpg")


def compose_clip(
    sources: SceneSources,
    fmt: VideoFormat,
    output: Path,
    *,
    cancel: CancelToken,
    slots: ProcessSlots,
    work_dir: Path,
    logo: Path | None = None,
    thumbnail: Thumbnail | None = None,
    run: Callable[..., None] = run_ffmpeg,
) -> VideoFormat:
    """One scene as a preview clip (encoded fast at high quality) at `preview_format(fmt)`,
    which it returns; `fmt` is the size the layers were made for. `thumbnail`, if asked for,
    is written by the same run. `run` runs ffmpeg (here, or on the workers: on_workers.py)."""
    inputs = Inputs()
    # Labels name the files a scene's filter writes: unique per clip, so clips compose in parallel.
    label = output.stem
    size = preview_format(fmt)
    chains = scene_filter(sources, size, inputs, label, work_dir, scale_layers=size != fmt)
    final = label
    if logo is not None:
        chains.append(logo_filter(inputs, logo, label, "branded", size))
        final = "branded"
    still: list[str] = []
    if thumbnail is not None:
        frame = min(max(0, thumbnail.frame), sources.frames - 1)
        chains.append(f"[{final}]split[{label}_video][{label}_still]")
        chains.append(f"[{label}_still]select=eq(n\\,{frame}),scale={thumbnail.width}:-2[{label}_thumb]")
        final = f"{label}_video"
        still = ["-map", f"[{label}_thumb]", "-frames:v", "1", "-update", "1", str(thumbnail.path)]
    run(
        [*inputs.args, "-filter_complex", ";".join(chains), "-map", f"[{final}]", "-an",
         "-frames:v", str(sources.frames), "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16",
         "-r", str(size.fps), str(output), *still],
        cancel=cancel, slots=slots, log_path=work_dir / f"{label}.compose.log",
        what=f"composing {output.name}", expected_seconds=sources.frames / size.fps,
    )
    return size
