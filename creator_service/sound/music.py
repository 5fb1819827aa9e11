"""Where a video's background music comes from: the user's library, or a bed we compose.

`CREATOR_MUSIC_DIR` may hold audio files and a `tags.json` in the media library's shape:
`{"file.mp3": {"tags": ["calm", ...], "author": ..., "license": ...}}`. Words in a file's name
count as tags too ("calm-piano.mp3" is calm). The first file, by name, that carries the mood is
used, so the same brief always gets the same track. With no library, or no track for the mood,
the service composes one (`beds.py`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..media.library import TAGS_FILE, words
from . import beds

logger = logging.getLogger(__name__)

MusicMood = Literal["none", "calm", "uplifting", "corporate", "warm"]
MUSIC_SUFFIXES = frozenset({".wav", ".mp3", ".m4a", ".aac", ".ogg", ".flac", ".opus"})


@dataclass(frozen=True)
class MusicTrack:
    path: Path
    mood: str
    # "library" (the user's file) or "composed" (made here).
    source: str
    credit: dict[str, Any] = field(default_factory=dict)


def _library_tracks(root: Path | None) -> list[tuple[Path, frozenset[str], dict[str, Any]]]:
    if root is None or not root.is_dir():
        return []
    tags: dict[str, Any] = {}
    tags_file = root / TAGS_FILE
    if tags_file.is_file():
        try:
            loaded = json.loads(tags_file.read_text(encoding="utf-8"))
            tags = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError) as exc:
            logger.warning("ignoring %s: %s", tags_file, exc)
    tracks = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in MUSIC_SUFFIXES or not path.is_file():
            continue
        entry = tags.get(path.relative_to(root).as_posix(), {})
        entry = entry if isinstance(entry, dict) else {}
        listed = {str(tag).lower() for tag in entry.get("tags", []) if isinstance(tag, str)}
        credit = {key: entry[key] for key in ("author", "url", "license") if isinstance(entry.get(key), str)}
        tracks.append((path, frozenset(listed | words(path.stem)), credit))
    return tracks


def choose_music(mood: str, library: Path | None, cache_dir: Path) -> MusicTrack | None:
    """The track for `mood`, or None for `none`."""
    if mood == "none":
        return None
    for path, tags, credit in _library_tracks(library):
        if mood in tags:
            return MusicTrack(path=path, mood=mood, source="library", credit=credit)
    return MusicTrack(path=beds.bed(mood, cache_dir), mood=mood, source="composed")
