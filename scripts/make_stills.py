"""Render every video type for real (1080p) and keep one still of each for the README.

    .venv/bin/python scripts/make_stills.py docs/stills [video_type ...]

Starts the service on a free loopback port, runs the spec's automated client for each type
with its example brief at high quality, and writes `<type>.png` (480 px wide, scaled down from
1080p so type and edges are smooth) from a third of the way in.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from creator_service.client import EXAMPLE_PAYLOADS, run  # noqa: E402
from creator_service.devserver import running_server  # noqa: E402

STILL_AT = 0.3
WIDTH = 480


def duration_of(video: Path) -> float:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(video)],
        capture_output=True, text=True, check=True,
    )
    return float(result.stdout.strip())


def main(out_dir: Path, types: list[str]) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="creator-stills-") as tmp:
        with running_server(Path(tmp) / "data") as server:
            for video_type, example in EXAMPLE_PAYLOADS.items():
                if types and video_type not in types:
                    continue
                payload = {**example, "quality": "high"}
                video = Path(asyncio.run(run(server.ws_url, video_type, payload, auto=True, out=io.StringIO(), token=server.token)))
                still = out_dir / f"{video_type}.png"
                subprocess.run(
                    ["ffmpeg", "-v", "error", "-y", "-ss", f"{duration_of(video) * STILL_AT:.2f}", "-i", str(video),
                     "-frames:v", "1", "-vf", f"scale='if(gt(iw,ih),{WIDTH},{WIDTH * 9 // 16})':-2:flags=lanczos",
                     str(still)],
                    check=True,
                )
                print(f"{video_type}: {still}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/stills"), sys.argv[2:]))
