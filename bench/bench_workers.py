"""Benchmark: the same videos rendered through one Celery worker and through two.

    .venv/bin/python bench/bench_workers.py [--runs 3] [--types moa doctor_ad social_media] [--quality low]

A real redis-server and real workers (`celery -A creator_service.worker worker --concurrency 1`,
one process each) on this machine, the web server with CREATOR_EXECUTOR=celery; each video is
made `--runs` times per setup, accepting every stage, and the median visuals stage (the work the
workers do: Manim's clips) and whole pipeline are reported, with two workers' time as a ratio to
one's. Only Manim's clips go to the workers today, so the Manim types are the default.
Results are printed and written to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import run_once  # noqa: E402
from report import save  # noqa: E402

from creator_service.devserver import running_redis, running_server, running_workers  # noqa: E402


def measure(workers: int, types: list[str], quality: str, runs: int, root: Path) -> dict[str, dict[str, float]]:
    folder = root / f"workers-{workers}"
    with running_redis(folder / "redis") as broker, running_workers(workers, broker, folder / "workers"), \
            running_server(folder / "data", CREATOR_EXECUTOR="celery", CREATOR_BROKER_URL=broker) as server:
        found = {}
        for video_type in types:
            made = [run_once(server, video_type, quality) for _ in range(runs)]
            found[video_type] = {
                "visuals_seconds": round(statistics.median(run["stages"]["visuals"] for run in made), 2),
                "pipeline_seconds": round(statistics.median(run["total"] for run in made), 2),
                "video_seconds": round(statistics.median(run["duration"] for run in made), 2),
            }
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--types", nargs="+", default=["moa", "doctor_ad", "social_media"])
    parser.add_argument("--quality", default="low", choices=("low", "high"))
    args = parser.parse_args()
    report: dict[str, Any] = {"runs": args.runs, "quality": args.quality, "results": []}
    with tempfile.TemporaryDirectory(prefix="creator-bench-workers-") as tmp:
        one = measure(1, args.types, args.quality, args.runs, Path(tmp))
        two = measure(2, args.types, args.quality, args.runs, Path(tmp))
    for video_type in args.types:
        report["results"].append({
            "video_type": video_type, "one_worker": one[video_type], "two_workers": two[video_type],
            "visuals_two_over_one": round(two[video_type]["visuals_seconds"] / one[video_type]["visuals_seconds"], 3),
            "pipeline_two_over_one": round(two[video_type]["pipeline_seconds"] / one[video_type]["pipeline_seconds"], 3),
        })
    print(json.dumps(report, indent=2))
    print(f"written to {save('workers', report)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
