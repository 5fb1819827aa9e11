"""A piece of media chosen for a scene, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from ..models import MediaCredit
from ..processes import CancelToken, ProcessSlots
from ..rendering.formats import VideoFormat

MediaKind = Literal["video", "photo"]
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".webm", ".mkv", ".m4v"})
PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})


@dataclass(frozen=True)
class MediaAsset:
    path: Path
    kind: MediaKind
    credit: MediaCredit


@dataclass(frozen=True)
class MediaRequest:
    """What a scene needs: words to search for, and the frame it must fill."""

    query: str
    fmt: VideoFormat
    seconds: float
    palette: dict[str, str]


class MediaSource(Protocol):
    name: str

    def find(self, request: MediaRequest, *, cancel: CancelToken, slots: ProcessSlots) -> MediaAsset | None:
        """The best asset for the request, or None when this source has nothing suitable."""
        ...
