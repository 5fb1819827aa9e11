"""A plain Manim clip is encoded once, as the final cut's chunks: the frames Manim draws go into
one ffmpeg in the final settings, the clip is those chunks joined, and a render joins them again
as they are, encoding only where a scene outlives its clip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from creator_service.manim_scenes.chunked_writer import ChunkEncoder
from creator_service.processes import CancelToken, ProcessSlots
from creator_service.rendering.layers import SceneSources
from creator_service.rendering.manim_clips import ClipJob, chunks_path, clip_chunks, render_clips
from creator_service.rendering.palettes import PALETTES
from creator_service.rendering.scene_chunks import (
    CHUNK_SECONDS,
    FileDigests,
    SceneEncode,
    adopt_chunks,
    encode_scene,
)

from .test_scene_chunks import FMT, _composed_in_one_run, _frames, _join, _worst_psnr

CHUNK = CHUNK_SECONDS * FMT.fps


def _key_frames(video: Path) -> list[int]:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time,flags",
                          "-of", "csv=p=0", str(video)], capture_output=True, text=True, check=True).stdout
    return [round(float(line.split(",")[0]) * FMT.fps) for line in out.splitlines() if "K" in line.split(",")[1]]


def _header(video: Path) -> str:
    """The stream's codec header (SPS and PPS): chunks joined by stream copy must share it."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_streams", "-show_data", str(video)],
                         capture_output=True, text=True, check=True).stdout
    return out.split("extradata=", 1)[1].split("extradata_size", 1)[0]


def _moving_frames(count: int) -> list[np.ndarray]:
    """Frames that each differ (a bar moving across, a shade that changes): one out of place shows."""
    frames = []
    for n in range(count):
        pixels = np.zeros((FMT.height, FMT.width, 4), np.uint8)
        pixels[..., 3] = 255
        pixels[..., 2] = 40 + 4 * n
        pixels[20:80, (n * 4) % (FMT.width - 12):(n * 4) % (FMT.width - 12) + 12, :3] = 230
        frames.append(pixels)
    return frames


@pytest.mark.render
def test_frames_piped_to_the_encoder_become_chunks_a_render_joins_as_they_are(tmp_path: Path) -> None:
    encoder = ChunkEncoder(FMT, tmp_path / "clip.chunks")
    frames = _moving_frames(2 * CHUNK + 7)
    for pixels in frames[:-2]:
        encoder.write(pixels)
    encoder.write(frames[-2], repeat=2)  # a held frame, as Manim's `wait` writes it
    chunks = encoder.close()
    assert [chunk.frames for chunk in chunks] == [CHUNK, CHUNK, 7]
    assert [_frames(chunk.path) for chunk in chunks] == [CHUNK, CHUNK, 7]

    # The clip is the chunks joined, each starting on a key frame; each frame is the one
    # written (lossy, so compared by PSNR).
    clip = _join(chunks, tmp_path, "clip")
    assert _frames(clip) == 2 * CHUNK + 7
    assert {0, CHUNK, 2 * CHUNK} <= set(_key_frames(clip))
    written = tmp_path / "written.mp4"
    raw = b"".join(f.tobytes() for f in [*frames[:-1], frames[-2]])
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{FMT.width}x{FMT.height}",
                    "-framerate", str(FMT.fps), "-i", "pipe:0", "-c:v", "libx264", "-crf", "1", str(written)],
                   input=raw, check=True)
    assert _worst_psnr(clip, written, tmp_path) > 35

    # Adopted into the store, the chunks are what a render of that clip alone finds: a scene
    # longer than the clip encodes only from its first chunk the clip does not fill.
    store, work = tmp_path / "store", tmp_path / "work"
    work.mkdir()
    clip_file = tmp_path / "clip_only.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-map", "0:v", "-c", "copy", str(clip_file)], check=True)
    assert adopt_chunks(clip_file, chunks, FMT, store, FileDigests()) == 3
    longer = SceneEncode("s0", SceneSources(frames=3 * CHUNK + 3, clip=clip_file), 0)
    made = encode_scene(longer, FMT, store, cancel=CancelToken(), slots=ProcessSlots(2), work_dir=work,
                        digest=FileDigests())
    assert made.encoded_frames == 3 * CHUNK + 3 - 2 * CHUNK
    assert [c.path.stat().st_ino for c in made.chunks[:2]] == [c.path.stat().st_ino for c in chunks[:2]]
    # Chunks from the two encoders share one header, so the concat demuxer can join them.
    assert _header(made.chunks[0].path) == _header(made.chunks[2].path)
    joined = _join(made.chunks, tmp_path, "longer")
    assert _frames(joined) == 3 * CHUNK + 3
    direct = _composed_in_one_run(SceneSources(frames=3 * CHUNK + 3, clip=clip_file), tmp_path)
    assert _worst_psnr(joined, direct, tmp_path) > 30


def test_chunks_cut_anywhere_but_the_chunk_bounds_are_refused(tmp_path: Path) -> None:
    from creator_service.rendering.scene_chunks import Chunk

    odd = [Chunk(tmp_path / "a.mp4", CHUNK - 1), Chunk(tmp_path / "b.mp4", 5)]
    with pytest.raises(ValueError, match="chunk bounds"):
        adopt_chunks(tmp_path / "clip.mp4", odd, FMT, tmp_path / "store", FileDigests())


@pytest.mark.render
def test_a_manim_clip_written_as_chunks_shows_what_manims_own_encoder_shows(tmp_path: Path) -> None:
    spec = {"kind": "hook", "on_screen_text": "Metformin", "drug": "Metformin", "indication": "type 2 diabetes",
            "title": "", "eyebrow": "", "bullets": [], "lines": [], "caption": "", "figures": [],
            "palette": PALETTES["ocean"], "font": None}
    jobs = [ClipJob(index=n, scene="social_media.hook", seconds=10.0, spec=spec, output=tmp_path / f"clip{n}.mp4",
                    design_aspect="9:16", final_chunks=n == 1) for n in (0, 1)]
    render_clips(jobs, FMT, work_dir=tmp_path, cancel=CancelToken(), slots=ProcessSlots(2),
                 progress=lambda fraction, detail: None)
    manims, chunked = jobs[0].output, jobs[1].output
    assert clip_chunks(manims) is None and not chunks_path(manims).exists()
    chunks = clip_chunks(chunked)
    assert chunks is not None and len(chunks) >= 2
    frames = _frames(chunked)
    assert frames == _frames(manims) == sum(chunk.frames for chunk in chunks)
    # A key frame at every chunk bound, so the chunks are cut from the clip exactly.
    assert set(range(0, frames, CHUNK)) <= set(_key_frames(chunked))
    # Every frame of every animation, in order (one out of place or missing drops the PSNR).
    assert _worst_psnr(chunked, manims, tmp_path) > 30
