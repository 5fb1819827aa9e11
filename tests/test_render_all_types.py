"""Every video type, brief to MP4 over the WebSocket, at low quality, with real Manim, real
Remotion (Debian's Chromium) and real voices; each output checked with ffprobe and by its frames.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import numpy as np
import pytest

from creator_service.client import EXAMPLE_PAYLOADS
from creator_service.rendering.captions import caption_band
from creator_service.rendering.formats import VideoFormat, video_format

from .helpers import (
    Creator,
    Server,
    ffprobe,
    loudness,
    mono_samples,
    parse_vtt,
    rms,
    running_server,
    speech_onsets,
)

pytestmark = pytest.mark.render

STAGES = {
    "moa": ["scenes", "script", "visuals", "tts", "render"],
    "doctor_ad": ["scenes", "script", "visuals", "tts", "render"],
    "social_media": ["scenes", "script", "visuals", "tts", "render"],
    "product_ad": ["scenes", "script", "visuals", "animations", "tts", "render"],
    "compliance_video": ["scenes", "script", "visuals", "animations", "tts", "render"],
}
SIZE = {"moa": (854, 480), "doctor_ad": (854, 480), "social_media": (480, 854),
        "product_ad": (854, 480), "compliance_video": (854, 480)}
LOGO_RGB = (255, 0, 255)


def make_media(folder: Path) -> None:
    """A tiny media library: one clip the doctor_ad 'practice' scene will find by its tags."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=15:d=3",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(folder / "clinic_visit.mp4")],
        check=True,
    )
    (folder / "tags.json").write_text(json.dumps({
        "clinic_visit.mp4": {"tags": ["doctor", "patient", "consultation"], "author": "Test Studio",
                             "url": "https://example.test/clinic", "license": "CC0"}}))


def make_music(folder: Path) -> None:
    """A music library with one track, tagged corporate (doctor_ad's default mood)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=220:duration=8", "-f", "lavfi",
         "-i", "sine=frequency=330:duration=8", "-filter_complex", "[0:a][1:a]amix=inputs=2,volume=0.5",
         "-ac", "2", "-ar", "48000", str(folder / "theme.wav")],
        check=True,
    )
    (folder / "tags.json").write_text(json.dumps({
        "theme.wav": {"tags": ["corporate"], "author": "Test Composer", "license": "CC0"}}))


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("studio")
    make_media(root / "media")
    make_music(root / "music")
    with running_server(root / "data", CREATOR_MEDIA_DIR=str(root / "media"),
                       CREATOR_MUSIC_DIR=str(root / "music")) as server:
        yield server


def upload_logo(server: Server, tmp_path: Path) -> str:
    response = server.upload_logo(tmp_path, colour="0xFF00FF", size="200x80")
    assert response.status_code == 201, response.text
    return str(response.json()["logo"])


def create_brand(server: Server) -> dict[str, Any]:
    """A brand kit with a magenta logo and a serif font (Noto Serif), as the studio would post it."""
    fields = {"name": "Acme", "primary": "#1A73E8", "secondary": "#C0C8D0", "accent": "#FBBC04"}
    files = {"font": ("serif.ttf", Path("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf").read_bytes(),
                      "font/ttf"),
             "logo": ("logo.png", png_logo(), "image/png")}
    response = httpx.post(f"{server.http}/brands", data=fields, files=files, headers=server.headers, timeout=10)
    assert response.status_code == 201, response.text
    return dict(response.json())


def png_logo() -> bytes:
    return subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=0xFF00FF:s=200x80",
                           "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"],
                          capture_output=True, check=True).stdout


def run_to_the_end(server: Server, video_type: str, payload: dict[str, Any], *,
                   listen_to_the_voice: bool = False) -> dict[str, Any]:
    """Every stage accepted as it completes; with `listen_to_the_voice`, the voice only once
    the render's work ahead, which runs meanwhile, is done (as a reviewer listening would)."""
    with Creator(server.ws_url, server.token) as client:
        started = client.start(video_type, payload)
        assert started["stage_order"] == STAGES[video_type]
        completed: dict[str, Any] = {}
        for stage in STAGES[video_type]:
            completed[stage] = client.wait_completed(stage, timeout=400)["data"]
            if stage == "tts" and listen_to_the_voice:
                completed["ahead"] = wait_for_work_ahead(server.data_dir / started["video_id"])
            client.accept()
        done = client.next_event(timeout=60)
        assert done["status"] == "pipeline_complete", done
        return {"done": done, **completed}


