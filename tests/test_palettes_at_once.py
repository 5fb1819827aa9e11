"""One Manim pass drawing a scene in several palettes draws what a render in each palette draws.

The colour rules run in milliseconds. The scene test renders every registered scene for real,
at a tiny size: once in each of two palettes, then once for both. Frames are compared as the
pixels handed to the encoder, before any compression could hide or invent a difference. A scene
drawing a colour the key cannot read falls back to one render per palette. Last, a branch of
two colour variants on a real server draws each scene once for both.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from manim.scene.video_segment_encoder import VideoSegmentEncoder

from creator_service.manim_scenes.palettes_at_once import FIXED, KEY, ColourMap, UnknownColour, unambiguous
from creator_service.manim_scenes.worker import prepare, render_job, scene_classes
from creator_service.rendering.palettes import PALETTES

from .helpers import SOCIAL_BRIEF, Creator, Server, ffprobe


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])


def test_a_key_colour_and_a_mix_of_two_read_as_the_palettes() -> None:
    clinic = PALETTES["clinic"]
    colours = ColourMap(clinic)
    assert np.allclose(colours.rgb(_rgb(KEY["accent"])), _rgb(clinic["accent"]))
    # A Transform a quarter of the way from primary to warning.
    mix = 0.75 * _rgb(KEY["primary"]) + 0.25 * _rgb(KEY["warning"])
    assert np.allclose(colours.rgb(mix), 0.75 * _rgb(clinic["primary"]) + 0.25 * _rgb(clinic["warning"]))
    # Manim's own white stays white, and a Write's white outline filling in with the text
    # colour is the same mix in the palette.
    white = _rgb("#FFFFFF")
    assert np.allclose(colours.rgb(white), white)
    assert np.allclose(colours.rgb(0.4 * white + 0.6 * _rgb(KEY["text"])), 0.4 * white + 0.6 * _rgb(clinic["text"]))
    # Opacity stays as it was.
    assert np.allclose(colours.rgbas(np.array([[*_rgb(KEY["muted"]), 0.3]])), [[*_rgb(clinic["muted"]), 0.3]])
    # A colour that is nothing the key knows is refused, not guessed.
    with pytest.raises(UnknownColour):
        colours.rgb(np.array([0.9, 0.1, 0.5]))


def test_the_key_palette_reads_one_way_and_a_real_palette_would_not() -> None:
    assert unambiguous([*KEY.values(), *FIXED])
    # Ocean's text is Manim's own white: a white outline could be either.
    assert not unambiguous([*PALETTES["ocean"].values(), *FIXED])
    # Three colours on one line: the middle one could be a mix of the other two.
    middle = (_rgb(KEY["primary"]) + _rgb(KEY["warning"])) / 2
    lined = {**KEY, "accent": "#" + "".join(f"{round(v * 255):02X}" for v in middle)}
    assert not unambiguous([*lined.values(), *FIXED])


SPEC: dict[str, Any] = {
    "kind": "", "title": "How it works", "on_screen_text": "Lowers blood sugar gently",
    "eyebrow": "Type 2 diabetes", "bullets": ["Take with meals", "Check your levels"],
    "drug": "Metformin", "indication": "type 2 diabetes",
    "lines": ["May cause stomach upset.", "Rarely, lactic acidosis."],
    "caption": "HbA1c fell 1.1 % at 24 weeks", "font": None, "duration": 2.4,
    "figures": [{"label": "Metformin", "value": 1.1, "unit": "%"}, {"label": "Placebo", "value": 0.2, "unit": "%"}],
}


@pytest.fixture(scope="module")
def registry() -> dict[str, type]:
    return prepare()


class _Recorder:
    """Keeps a copy of every frame handed to Manim's encoder, by the file it goes to."""

    def __init__(self) -> None:
        self.frames: dict[Path, list[np.ndarray]] = {}

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = VideoSegmentEncoder.write_frame
        recorder = self

        def write_frame(encoder: Any, pixels: Any, *, repeat: int = 1) -> None:
            recorder.frames.setdefault(Path(encoder.target), []).extend([pixels.copy()] * repeat)
            original(encoder, pixels, repeat=repeat)

        monkeypatch.setattr(VideoSegmentEncoder, "write_frame", write_frame)

    def written_under(self, folder: Path) -> list[np.ndarray]:
        """Manim writes one segment per animation: the frames of all of them, in order."""
        return [frame for path in sorted(p for p in self.frames if folder in p.parents) for frame in self.frames[path]]


