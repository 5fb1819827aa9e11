"""The user's own clips and photos: a folder searched by file name and an optional tags file.

`CREATOR_MEDIA_DIR` may hold a `tags.json` mapping file names (relative to the folder) to
`{"tags": [...], "author": ..., "url": ..., "license": ...}`; words in a file's name count as
tags too. A search scores each file by how many of the request's words it matches.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import MediaCredit
from ..processes import CancelToken, ProcessSlots
from .assets import PHOTO_SUFFIXES, VIDEO_SUFFIXES, MediaAsset, MediaRequest

logger = logging.getLogger(__name__)
TAGS_FILE = "tags.json"
_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about what a picture shows.
_STOP_WORDS = frozenset(
    "a an and the of for to in on with at by from or is are be your you our this that it".split()
)


def words(text: str) -> set[str]:
    found = {w for w in _WORD.findall(text.lower()) if w not in _STOP_WORDS and len(w) > 1}
    # A plural matches its singular ("doctors" finds "doctor").
    return found | {w[:-1] for w in found if w.endswith("s") and len(w) > 3}


@dataclass(frozen=True)
class LibraryEntry:
    path: Path
    kind: str
    tags: frozenset[str]
    credit: dict[str, Any]


class LocalLibrary:
    name = "library"

    def __init__(self, root: Path | None):
        self._root = root
        self._entries: list[LibraryEntry] | None = None

    def entries(self) -> list[LibraryEntry]:
        """Indexed on first use; the folder is read-only to us."""
        if self._entries is None:
            self._entries = self._index()
        return self._entries

    def _index(self) -> list[LibraryEntry]:
        if self._root is None or not self._root.is_dir():
            return []
        tags_by_name: dict[str, Any] = {}
        tags_path = self._root / TAGS_FILE
        if tags_path.is_file():
            try:
                tags_by_name = json.loads(tags_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                logger.warning("ignoring %s: %s", tags_path, exc)
        entries = []
        for path in sorted(self._root.rglob("*")):
            suffix = path.suffix.lower()
            if not path.is_file() or path.is_symlink():
                continue
            if suffix in VIDEO_SUFFIXES:
                kind = "video"
            elif suffix in PHOTO_SUFFIXES:
                kind = "photo"
            else:
                continue
            relative = path.relative_to(self._root).as_posix()
            meta = tags_by_name.get(relative, {}) if isinstance(tags_by_name, dict) else {}
            tags = words(Path(relative).with_suffix("").as_posix().replace("/", " "))
            for tag in meta.get("tags", []) if isinstance(meta, dict) else []:
                tags |= words(str(tag))
            entries.append(LibraryEntry(path, kind, frozenset(tags), meta if isinstance(meta, dict) else {}))
        return entries

    def find(self, request: MediaRequest, *, cancel: CancelToken, slots: ProcessSlots) -> MediaAsset | None:
        wanted = words(request.query)
        best: tuple[float, LibraryEntry] | None = None
        for entry in self.entries():
            score = float(len(wanted & entry.tags))
            if score == 0:
                continue
            # Moving pictures beat stills when both match equally.
            score += 0.5 if entry.kind == "video" else 0.0
            if best is None or score > best[0]:
                best = (score, entry)
        if best is None:
            return None
        entry = best[1]
        credit = MediaCredit(
            kind="library",
            description=f"{entry.kind} from the media library: {entry.path.name}",
            author=entry.credit.get("author"),
            url=entry.credit.get("url"),
            license=entry.credit.get("license"),
        )
        return MediaAsset(path=entry.path, kind=entry.kind, credit=credit)  # type: ignore[arg-type]