def wait_for_work_ahead(video_dir: Path, timeout: float = 120) -> dict[str, Any]:
    """The report the render's work ahead writes when it is done."""
    report = video_dir / "render" / "ahead" / "ahead.json"
    deadline = time.monotonic() + timeout
    while not report.exists():
        assert time.monotonic() < deadline, "the render's work ahead did not finish"
        time.sleep(0.1)
    return dict(json.loads(report.read_text()))


def frame(path: Path, at: float, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at:.2f}", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def not_blank(picture: np.ndarray) -> bool:
    grey = picture.mean(axis=2)
    return float(np.mean(np.abs(grey - np.median(grey)) > 30)) > 0.005


@pytest.mark.parametrize("video_type", list(STAGES))
def test_each_type_renders_end_to_end(studio: Server, video_type: str, tmp_path: Path, artifacts_dir: Path) -> None:
    payload = {**EXAMPLE_PAYLOADS[video_type], "quality": "low"}
    if video_type == "doctor_ad":
        payload["logo"] = upload_logo(studio, tmp_path)
    if video_type == "social_media":  # a second aspect from the same run
        payload["formats"] = ["9:16", "1:1"]
    if video_type == "compliance_video":  # a Remotion type with burned captions: quick previews
        payload["captions"] = "burned"
    if video_type in ("product_ad", "social_media"):  # risk_content passes when risks are given
        payload["safety_information"] = RISKS[video_type]
    if video_type == "social_media":  # no music, so the pauses are silence and speech is all there is
        payload["music"] = "none"
    brand = None
    if video_type in ("product_ad", "social_media"):  # one Remotion type, one Manim type
        brand = create_brand(studio)
        payload["brand"] = brand["id"]
    # moa and product_ad: the reviewer takes the time to listen to the voice, and the render's
    # work ahead (every scene, encoded as final chunks; product_ad's with its burned major
    # statement) is done meanwhile.
    listen = video_type in ("moa", "product_ad")
    result = run_to_the_end(studio, video_type, payload, listen_to_the_voice=listen)
    video = Path(result["done"]["video_path"])
    assert httpx.head(result["done"]["video_url"], timeout=10, headers=studio.headers).status_code == 200

    info = ffprobe(video)
    streams = {s["codec_type"]: s for s in info["streams"]}
    assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
    assert (streams["video"]["width"], streams["video"]["height"]) == SIZE[video_type]
    duration = float(info["format"]["duration"])
    render = result["render"]
    assert abs(duration - render["duration"]) < 0.1
    # Each narrated scene lasts its speech plus the pauses around it (a frame of rounding at
    # most); after them come only the end card and the credits, a few seconds each.
    tracks = result["tts"]["tracks"]
    for track, scene in zip(tracks, render["scenes"]):
        assert track["duration"] + 0.8 <= scene["duration"] <= track["duration"] + 0.8 + 1 / 15 + 0.01
    assert all(scene["duration"] <= 3.1 for scene in render["scenes"][len(tracks):])
    assert len(render["scenes"]) <= len(tracks) + 2

    size = SIZE[video_type]
    # Every scene shows something at its middle (a scene's first frames may be its bare
    # background: Remotion's elements enter from nothing).
    for scene in render["scenes"]:
        middle = scene["start"] + scene["duration"] / 2
        assert not_blank(frame(video, middle, size)), f"{video_type}: blank frame at {middle:.2f} s"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", f"{duration * 0.3:.2f}", "-i", str(video),
                    "-frames:v", "1", str(artifacts_dir / f"{video_type}.png")], check=True)

    credits = [s for clip in result["visuals"]["clips"] for s in clip["sources"]]
    assert credits and all(s["kind"] in ("manim", "remotion", "library", "generated") for s in credits)
    if brand is not None:
        # The kit's colours are the video's palette, and its logo is on every scene.
        colours = result["visuals"]["colours"]
        assert (colours["primary"], colours["accent"], colours["muted"]) == (
            brand["primary"], brand["accent"], brand["secondary"])
        assert_logo_on_every_scene(video, render["scenes"][:len(tracks)], size)
    if video_type in ("social_media", "moa", "doctor_ad"):
        assert_no_text_over_text(result["visuals"]["clips"])
    if video_type == "doctor_ad":
        assert_logo_on_every_scene(video, render["scenes"], size)
        library = [s for s in credits if s["kind"] == "library"]
        assert library and library[0]["author"] == "Test Studio" and library[0]["license"] == "CC0"
    if video_type in ("product_ad", "compliance_video"):
        assert result["animations"]["end_card"] is not None
        assert any(s["kind"] == "remotion" for s in credits)
        assert_animation_previews_show_their_overlays(studio, tmp_path, result["visuals"], result["animations"], size)
    if listen:
        assert_the_render_used_the_work_ahead(result["ahead"], render)
    assert_broadcast_sound(video, streams["audio"], render, result["tts"])
    if render["music"] is None:
        assert_each_scene_speaks_within_its_pictures(video, render["scenes"][:len(tracks)])
    assert_the_major_statement_is_presented_fairly(video_type, payload, render, result["script"])
    if "formats" in payload:
        assert_one_video_per_format(studio, render)
    assert_captions_follow_the_speech(studio, video, render, payload.get("captions", "burned" if video_type == "social_media" else "sidecar"))
    if render["captions"]["mode"] == "burned" or video_type == "product_ad":  # product_ad burns its safety text
        clips = result.get("animations", result["visuals"])["clips"]
        assert_burned_captions_clear_of_text(video.parent / "captions.ass", clips, render["scenes"],
                                             VideoFormat(render["width"], render["height"], render["fps"]))


