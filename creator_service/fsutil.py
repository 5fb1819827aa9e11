"""Small file-system helpers shared by stages."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path


def partial_path(target: Path) -> Path:
    """Where to write `target` before renaming it into place: hidden, beside it (same file
    system, so the rename is atomic), and named per process and thread, so two writers of the
    same file at once (the render and the work ahead of it, two sessions) never share one."""
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")


def link_or_copy(source: Path, target: Path) -> None:
    """Make `target` the same content as `source`: a hard link where possible (no space used),
    a copy across file systems. An existing `target` (made by a parallel job) is left as is."""
    try:
        os.link(source, target)
    except FileExistsError:
        return
    except OSError:
        partial = partial_path(target)
        shutil.copyfile(source, partial)
        partial.replace(target)


def write_text_atomically(path: Path, text: str) -> None:
    """Write `path` so that a reader sees the old file or the whole new one, never a part."""
    partial = partial_path(path)
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
