"""Benchmark: a Remotion job through the long-lived render worker against a Node process of its own.

    .venv/bin/python bench/bench_remotion_workers.py [--runs 5] [--frames 12]

Each run renders the same small job (ProductAd key frames at 854x480) both ways, alternating,
so the machine's mood is the same for both; the first worker job (which starts the worker) is
not counted, as a server starts its worker once. Reported: the medians and the seconds a job
saves. Results are printed and written to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from report import save  # noqa: E402

from creator_service.processes import CancelToken, ProcessSlots  # noqa: E402
from creator_service.rendering.remotion import render_frames, render_workers  # noqa: E402
from creator_service.rendering.remotion_workers import RemotionWorkers  # noqa: E402

PALETTE = {"background": "#0B1F3A", "primary": "#19C3B1", "accent": "#FFB547", "warning": "#FF6B6B",
           "text": "#FFFFFF", "muted": "#9FB3C8"}
PROPS = {
    "width": 854, "height": 480, "fps": 30, "durationInFrames": 90, "enterFrames": 8, "brandName": "DiabetEase",
    "palette": PALETTE,
    "scenes": [{"kind": "problem", "from": 0, "durationInFrames": 90, "eyebrow": "Why", "headline": "Daily life",
                "body": "Options that fit", "bullets": ["One", "Two"], "source": ""}],
}


def timed(work: Path, name: str, frames: int, workers: RemotionWorkers | None) -> float:
    began = time.perf_counter()
    render_frames("ProductAd", PROPS, list(range(frames)), work / name, cancel=CancelToken(), slots=ProcessSlots(1),
                  progress=lambda f, d: None, log_dir=work, workers=workers)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--frames", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-remotion-") as tmp:
        work = Path(tmp)
        workers = render_workers(1, work / "workers")
        try:
            timed(work, "warm-up", args.frames, workers)
            own, kept = [], []
            for run in range(args.runs):
                own.append(timed(work, f"own{run}", args.frames, None))
                kept.append(timed(work, f"kept{run}", args.frames, workers))
                print(f"run {run + 1}: own Node {own[-1]:.2f} s, long-lived worker {kept[-1]:.2f} s", flush=True)
        finally:
            workers.close()
    result = {"frames": args.frames, "runs": args.runs, "own_process_median": statistics.median(own),
              "worker_median": statistics.median(kept),
              "saved_per_job_seconds": statistics.median(own) - statistics.median(kept)}
    print(json.dumps(result, indent=2))
    save("remotion-workers", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