def assert_the_render_used_the_work_ahead(ahead: dict[str, Any], render: dict[str, Any]) -> None:
    """Every scene of the cut, and the animations' end card, was encoded ahead at the length the
    voice gives it, burned captions and all, as the very chunks the render joins: the render
    encoded only the end cards it makes itself (the credits and references cards). Without the
    work ahead it would have encoded every scene's hold and captions."""
    fps = render["fps"]
    made = render["scenes"][:len(ahead["scenes"])]
    assert ahead["scenes"] and [(s["scene_index"], s["frames"]) for s in ahead["scenes"]] == [
        (s["scene_index"], round(s["duration"] * fps)) for s in made]
    assert sum(scene["encoded_frames"] + scene["copied_frames"] for scene in ahead["scenes"]) > 0
    end_cards = sum(scene["duration"] for scene in render["scenes"][len(ahead["scenes"]):])
    assert render["encoded_seconds"] <= end_cards + 0.01


def assert_animation_previews_show_their_overlays(studio: Server, folder: Path, visuals: dict[str, Any],
                                                  animations: dict[str, Any], size: tuple[int, int]) -> None:
    """Each animations preview lasts its scene at the voice's length, and where the scene has a
    lower third or callout, its held frame shows more than the visuals preview did there. With
    captions burned this is the quick preview, often the visuals preview with the overlay laid on."""
    overlaid = {item["scene"] for item in (*animations["lower_thirds"], *animations["callouts"])}
    assert overlaid

    def download(url: str, name: str) -> Path:
        path = folder / name
        path.write_bytes(httpx.get(url, timeout=30, headers=studio.headers).raise_for_status().content)
        return path

    for before, after in zip(visuals["clips"], animations["clips"]):
        preview = download(after["url"], f"animations_{after['scene_index']}.mp4")
        assert abs(float(ffprobe(preview)["format"]["duration"]) - after["duration"]) < 0.1
        if after["scene_index"] in overlaid:
            at = min(after["duration"], before["duration"]) - 0.2
            earlier = download(before["url"], f"visuals_{before['scene_index']}.mp4")
            differs = np.abs(frame(preview, at, size).astype(int) - frame(earlier, at, size)).max(axis=2) > 40
            # A lower third or callout: its text and accent bar are a few thousandths of the frame
            # (its box is dark on dark); encoding noise changes no pixel that much.
            assert differs.mean() > 0.002, f"scene {after['scene_index']}: no overlay on its preview ({differs.mean():.4f})"