@pytest.mark.render
@pytest.mark.parametrize("scene", sorted(scene_classes()))
def test_every_scene_drawn_alongside_matches_its_own_render(
    scene: str, registry: dict[str, type], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _Recorder()
    recorder.install(monkeypatch)
    transparent = scene.endswith(".footage")
    family, kind = scene.split(".")
    portrait = family == "social_media"
    size = (96, 170) if portrait else (170, 96)
    ext = ".mov" if transparent else ".mp4"

    def job(palette: str, folder: str, also: str | None = None) -> dict[str, Any]:
        return {
            "index": 0, "scene": scene, "width": size[0], "height": size[1], "fps": 6,
            "media_dir": str(tmp_path / folder / "media"), "output": str(tmp_path / folder / f"clip{ext}"),
            "transparent": transparent, "design_aspect": "9:16" if portrait else "16:9",
            "spec": {**SPEC, "kind": kind, "palette": PALETTES[palette]},
            "also": [{"palette": PALETTES[also], "output": str(tmp_path / folder / f"also{ext}")}] if also else [],
        }

    render_job(0, job("ocean", "ocean"), registry)
    render_job(0, job("clinic", "clinic"), registry)
    render_job(0, job("ocean", "together", also="clinic"), registry)

    for palette, drawn_together in (("ocean", f"clip{ext}"), ("clinic", f"also{ext}")):
        alone = recorder.written_under(tmp_path / palette / "media")
        together = recorder.frames[tmp_path / "together" / drawn_together]
        assert len(alone) == len(together) > 0
        worst = max(int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in zip(alone, together))
        # Equal up to rounding: a mix is worked out in another order, and moves one level of 255 at most.
        assert worst <= 1, f"{scene} in {palette}: a frame drawn together differs by {worst} levels from its own render"
        assert (tmp_path / "together" / drawn_together).stat().st_size > 0
    # The two palettes really are two pictures, and each clip has the layout data.
    assert not np.array_equal(recorder.frames[tmp_path / "together" / f"clip{ext}"][-1],
                              recorder.frames[tmp_path / "together" / f"also{ext}"][-1])
    assert (tmp_path / "together" / "also.layout.json").read_text() == (
        tmp_path / "together" / "clip.layout.json").read_text() == (tmp_path / "ocean" / "clip.layout.json").read_text()


@pytest.mark.render
def test_a_colour_the_key_cannot_read_draws_each_palette_on_its_own(
    registry: dict[str, type], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scene that draws a fixed magenta half-way through (no key colour, nor a mix of two).
    The pass for both palettes has already written frames to both clips when it fails; each
    palette is then drawn on its own, and its clip is that render's."""
    from manim import FadeIn, Square

    recorder = _Recorder()
    recorder.install(monkeypatch)
    moa = registry["moa.context"]

    class MagentaHalfWay(moa):  # type: ignore[misc, valid-type]
        def animate(self) -> None:
            super().animate()
            self.play(FadeIn(Square(color="#FF00FF")), run_time=0.5)

    registry = {**registry, "test.magenta": MagentaHalfWay}
    outputs = {name: tmp_path / "clips" / f"{name}.mp4" for name in ("ocean", "clinic")}
    job = {
        "index": 0, "scene": "test.magenta", "width": 170, "height": 96, "fps": 6,
        "media_dir": str(tmp_path / "media"), "output": str(outputs["ocean"]),
        "transparent": False, "design_aspect": "16:9",
        "spec": {**SPEC, "kind": "context", "palette": PALETTES["ocean"]},
        "also": [{"palette": PALETTES["clinic"], "output": str(outputs["clinic"])}],
    }
    assert render_job(0, job, registry) == outputs["ocean"]

    for name, clip in outputs.items():
        stream = ffprobe(clip)["streams"][0]
        assert stream["codec_name"] == "h264" and int(stream["nb_frames"]) > 0, name
        assert json.loads(clip.with_suffix(".layout.json").read_text())["text_boxes"], name
    # The pass for both had written frames to both outputs before it gave up; what is there now
    # is each palette's own render (Manim's, moved into place), and nothing else was left.
    assert recorder.frames[outputs["ocean"]] and recorder.frames[outputs["clinic"]]
    assert sorted(p.name for p in (tmp_path / "clips").iterdir()) == [
        "clinic.layout.json", "clinic.mp4", "ocean.layout.json", "ocean.mp4"]
    assert _mean_colour(outputs["clinic"]).mean() > _mean_colour(outputs["ocean"]).mean() + 40


def _mean_colour(clip: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-sseof", "-0.3", "-i", str(clip), "-frames:v", "1", "-vf",
                          "scale=48:86", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, 3).mean(axis=0)


@pytest.mark.render
def test_a_branch_of_two_colour_variants_draws_each_scene_once_for_both(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        video_id = client.start("social_media", SOCIAL_BRIEF)["video_id"]
        client.advance_to("visuals")
        client.wait_completed("visuals")
        client.send({"action": "branch", "variants": [{"feedback": "warmer colours"}, {"feedback": "lighter"}]})
        ended = {}
        while True:
            event = client.next_event(timeout=300)
            if event["status"] == "variants_ready":
                break
            if event["status"] == "completed":
                ended[event["version"]] = event["data"]
        client.send({"action": "stop"})
    assert event["versions"] == [2, 3] and sorted(ended) == [2, 3]
    assert (ended[2]["palette"], ended[3]["palette"]) == ("sunrise", "clinic")
    video_dir = server.data_dir / video_id
    # One pass: the Manim jobs were handed to the workers by one variant, each drawing both palettes.
    jobs = [job for version in (2, 3) for path in (video_dir / "visuals" / f"v{version}").glob("manim-jobs-*.json")
            for job in json.loads(path.read_text())]
    assert jobs and all(len(job["also"]) == 1 for job in jobs)
    drawn = {Path(job["output"]).parent.parent.name for job in jobs} | {
        Path(job["also"][0]["output"]).parent.parent.name for job in jobs}
    assert drawn == {"v2", "v3"}
    # Each variant's clips are its own colours: clinic is light, sunrise is dark.
    drawn_clips = {version: sorted((video_dir / "visuals" / version / "clips").glob("scene_*_manim.mp4"))
                   for version in ("v2", "v3")}
    assert len(drawn_clips["v2"]) == len(drawn_clips["v3"]) == len(jobs) - 1  # and one scene over footage
    for clip2, clip3 in zip(drawn_clips["v2"], drawn_clips["v3"]):
        assert clip2.name == clip3.name
        assert ffprobe(clip3)["streams"][0]["codec_name"] == "h264"
        assert _mean_colour(clip3).mean() > _mean_colour(clip2).mean() + 40
