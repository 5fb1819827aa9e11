"""Key frames and holds, captions timed to the voice, figures for charts."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from creator_service.planner.figures import parse_figures
from creator_service.processes import CancelToken, ProcessSlots
from creator_service.rendering.captions import (
    TEXT_CLEARANCE,
    SceneText,
    Spoken,
    build_cues,
    burned_layout,
    caption_band,
    caption_height,
    caption_margin,
    frame_edge,
    write_ass,
    write_srt,
    write_vtt,
)
from creator_service.rendering.drawn_boxes import drawn_boxes
from creator_service.rendering.formats import VideoFormat, video_format
from creator_service.rendering.layers import (
    LOGO_HEIGHT_SHARE,
    Inputs,
    Keyframes,
    SceneSources,
    Thumbnail,
    compose_clip,
    preview_format,
    scene_filter,
    write_hold_list,
)
from creator_service.rendering.remotion import REMOTION_DIR, RENDER_SCRIPT
from creator_service.rendering.scene_chunks import (
    FileDigests,
    SceneEncode,
    encode_preview,
    encode_scene,
)
from creator_service.speech_timing import estimate_words
from creator_service.stages.animations import overlay_frames
from creator_service.stages.visuals import key_frames

from .helpers import ffprobe


def test_key_frames_are_each_entrance_and_the_still_after_it() -> None:
    assert key_frames([0, 30], [30, 20], enter=4) == [0, 1, 2, 3, 4, 30, 31, 32, 33, 34]
    # A scene shorter than its entrance is rendered whole, not past its end.
    assert key_frames([0], [3], enter=4) == [0, 1, 2]


def test_overlay_frames_cover_entrances_and_nothing_of_a_scene_without_an_overlay() -> None:
    frames = overlay_frames([0, 40], [True, False], end_start=70, enter=4)
    # An entrance of 4 frames, the callout's 1-frame delay, and the still after them.
    assert frames[:6] == [0, 1, 2, 3, 4, 5] and 6 not in frames
    # The second scene has no lower third or callout: no frame of it is rendered.
    assert not any(40 <= frame < 70 for frame in frames)
    assert frames[6:] == [70, 71, 72, 73, 74]


def test_a_hold_list_shows_each_frame_until_the_next(tmp_path: Path) -> None:
    files = [tmp_path / f"k{i}.png" for i in range(3)]
    script = write_hold_list(Keyframes(files=files, frames=[0, 1, 5]), length=15, fps=15, path=tmp_path / "h.ffconcat")
    lines = script.read_text().splitlines()
    durations = [float(line.split()[1]) for line in lines if line.startswith("duration")]
    assert durations == pytest.approx([1 / 15, 4 / 15, 10 / 15], abs=1e-6)
    assert lines[-1].endswith("k2.png'")


def test_key_frames_must_start_at_the_scene_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Keyframes(files=[tmp_path / "a.png"], frames=[3])


def _ffmpeg(output: Path, *args: str) -> Path:
    """Make a test input with ffmpeg."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(output)], check=True)
    return output


def test_a_layered_scene_is_exactly_as_long_as_asked(tmp_path: Path) -> None:
    fmt = video_format("16:9", "low")
    background = tmp_path / "bg.mp4"
    _ffmpeg(background, "-f", "lavfi", "-i", "testsrc2=s=854x480:r=15:d=1", "-pix_fmt", "yuv420p")
    key = tmp_path / "k.png"
    _ffmpeg(key, "-f", "lavfi", "-i", "color=c=white@0.5:s=854x480,format=rgba", "-frames:v", "1")
    inputs = Inputs()
    sources = SceneSources(frames=40, background=background, foreground_keys=Keyframes([key], [0]))
    chains = scene_filter(sources, fmt, inputs, "s", tmp_path)
    out = tmp_path / "scene.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs.args, "-filter_complex", ";".join(chains),
                    "-map", "[s]", str(out)], check=True)
    # 40 frames from a 15-frame background: it looped.
    assert int(ffprobe(out)["streams"][0]["nb_frames"]) == 40


def _pixel(video: Path, x: int, y: int, at_frame: int) -> tuple[int, int, int]:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(video), "-vf", f"select=eq(n\\,{at_frame}),format=rgb24,crop=1:1:{x}:{y}",
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout
    return raw[0], raw[1], raw[2]