PROMOTIONAL = ("product_ad", "doctor_ad", "social_media")
RISKS = {"product_ad": "DiabetEase may cause low blood sugar when used with insulin.",
         "social_media": "Metformin can cause lactic acidosis, a rare but serious condition."}


def assert_the_major_statement_is_presented_fairly(video_type: str, payload: dict[str, Any], render: dict[str, Any],
                                                   script: dict[str, Any]) -> None:
    """The service's own output passes the five rules in every promotional type, measured on the
    MP4; risk_content passes when the brief gives risks, and says what to add when it does not."""
    rules = {rule["rule"]: rule for rule in render["compliance"]}
    if video_type not in PROMOTIONAL:
        assert rules == {}
        return
    for name in ("dual_modality", "readable_text", "no_distraction", "audio_parity", "fair_balance"):
        assert rules[name]["passed"] is True, (video_type, rules[name])
    assert rules["readable_text"]["evidence"]["min_height"] >= 0.035
    risk = rules["risk_content"]
    assert risk == script["compliance"][0] and rules["figures_faithful"] == script["compliance"][1]
    assert rules["figures_faithful"]["passed"] is True
    if "safety_information" in payload:
        assert risk["passed"] is True and payload["safety_information"] in risk["evidence"]["stated"]
        safety = [scene["text"] for scene in script["script"]["scenes"] if scene["kind"] in ("safety", "isi")]
        assert any(payload["safety_information"] in text for text in safety)
    else:
        assert risk["passed"] is False and "add safety_information or a reference" in risk["evidence"]["summary"]
    # What failed is what the reviewer must acknowledge.
    assert [w["rule"] for w in render["warnings"]] == [r["rule"] for r in render["compliance"] if not r["passed"]]


def assert_broadcast_sound(video: Path, audio: dict[str, Any], render: dict[str, Any], tts: dict[str, Any]) -> None:
    """-16 LUFS ±1 LU, true peak ≤ -1.5 dBTP, stereo 48 kHz AAC ≥ 160 kb/s, measured here on the MP4."""
    integrated, peak = loudness(video)
    assert abs(integrated + 16) <= 1.0 and peak <= -1.5, (integrated, peak)
    assert (audio["channels"], audio["sample_rate"]) == (2, "48000")
    assert int(audio["bit_rate"]) >= 160_000
    # The data says what was measured, and it agrees with this meter.
    reported = render["sound"]["loudness"]
    assert abs(reported["integrated_lufs"] - integrated) <= 0.2 and reported["within_target"] is True
    assert tts["loudness"]["integrated_lufs"] < 0
    music = render["music"]
    if music is not None:
        # Measured on the stems: ducked ≥ 15 dB under the voice while it speaks, ≥ 20 dB in safety.
        # doctor_ad's mood (corporate) is in the test's music library; the others are composed.
        if music["mood"] == "corporate":
            assert (music["source"], music["file"], music["credit"]["author"]) == ("library", "theme.wav",
                                                                                  "Test Composer")
        else:
            assert music["source"] == "composed"
        assert music["under_voice_while_speaking_db"] >= 15, music
        if music["under_voice_during_safety_db"] is not None:
            assert music["under_voice_during_safety_db"] >= 20, music


def assert_each_scene_speaks_within_its_pictures(video: Path, scenes: list[dict[str, Any]]) -> None:
    """Each narrated scene's speech starts after its first frame and ends before its last: its
    first 0.2 s (the lead-in pause) is silent, and its middle second is speech."""
    rate = 8000
    audio = mono_samples(video, rate)

    def between(start: float, end: float) -> np.ndarray:
        return audio[int(start * rate): int(end * rate)]

    for scene in scenes:
        start, middle = scene["start"], scene["start"] + scene["duration"] / 2
        assert rms(between(start, start + 0.2)) < 0.01, f"scene {scene['scene_index']} starts mid-speech"
        assert rms(between(middle - 0.5, middle + 0.5)) > 0.02, f"scene {scene['scene_index']} is silent in the middle"


