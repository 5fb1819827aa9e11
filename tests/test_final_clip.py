"""A Manim clip shown alone is encoded once: by ffmpeg, in the final settings, on the chunk grid,
and the render cuts it into the final cut's chunks instead of encoding it again.

Real Manim renders at a tiny size, real ffmpeg; each test a second or two.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from creator_service.manim_scenes.worker import prepare, render_job
from creator_service.processes import CancelToken, ProcessSlots
from creator_service.rendering.captions import Spoken, write_ass
from creator_service.rendering.formats import VideoFormat
from creator_service.rendering.layers import SceneSources
from creator_service.rendering.palettes import PALETTES
from creator_service.rendering.scene_chunks import (
    CHUNK_SECONDS,
    FileDigests,
    SceneEncode,
    clip_grid,
    encode_scene,
    grid_path,
    join_args,
)

from .helpers import ffprobe

pytestmark = pytest.mark.render

FMT = VideoFormat(192, 108, 6)
GRID = CHUNK_SECONDS * FMT.fps
SPEC: dict[str, Any] = {
    "kind": "context", "title": "How it works", "on_screen_text": "Lowers blood sugar gently",
    "eyebrow": "Type 2 diabetes", "bullets": ["Take with meals", "Check your levels"],
    "drug": "Metformin", "indication": "type 2 diabetes", "lines": ["May cause stomach upset."],
    "caption": "", "font": None, "duration": 9.0, "figures": [], "palette": PALETTES["ocean"],
}


@pytest.fixture(scope="module")
def registry() -> dict[str, type]:
    return prepare()


def _job(tmp_path: Path, name: str, *, final: bool, scene: str = "moa.context") -> dict[str, Any]:
    return {
        "index": 0, "scene": scene, "width": FMT.width, "height": FMT.height, "fps": FMT.fps,
        "media_dir": str(tmp_path / f"media-{name}"), "output": str(tmp_path / "clips" / f"{name}.mp4"),
        "transparent": False, "design_aspect": "16:9", "spec": SPEC, "also": [], "final": final,
    }


def _key_frames(video: Path) -> list[int]:
    lines = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "frame=key_frame",
                            "-of", "csv=p=0", str(video)], capture_output=True, text=True, check=True).stdout.split()
    return [n for n, key in enumerate(lines) if key.strip(",") == "1"]


def _frames(video: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, FMT.height, FMT.width, 3).astype(int)


def _packets(video: Path) -> list[str]:
    """A digest of each coded picture, in order: equal lists are the same bitstream."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-map", "0:v", "-c", "copy", "-f", "framemd5", "-"],
                         capture_output=True, text=True, check=True).stdout
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def _extradata(video: Path) -> str:
    import av

    with av.open(str(video)) as container:
        return hashlib.sha1(bytes(container.streams.video[0].codec_context.extradata)).hexdigest()


def test_a_final_clip_is_the_scene_in_the_final_settings_with_a_key_frame_on_each_chunk(
    registry: dict[str, type], tmp_path: Path
) -> None:
    quick = render_job(0, _job(tmp_path, "quick", final=False), registry)
    final = render_job(0, _job(tmp_path, "final", final=True), registry)

    stream = ffprobe(final)["streams"][0]
    assert (stream["codec_name"], stream["pix_fmt"], stream["width"], stream["height"]) == ("h264", "yuv420p", 192, 108)
    assert stream["r_frame_rate"] == "6/1" and stream["sample_aspect_ratio"] == "1:1"
    frames = int(stream["nb_frames"])
    assert frames > 2 * GRID  # long enough to have chunks after the first
    assert set(range(0, frames, GRID)) <= set(_key_frames(final))
    assert json.loads(grid_path(final).read_text()) == clip_grid(FMT.fps)
    assert not grid_path(quick).exists()
    # The same pictures as Manim's own clip, up to the two encoders' losses.
    ours, manims = _frames(final), _frames(quick)
    assert ours.shape == manims.shape
    assert float(np.abs(ours - manims).mean()) < 2.0
    assert json.loads(final.with_name("final.layout.json").read_text())["text_boxes"]


def test_the_render_cuts_a_final_clip_into_its_chunks_and_encodes_only_the_hold(
    registry: dict[str, type], tmp_path: Path
) -> None:
    final = render_job(0, _job(tmp_path, "final", final=True), registry)
    clip_frames = int(ffprobe(final)["streams"][0]["nb_frames"])
    frames = clip_frames + 3 * FMT.fps + 2  # the voice runs on: a hold of three seconds and a bit
    store = tmp_path / "chunks"

    made = encode_scene(SceneEncode("s0", SceneSources(frames=frames, clip=final), 0), FMT, store,
                        cancel=CancelToken(), slots=ProcessSlots(2), work_dir=tmp_path, digest=FileDigests())

    assert made.copied_frames == clip_frames
    assert made.encoded_frames <= 2 * FMT.fps  # one held chunk for the whole hold, and the short last one
    # The cut chunks are the clip's own coded pictures, not encoded again.
    cut = made.chunks[: -(-clip_frames // GRID)]
    assert sum(chunk.frames for chunk in cut) == clip_frames
    assert [packet for chunk in cut for packet in _packets(chunk.path)] == _packets(final)
    # A cut chunk and an encoded one are one stream to a decoder: the same parameter sets.
    assert _extradata(made.chunks[0].path) == _extradata(made.chunks[-1].path)

    joined = tmp_path / "scene.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *join_args(made.chunks, FMT.fps, joined, listing=tmp_path / "l.ffconcat")],
                   check=True)
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(joined), "-f", "null", "-"],
                             capture_output=True, text=True, check=True)
    assert decoded.stderr == ""  # not a single decoding complaint
    pictures = _frames(joined)
    assert len(pictures) == frames
    # The animation is the clip's, picture for picture; the hold is its last picture.
    clip_pictures = _frames(final)
    assert np.array_equal(pictures[:clip_frames], clip_pictures)
    assert float(np.abs(pictures[-1] - clip_pictures[-1]).mean()) < 2.0