def _scene_inputs(tmp_path: Path, fmt: VideoFormat, box: tuple[int, int, int]) -> tuple[Path, Path, Path, int]:
    """A black background, a key frame with a red square (`box`: x, y, side) on transparent
    space, and a blue square logo of the height a logo gets in `fmt`; and that height."""
    size = f"{fmt.width}x{fmt.height}"
    background = tmp_path / "bg.mp4"
    _ffmpeg(background, "-f", "lavfi", "-i", f"color=c=black:s={size}:r={fmt.fps}:d=0.5", "-pix_fmt", "yuv420p")
    x, y, side = box
    key = tmp_path / "k.png"
    _ffmpeg(key, "-f", "lavfi", "-i", f"color=c=black@0:s={size},format=rgba",
            "-f", "lavfi", "-i", f"color=c=red:s={side}x{side},format=rgba", "-filter_complex", f"overlay={x}:{y}",
            "-frames:v", "1")
    logo = tmp_path / "logo.png"
    logo_height = round(fmt.height * LOGO_HEIGHT_SHARE)
    _ffmpeg(logo, "-f", "lavfi", "-i", f"color=c=blue:s={logo_height}x{logo_height}", "-frames:v", "1")
    return background, key, logo, logo_height


def test_a_preview_is_the_final_chunks_with_its_layers_and_logo_in_place(tmp_path: Path) -> None:
    fmt = VideoFormat(640, 360, 10)
    # A red box at (100..300, 50..250).
    background, key, logo, logo_height = _scene_inputs(tmp_path, fmt, (100, 50, 200))
    out, store = tmp_path / "preview.mp4", tmp_path / "chunks"
    sources = SceneSources(frames=25, background=background, foreground_keys=Keyframes([key], [0]))
    made = encode_preview(SceneEncode("scene_00", sources, 0, logo=logo), fmt, store, out, cancel=CancelToken(),
                          slots=ProcessSlots(1), work_dir=tmp_path, digest=FileDigests())

    stream = ffprobe(out)["streams"][0]
    assert (stream["width"], stream["height"], int(stream["nb_frames"])) == (640, 360, 25)
    red = _pixel(out, 200, 150, at_frame=22)  # the box's middle, in the preview's last chunk
    assert red[0] > 200 and red[1] < 60 and red[2] < 60
    assert max(_pixel(out, 400, 300, at_frame=22)) < 40  # outside it: the background
    margin = round(360 * 0.04)
    assert _pixel(out, 640 - margin - logo_height // 2, margin + logo_height // 2, at_frame=22)[2] > 200
    assert _pixel(out, 640 - margin - 2 * logo_height, margin + logo_height // 2, at_frame=22)[2] < 60
    # The final cut of the same scene at the voice's longer length reuses the preview's chunks,
    # the short last one too: only the frames after them are encoded.
    longer = encode_scene(SceneEncode("s0", SceneSources(frames=47, background=background,
                                                         foreground_keys=Keyframes([key], [0])), 0, logo=logo),
                          fmt, store, cancel=CancelToken(), slots=ProcessSlots(1), work_dir=tmp_path,
                          digest=FileDigests())
    assert [c.path for c in longer.chunks[:2]] == [c.path for c in made.chunks] and longer.encoded_frames == 47 - 25


def test_a_quick_hd_preview_is_composed_at_half_size_with_its_layers_in_place(tmp_path: Path) -> None:
    # Used when the render burns captions over every scene (its chunks would be thrown away).
    fmt = video_format("16:9", "high")
    # A full-size key frame: a red box at (200..600, 100..500).
    background, key, logo, logo_height = _scene_inputs(tmp_path, fmt, (200, 100, 400))
    out = tmp_path / "preview.mp4"
    thumbnail = Thumbnail(tmp_path / "preview.jpg", frame=12, width=320)
    size = compose_clip(SceneSources(frames=20, background=background, foreground_keys=Keyframes([key], [0])),
                        fmt, out, logo=logo, cancel=CancelToken(), slots=ProcessSlots(1), work_dir=tmp_path,
                        thumbnail=thumbnail)

    stream = ffprobe(out)["streams"][0]
    assert size == preview_format(fmt) and (size.width, size.height) == (960, 540)
    assert (stream["width"], stream["height"], int(stream["nb_frames"])) == (960, 540, 20)
    red = _pixel(out, 200, 150, at_frame=10)  # the box's middle, at half the coordinates
    assert red[0] > 200 and red[1] < 60 and red[2] < 60
    assert max(_pixel(out, 400, 400, at_frame=10)) < 40  # outside it: the background
    # The logo at half size too: its middle is blue, well left of it is not.
    margin, half_logo = round(540 * 0.04), round(540 * LOGO_HEIGHT_SHARE)
    assert _pixel(out, 960 - margin - half_logo // 2, margin + half_logo // 2, at_frame=10)[2] > 200
    assert _pixel(out, 960 - margin - 2 * half_logo, margin + half_logo // 2, at_frame=10)[2] < 60
    # The thumbnail came out of the same run, at its own width.
    thumb = ffprobe(thumbnail.path)["streams"][0]
    assert (thumb["width"], thumb["height"]) == (320, 180)
    # Low-quality videos are previewed at their own size.
    assert preview_format(video_format("9:16", "low")) == video_format("9:16", "low")


def test_cues_hold_two_lines_of_42_characters_and_end_at_sentences(tmp_path: Path) -> None:
    spoken = [Spoken(0.3, 6.0, "Living with type two diabetes is a daily task for millions of people "
                               "around the world today. Ask your doctor."),
              Spoken(8.1, 1.5, "Ask your doctor")]
    cues = build_cues(spoken)
    for cue in cues:
        lines = cue.text().split("\n")
        assert 1 <= len(lines) <= 2 and all(len(line) <= 42 for line in lines), lines
    # Sentences start cues: "Ask your doctor." does not share a cue with the sentence before.
    assert [cue.text() for cue in cues][-2:] == ["Ask your doctor.", "Ask your doctor"]
    assert cues[0].start == pytest.approx(0.3) and cues[-1].start == pytest.approx(8.1)
    # Each cue ends before the next begins.
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:]))
    vtt = write_vtt(cues, tmp_path / "c.vtt").read_text()
    assert vtt.startswith("WEBVTT") and "00:00:00.300 --> " in vtt
    srt = write_srt(cues, tmp_path / "c.srt").read_text()
    assert srt.startswith("1\n00:00:00,300 --> ") and f"\n{len(cues)}\n" in srt
    ass = write_ass(spoken, video_format("16:9", "low"), {"accent": "#FFB547", "background": "#0B1F3A"},
                    tmp_path / "c.ass").read_text()
    assert "PlayResX: 854" in ass and ass.count("Dialogue:") == len(cues)
    # Burned lines must also fit the portrait frame's title-safe width at a readable size.
    size, per_line, _ = burned_layout(video_format("9:16", "high"))
    assert size >= 0.025 * 1920 and per_line * size * 0.62 <= 1080 * 0.8


def test_burned_cues_start_and_end_halfway_between_frames_and_plain_ones_do_not_move(tmp_path: Path) -> None:
    fmt = video_format("16:9", "high")  # 30 fps
    spoken = [Spoken(0.0, 1.2, "First words here."), Spoken(2.1, 1.0, "Then more.")]
    times = []
    for highlight in (True, False):
        ass = write_ass(spoken, fmt, {"accent": "#FFB547", "background": "#0B1F3A"}, tmp_path / f"{highlight}.ass",
                        highlight=highlight).read_text()
        events = [line.split(",", 9) for line in ass.splitlines() if line.startswith("Dialogue:")]
        assert all(("{" in event[9]) == highlight for event in events)  # karaoke tags, or none
        times.append([(event[1], event[2]) for event in events])
    assert times[0] == times[1]
    for start, end in times[0]:
        for stamp in (start, end):
            seconds = sum(float(x) * 60 ** (2 - i) for i, x in enumerate(stamp.split(":")))
            frames = seconds * fmt.fps
            # No frame within 10 ms of a cue's edge (a video's first frame aside).
            assert seconds == 0 or abs(frames - round(frames)) * 1000 / fmt.fps >= 10, stamp
    # 2.1 s is frame 63: the second cue starts between frames 62 and 63, so 63 is its first.
    assert times[0][1][0] == "0:00:02.08"
    assert frame_edge(2.1, 30) == pytest.approx(62.5 / 30) and frame_edge(0.01, 30) == 0.0


def test_chinese_and_japanese_captions_light_up_character_by_character(tmp_path: Path) -> None:
    # One "word" a sentence, as a voice reports text written without spaces.
    japanese = "メトホルミンは1日2回、食事と一緒に服用します。医師に相談してください。"
    sentences = japanese.split("。")[:2]
    words = [(sentences[0] + "。", 0.0, 3.0), (sentences[1] + "。", 3.4, 5.0)]
    spoken = [Spoken(1.0, 5.0, japanese, words=words)]
    cues = build_cues(spoken, max_chars=12)
    # Lines break between characters, within the width; no spaces are put between them.
    for cue in cues:
        assert all(1 <= len(line) <= 12 and " " not in line for line in cue.text().split("\n")), cue.text()
    assert "".join(cue.text().replace("\n", "") for cue in cues) == japanese
    # Each character is its own unit, timed in order across its sentence; "1" and "2" too.
    units = [w for cue in cues for w, _, _ in cue.words]
    assert units[:8] == ["メ", "ト", "ホ", "ル", "ミ", "ン", "は", "1"] and "回、" in units
    starts = [start for cue in cues for _, start, _ in cue.words]
    assert starts == sorted(starts) and starts[0] == pytest.approx(1.0)
    # The second sentence starts its own cue, when it is said.
    assert any(cue.text().startswith("医師") and cue.start == pytest.approx(4.4) for cue in cues)
    ass = write_ass(spoken, video_format("9:16", "low"), {"accent": "#FFB547", "background": "#0B1F3A"},
                    tmp_path / "ja.ass").read_text()
    assert "{\\kf" in ass and ass.count("\\kf") == len(units)  # one karaoke step per character
    # Spaced words keep their spaces, except beside Chinese or Japanese characters.
    mixed = build_cues([Spoken(0.0, 2.0, "Take it 每日 daily", words=[
        ("Take", 0, 0.3), ("it", 0.3, 0.5), ("每日", 0.5, 1.0), ("daily", 1.0, 2.0)])])
    assert [cue.text() for cue in mixed] == ["Take it每日daily"]


def test_what_a_remotion_key_frame_drew_is_its_layout(tmp_path: Path) -> None:
    # A headline band and, well below it, a lower third; faint shadow pixels do not count.
    frame = np.zeros((100, 200, 4), dtype=np.uint8)
    frame[10:20, 40:160, 3] = 255
    frame[14:18, 30:40, 3] = 20
    frame[70:85, 20:120, 3] = 200
    path = tmp_path / "still.png"
    Image.fromarray(frame, "RGBA").save(path)
    assert drawn_boxes(path) == [[0.2, 0.1, 0.8, 0.2], [0.1, 0.7, 0.6, 0.85]]
    Image.fromarray(np.zeros((100, 200, 4), dtype=np.uint8), "RGBA").save(path)
    assert drawn_boxes(path) == []


def test_burned_captions_move_off_text_the_scene_shows(tmp_path: Path) -> None:
    fmt = video_format("9:16", "low")
    usual = burned_layout(fmt)[2] / fmt.height
    assert caption_margin(fmt, []) == usual
    # Text where the captions usually go: the nearest clear place, inside the title-safe area.
    band = caption_band(fmt, usual)
    lower_third = [[0.1, band[1] + 0.01, 0.6, band[3] - 0.01]]
    moved = caption_margin(fmt, lower_third)
    assert moved != usual and 0.1 <= moved <= 0.9 - caption_height(fmt)
    # Clear of the text by at least TEXT_CLEARANCE, in the whole pixels the script will say.
    assert round(moved * fmt.height) == moved * fmt.height
    assert all(min(b[3], box[3] + TEXT_CLEARANCE) <= max(b[1], box[1] - TEXT_CLEARANCE)
               for b in [caption_band(fmt, moved)] for box in lower_third)
    # Text everywhere: the place covering the least.
    everywhere = [[0.0, y / 100, 1.0, y / 100 + 0.005] for y in range(0, 100, 3)]
    assert 0.1 <= caption_margin(fmt, everywhere) <= 0.9
    scenes = [SceneText(0.0, 2.0, []), SceneText(2.0, 4.0, lower_third)]
    ass = write_ass([Spoken(0.3, 1.2, "First scene."), Spoken(2.3, 1.2, "Second scene.")], fmt,
                    {"accent": "#FFB547", "background": "#0B1F3A"}, tmp_path / "c.ass", scenes=scenes).read_text()
    margins = [int(line.split(",")[7]) for line in ass.splitlines() if line.startswith("Dialogue:")]
    assert margins == [round(usual * fmt.height), round(moved * fmt.height)]


def test_text_without_spaces_is_cut_into_lines_of_42(tmp_path: Path) -> None:
    japanese = "メトホルミンは二型糖尿病の血糖値を下げるのに役立つ処方薬です。" * 3
    cues = build_cues([Spoken(0.0, 9.0, japanese)])
    assert "".join(cue.text().replace("\n", "") for cue in cues) == japanese
    for cue in cues:
        assert all(len(line) <= 42 for line in cue.text().split("\n")) and cue.text().count("\n") <= 1
    assert cues[0].start == 0.0 and all(a.end <= b.start for a, b in zip(cues, cues[1:]))


def test_caption_text_cannot_inject_commands(tmp_path: Path) -> None:
    cues = build_cues([Spoken(0, 1, "{\\pos(0,0)}hello --> <b>x</b>")])
    ass = write_ass([Spoken(0, 1, "{\\pos(0,0)}hello")], video_format("16:9", "low"),
                    {"accent": "#FFB547", "background": "#0B1F3A"}, tmp_path / "c.ass").read_text()
    assert "{\\pos" not in ass and "hello" in ass
    vtt = write_vtt(cues, tmp_path / "c.vtt").read_text()
    assert vtt.count("-->") == 1 and "<b>" not in vtt


def test_word_times_are_estimated_from_the_audios_pauses(tmp_path: Path) -> None:
    # Two bursts of sound (two sentences) with a pause: each sentence's words fall inside its burst.
    rate = 22_050
    tone = (np.sin(np.arange(int(rate * 1.0)) * 0.05) * 8000).astype("<i2")
    gap = np.zeros(int(rate * 0.4), dtype="<i2")
    audio = np.concatenate([np.zeros(int(rate * 0.2), dtype="<i2"), tone, gap, tone[: rate // 2]])
    path = tmp_path / "a.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(audio.tobytes())
    words = estimate_words("One two three four. Five six.", path)
    assert [w.word for w in words] == ["One", "two", "three", "four.", "Five", "six."]
    assert words[0].start == pytest.approx(0.2, abs=0.02) and words[3].end == pytest.approx(1.2, abs=0.02)
    assert words[4].start == pytest.approx(1.6, abs=0.02) and words[5].end == pytest.approx(2.1, abs=0.02)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HbA1c reduced by 1.1% with Metformin vs 0.3% with placebo at 24 weeks",
         [("Metformin", 1.1, "%"), ("placebo", 0.3, "%")]),
        ("A1C: -1.5% (DrugX) vs -0.4% (placebo)", [("DrugX", -1.5, "%"), ("placebo", -0.4, "%")]),
        ("No figures here", []),
    ],
)
def test_figures_are_read_from_clinical_data(text: str, expected: list[tuple[str, float, str]]) -> None:
    assert [(f.label, f.value, f.unit) for f in parse_figures(text)] == expected


def test_the_remotion_renderer_refuses_to_run_without_debian_chromium(tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text('{"composition": "ProductAd", "outputDir": "%s", "props": {}}' % (tmp_path / "out"))
    result = subprocess.run(
        ["node", str(RENDER_SCRIPT), str(job)], cwd=REMOTION_DIR, capture_output=True, text=True,
        env={**os.environ, "CREATOR_CHROMIUM": "/nonexistent/chromium"}, timeout=120,
    )
    assert result.returncode != 0
    assert "Chromium not found at /nonexistent/chromium" in result.stderr
    assert "never downloads a browser" in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_remotion_package_is_pinned_to_one_exact_version() -> None:
    import json

    package = json.loads((REMOTION_DIR / "package.json").read_text())
    versions = {name: version for name, version in package["dependencies"].items()
                if name == "remotion" or name.startswith("@remotion/")}
    assert len(versions) >= 4 and set(versions.values()) == {"4.0.529"}
    assert sys.version_info >= (3, 11)
