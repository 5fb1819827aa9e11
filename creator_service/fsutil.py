"""Small file-system helpers shared by stages."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path


def link_or_copy(source: Path, target: Path) -> None:
    """Make `target` the same content as `source`: a hard link where possible (no space used),
    a copy across file systems. An existing `target` (made by a parallel job) is left as is."""
    try:
        os.link(source, target)
    except FileExistsError:
        return
    except OSError:
        partial = target.with_name(f".{target.name}.{os.getpid()}.{id(target)}.part")
        shutil.copyfile(source, partial)
        partial.replace(target)


def write_text_atomically(path: Path, text: str) -> None:
    """Write `path` so that a reader sees the old file or the whole new one, never a part."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