def assert_one_video_per_format(studio: Server, render: dict[str, Any]) -> None:
    made = {entry["aspect"]: entry for entry in render["formats"]}
    assert list(made) == ["9:16", "1:1"] and made["9:16"]["video_url"] == render["video_url"]
    square = video_format("1:1", "low")
    path = studio.data_dir / made["1:1"]["video_url"].split("/videos/")[1].replace("/files/", "/", 1)
    streams = {s["codec_type"]: s for s in ffprobe(path)["streams"]}
    assert (streams["video"]["width"], streams["video"]["height"]) == (square.width, square.height)
    assert abs(made["1:1"]["duration"] - render["duration"]) < 0.1
    integrated, peak = loudness(path)
    assert abs(integrated + 16) <= 1.0 and peak <= -1.5


def assert_no_text_over_text(clips: list[dict[str, Any]]) -> None:
    """No text of a Manim scene crosses another, the brand line at the bottom included, by the
    clip's own layout data (each box is where that text went while on screen)."""
    for clip in clips:
        boxes = clip["text_boxes"]
        for n, a in enumerate(boxes):
            for b in boxes[n + 1:]:
                overlap_w = min(a[2], b[2]) - max(a[0], b[0])
                overlap_h = min(a[3], b[3]) - max(a[1], b[1])
                assert overlap_w <= 0.005 or overlap_h <= 0.005, (clip["scene_index"], a, b)


def assert_burned_captions_clear_of_text(ass: Path, clips: list[dict[str, Any]], scenes: list[dict[str, Any]],
                                         fmt: VideoFormat) -> None:
    """No burned cue covers text its scene shows, by the renderer's own layout data (Manim's
    text boxes; for Remotion, what its key frames drew)."""
    boxes_by_scene = {clip["scene_index"]: clip["text_boxes"] for clip in clips}
    assert any(boxes_by_scene.values()), "the clips reported no layout data"
    for line in ass.read_text().splitlines():
        if not line.startswith("Dialogue:"):
            continue
        _, start, end, _, _, _, _, margin, *_ = line.split(",", 9)
        band = caption_band(fmt, int(margin) / fmt.height)
        assert band[1] >= 0.1 - 0.001 and band[3] <= 0.9 + 0.001, line  # inside the title-safe area
        begin, finish = (sum(float(x) * 60 ** (2 - i) for i, x in enumerate(t.split(":"))) for t in (start, end))
        for scene in scenes:
            if scene["start"] < finish and begin < scene["start"] + scene["duration"]:
                for box in boxes_by_scene.get(scene["scene_index"], []):
                    overlap_w = min(box[2], band[2]) - max(box[0], band[0])
                    overlap_h = min(box[3], band[3]) - max(box[1], band[1])
                    assert overlap_w <= 0 or overlap_h <= 0, (line, scene["scene_index"], box)


def assert_captions_follow_the_speech(studio: Server, video: Path, render: dict[str, Any], mode: str) -> None:
    """`mode`: the brief's captions, or the type's default (burned for social_media)."""
    captions = render["captions"]
    assert captions["mode"] == mode
    vtt = httpx.get(captions["vtt_url"], headers=studio.headers, timeout=10)
    srt = httpx.get(captions["srt_url"], headers=studio.headers, timeout=10)
    assert vtt.status_code == srt.status_code == 200 and srt.text.startswith("1\n")
    cues = parse_vtt(vtt.text)
    assert len(cues) == captions["cues"] >= len(render["scenes"]) - 2
    for _, _, text in cues:
        assert all(len(line) <= 42 for line in text.split("\n")) and text.count("\n") <= 1
    # A cue that starts a sentence starts within 150 ms of the speech onset measured on the audio.
    onsets = speech_onsets(video)
    starts = [start for number, (start, _, _) in enumerate(cues)
              if number == 0 or cues[number - 1][2].rstrip()[-1:] in ".!?"]
    misses = [(start, min(onsets, key=lambda o: abs(o - start))) for start in starts
              if min(abs(o - start) for o in onsets) > 0.15]
    assert len(misses) <= len(starts) // 10, f"cues away from speech onsets: {misses}"


def assert_logo_on_every_scene(video: Path, scenes: list[dict[str, Any]], size: tuple[int, int]) -> None:
    for scene in scenes:
        picture = frame(video, scene["start"] + scene["duration"] / 2, size)
        corner = picture[: size[1] // 5, size[0] * 3 // 4:]
        magenta = np.all(np.abs(corner.astype(int) - LOGO_RGB) < 40, axis=2)
        assert magenta.mean() > 0.05, f"no logo in scene {scene['scene_index']}"
