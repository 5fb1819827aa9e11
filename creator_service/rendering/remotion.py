"""Render Remotion compositions from Python through `remotion_project/render.mjs`.

One Node process per job: it reuses the bundle made once per version of the project (kept in
`remotion_project/build/`), opens Debian's Chromium once, renders the requested frames as PNG
with alpha, and closes the browser when the job ends or the session stops (SIGTERM).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any, Callable

from ..processes import CancelToken, ChildProcessFailed, ProcessSlots, run_child

REMOTION_DIR = Path(__file__).resolve().parents[2] / "remotion_project"
RENDER_SCRIPT = REMOTION_DIR / "render.mjs"
CHROMIUM = os.environ.get("CREATOR_CHROMIUM", "/usr/bin/chromium")


class RemotionUnavailable(ChildProcessFailed):
    """The Remotion project or its browser is not installed here."""


def check_installed() -> None:
    if shutil.which("node") is None:
        raise RemotionUnavailable("Node.js is not installed")
    if not (REMOTION_DIR / "node_modules" / "@remotion" / "renderer").is_dir():
        raise RemotionUnavailable(
            f"the Remotion project is not installed: run `make install` (npm ci in {REMOTION_DIR})"
        )
    if not Path(CHROMIUM).exists():
        raise RemotionUnavailable(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package (make install)"
        )


def render_frames(
    composition: str,
    props: dict[str, Any],
    frames: list[int],
    output_dir: Path,
    *,
    cancel: CancelToken,
    slots: ProcessSlots,
    progress: Callable[[float, str], None],
    log_dir: Path,
    layers: list[str] | None = None,
) -> list[Path]:
    """Render timeline frames `frames` of a composition, each in its layer ('content',
    'backdrop' or 'all'; see remotion_project/src/components/timeline.tsx), one PNG each."""
    check_installed()
    output_dir.mkdir(parents=True, exist_ok=True)
    job_path = log_dir / f"remotion-{composition}.json"
    job_path.write_text(
        json.dumps({"composition": composition, "outputDir": str(output_dir),
                    "props": {**props, "frames": frames, "layers": layers}}),
        encoding="utf-8",
    )

    def on_line(line: str) -> None:
        if not line.startswith("{"):
            return
        event = json.loads(line)
        if event.get("stage") == "bundling":
            progress(0.0, "bundling the Remotion project (once per version)")
        elif "rendered" in event:
            progress(event["rendered"] / max(1, event["total"]),
                     f"Remotion rendered {event['rendered']} of {event['total']} key frames")

    run_child(
        ["node", str(RENDER_SCRIPT), str(job_path)],
        cancel=cancel, slots=slots, stderr_path=log_dir / f"remotion-{composition}.log",
        what=f"Remotion ({composition})", on_line=on_line, cwd=REMOTION_DIR,
        env={**os.environ, "CREATOR_CHROMIUM": CHROMIUM},
        death_signal=signal.SIGTERM,
    )
    files = sorted(output_dir.glob("element-*.png"))
    if len(files) != len(frames):
        raise ChildProcessFailed(
            f"Remotion wrote {len(files)} frames for {composition}, expected {len(frames)}"
        )
    return files