def test_a_clip_with_something_over_it_or_off_the_grid_is_encoded_not_cut(
    registry: dict[str, type], tmp_path: Path
) -> None:
    final = render_job(0, _job(tmp_path, "final", final=True), registry)
    quick = render_job(0, _job(tmp_path, "quick", final=False), registry)
    clip_frames = int(ffprobe(final)["streams"][0]["nb_frames"])
    logo = tmp_path / "logo.png"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=blue:s=20x10", "-frames:v", "1", str(logo)],
                   check=True)

    def encode(clip: Path, frames: int, **over: Any) -> Any:
        return encode_scene(SceneEncode(f"s{len(list(tmp_path.glob('*.encode.log')))}", SceneSources(frames=frames, clip=clip),
                                        0, **over), FMT, tmp_path / "chunks", cancel=CancelToken(),
                            slots=ProcessSlots(2), work_dir=tmp_path, digest=FileDigests())

    hold = clip_frames + FMT.fps
    with_logo = encode(final, hold, logo=logo)
    assert with_logo.copied_frames == 0 and with_logo.encoded_frames >= clip_frames
    without_grid = encode(quick, hold)
    assert without_grid.copied_frames == 0 and without_grid.encoded_frames >= clip_frames
    # A scene that ends inside the animation (a voice shorter than the clip) ends off the grid:
    # its whole chunks are cut, and the short last one is encoded.
    cut_short = encode(final, clip_frames - 1)
    whole = (clip_frames - 1) // GRID * GRID
    assert (cut_short.copied_frames, cut_short.encoded_frames) == (whole, clip_frames - 1 - whole)


def test_captions_burned_only_over_the_hold_leave_the_animation_cut(registry: dict[str, type], tmp_path: Path) -> None:
    """A promotional video burns its captions over the safety scenes only: every scene's
    encode gets the captions file. A scene with none shown while its clip moves has its whole
    chunks cut, up to the first one that reaches the captions or passes the clip's end."""
    final = render_job(0, _job(tmp_path, "final", final=True), registry)
    clip_frames = int(ffprobe(final)["streams"][0]["nb_frames"])
    moving_seconds = clip_frames / FMT.fps

    def encode(label: str, speech_starts: float) -> Any:
        captions = write_ass([Spoken(start=speech_starts, duration=1.0, text="Rarely, lactic acidosis.")], FMT,
                             PALETTES["ocean"], tmp_path / f"{label}.ass")
        return encode_scene(SceneEncode(label, SceneSources(frames=clip_frames + 2 * FMT.fps, clip=final), 0,
                                        captions=captions), FMT, tmp_path / "chunks", cancel=CancelToken(),
                            slots=ProcessSlots(2), work_dir=tmp_path, digest=FileDigests())

    over_the_hold = encode("hold", moving_seconds + 0.2)
    assert over_the_hold.copied_frames == clip_frames // GRID * GRID > 0
    # Cut chunks, then encoded ones from the middle of the clip on: one clean stream.
    joined = tmp_path / "hold.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *join_args(over_the_hold.chunks, FMT.fps, joined,
                                                              listing=tmp_path / "hold.ffconcat")], check=True)
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(joined), "-f", "null", "-"],
                             capture_output=True, text=True, check=True)
    assert decoded.stderr == "" and len(_frames(joined)) == clip_frames + 2 * FMT.fps
    while_it_moves = encode("moving", 0.5)
    # Captions over its first chunk: nothing is cut from there on. Only the chunks the first
    # encode did not make (the captioned one, and the hold, now uncaptioned) are encoded; the
    # rest are that encode's chunks.
    first_encode = {chunk.path for chunk in over_the_hold.chunks}
    new = {chunk.path: chunk.frames for chunk in while_it_moves.chunks if chunk.path not in first_encode}
    assert while_it_moves.copied_frames == 0 and while_it_moves.chunks[0].path in new
    assert while_it_moves.encoded_frames == sum(new.values()) < clip_frames
    joined = tmp_path / "moving.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *join_args(while_it_moves.chunks, FMT.fps, joined,
                                                              listing=tmp_path / "moving.ffconcat")], check=True)
    assert len(_frames(joined)) == clip_frames + 2 * FMT.fps


def test_a_final_clip_that_fails_leaves_no_clip_and_no_ffmpeg(registry: dict[str, type], tmp_path: Path) -> None:
    class FailsHalfWay(registry["moa.context"]):  # type: ignore[misc, valid-type]
        def animate(self) -> None:
            super().animate()
            raise RuntimeError("the scene broke")

    registry = {**registry, "test.broken": FailsHalfWay}
    job = _job(tmp_path, "broken", final=True, scene="test.broken")
    with pytest.raises(RuntimeError, match="the scene broke"):
        render_job(0, job, registry)
    clips = tmp_path / "clips"
    assert not clips.exists() or list(clips.iterdir()) == []  # no clip, no half-written one, no grid
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    assert not [pid for pid in children if "ffmpeg" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
