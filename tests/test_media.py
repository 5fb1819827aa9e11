"""Stock media without the internet: the local library, generated footage, backgrounds."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from creator_service.media.assets import MediaRequest
from creator_service.media.backgrounds import MediaFinder, prepare_background
from creator_service.media.generated import GeneratedFootage
from creator_service.media.library import LocalLibrary
from creator_service.processes import CancelToken, ProcessSlots
from creator_service.rendering.formats import video_format
from creator_service.rendering.palettes import PALETTES

from .helpers import ffprobe

FMT = video_format("16:9", "low")
SLOTS = ProcessSlots(2)


def request(query: str, seconds: float = 2.0) -> MediaRequest:
    return MediaRequest(query=query, fmt=FMT, seconds=seconds, palette=PALETTES["ocean"])


def touch_video(path: Path, seconds: int = 2) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=15:d={seconds}",
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def touch_photo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=800x600",
                    "-frames:v", "1", str(path)], check=True)
    return path


@pytest.fixture
def library(tmp_path: Path) -> LocalLibrary:
    root = tmp_path / "media"
    touch_video(root / "clips" / "doctor_talking.mp4")
    touch_photo(root / "pharmacy_counter.jpg")
    touch_video(root / "b-roll-17.mp4")
    (root / "notes.txt").write_text("not media")
    (root / "tags.json").write_text(json.dumps({
        "b-roll-17.mp4": {"tags": ["sunrise", "running", "healthy lifestyle"], "author": "A. Lens", "license": "CC-BY"},
    }))
    return LocalLibrary(root)


def test_library_finds_by_file_name(library: LocalLibrary) -> None:
    asset = library.find(request("a doctor talks to a patient"), cancel=CancelToken(), slots=SLOTS)
    assert asset is not None and asset.path.name == "doctor_talking.mp4" and asset.kind == "video"
    assert asset.credit.kind == "library"


def test_library_finds_by_tags_and_keeps_the_credit(library: LocalLibrary) -> None:
    asset = library.find(request("healthy lifestyle"), cancel=CancelToken(), slots=SLOTS)
    assert asset is not None and asset.path.name == "b-roll-17.mp4"
    assert (asset.credit.author, asset.credit.license) == ("A. Lens", "CC-BY")


def test_library_matches_plurals_and_photos(library: LocalLibrary) -> None:
    asset = library.find(request("pharmacies and counters"), cancel=CancelToken(), slots=SLOTS)
    assert asset is not None and asset.kind == "photo"


def test_library_says_nothing_when_nothing_matches(library: LocalLibrary) -> None:
    assert library.find(request("volcano"), cancel=CancelToken(), slots=SLOTS) is None
    assert LocalLibrary(None).find(request("doctor"), cancel=CancelToken(), slots=SLOTS) is None


def test_generated_footage_is_made_once_and_shared(tmp_path: Path) -> None:
    source = GeneratedFootage(tmp_path / "cache")
    first = source.find(request("anything"), cancel=CancelToken(), slots=SLOTS)
    made = first.path.stat().st_mtime_ns
    second = source.find(request("something else"), cancel=CancelToken(), slots=SLOTS)
    assert second.path == first.path and second.path.stat().st_mtime_ns == made
    assert first.credit.kind == "generated"
    streams = ffprobe(first.path)["streams"][0]
    assert (streams["width"], streams["height"]) == (FMT.width, FMT.height)


def test_the_finder_falls_back_to_generated_footage(tmp_path: Path, library: LocalLibrary) -> None:
    finder = MediaFinder([library, GeneratedFootage(tmp_path / "cache")])
    assert finder.find(request("doctor"), cancel=CancelToken(), slots=SLOTS).credit.kind == "library"
    assert finder.find(request("volcano"), cancel=CancelToken(), slots=SLOTS).credit.kind == "generated"


@pytest.mark.parametrize("query", ["doctor", "pharmacy"])
def test_backgrounds_fill_the_frame_for_exactly_the_scene(library: LocalLibrary, tmp_path: Path, query: str) -> None:
    asset = library.find(request(query), cancel=CancelToken(), slots=SLOTS)
    assert asset is not None
    out = tmp_path / "bg.mp4"
    # Longer than the 2 s source clip: it loops.
    prepare_background(asset, request(query, seconds=3.0), out, offset=0.5, cancel=CancelToken(),
                       slots=SLOTS, log_path=tmp_path / "bg.log")
    info = ffprobe(out)
    stream = info["streams"][0]
    assert (stream["width"], stream["height"]) == (FMT.width, FMT.height)
    assert int(stream["nb_frames"]) == 3 * FMT.fps
