"""Benchmark: each stage of a ~30 s video, and the event loop's responsiveness under load.

    .venv/bin/python bench/bench_pipeline.py [--runs 3] [--types social_media] [--qualities low high] [--logo]

For each video type and quality it runs the whole pipeline `--runs` times against a real server
(uvicorn on a free loopback port, as `make run` starts it), accepting every stage, and reports
the median seconds per stage and the median whole-pipeline time as a ratio to the video's
duration. While the heavy stages run it also measures the round trip of a WebSocket message
(a second `start`, which the server always refuses at once) and reports p50 and p99.

`render_ratio` is the rendering work alone (visuals, animations and render stages) over the
video's duration. Targets (2 cores): at low quality the whole pipeline no slower than the video
plays (ratio <= 1.0); at high quality render_ratio <= 1.0 for the Manim types and <= 2.0 for the
Remotion types; p99 round trip <= 50 ms. Results are printed and written to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from report import save  # noqa: E402

from creator_service.client import EXAMPLE_PAYLOADS  # noqa: E402
from creator_service.devserver import Server, running_server  # noqa: E402

# A reviewer who has read the warnings (claims without references, failed checks) and goes on.
ACCEPT = {"action": "accept", "acknowledge_warnings": True}

PROBE_EVERY = 0.1  # seconds between round-trip probes while a stage runs
HEAVY_STAGES = {"visuals", "animations", "tts", "render"}
RENDER_STAGES = {"visuals", "animations", "render"}


def run_once(server: Server, video_type: str, quality: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    payload = {**EXAMPLE_PAYLOADS[video_type], "quality": quality, **(extra or {})}
    probe = json.dumps({"action": "start", "video_type": video_type, "payload": payload})
    stage_seconds: dict[str, float] = {}
    round_trips: list[float] = []
    with connect(server.ws_url, max_size=2**22, additional_headers=server.headers) as ws:
        ws.send(probe)
        started_at = time.perf_counter()
        stage_started = started_at
        current = None
        probe_sent: float | None = None
        last_probe = 0.0
        while True:
            now = time.perf_counter()
            if current in HEAVY_STAGES and probe_sent is None and now - last_probe >= PROBE_EVERY:
                ws.send(probe)
                probe_sent = last_probe = time.perf_counter()
            try:
                event = json.loads(ws.recv(timeout=0.02))
            except TimeoutError:
                if now - started_at > 1800:
                    raise RuntimeError("the pipeline took over 30 minutes") from None
                continue
            status = event.get("status")
            if status == "error" and event.get("code") == "already_started":
                assert probe_sent is not None
                round_trips.append(time.perf_counter() - probe_sent)
                probe_sent = None
            elif status == "stage_running":
                current, stage_started = event["stage"], time.perf_counter()
            elif status == "completed":
                stage_seconds[event["stage"]] = time.perf_counter() - stage_started
                if event["stage"] == "render":
                    duration = float(event["data"]["duration"])
                current = None
                ws.send(json.dumps(ACCEPT))
            elif status == "error":
                raise RuntimeError(f"stage failed: {event}")
            elif status == "pipeline_complete":
                total = time.perf_counter() - started_at
                return {"stages": stage_seconds, "total": total, "duration": duration,
                        "round_trips": round_trips}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--types", nargs="+", default=["social_media"])
    parser.add_argument("--qualities", nargs="+", default=["low", "high"])
    parser.add_argument("--logo", action="store_true", help="doctor_ad with a brand logo on every scene")
    args = parser.parse_args()

    report: dict[str, Any] = {"runs": args.runs, "results": []}
    with tempfile.TemporaryDirectory(prefix="creator-bench-") as tmp:
        with running_server(Path(tmp) / "data") as server:
            logo = None
            if args.logo:
                response = server.upload_logo(Path(tmp), colour="0xE0457B", size="400x160")
                response.raise_for_status()
                logo = str(response.json()["logo"])
            for video_type in args.types:
                extra = {"logo": logo} if logo and video_type == "doctor_ad" else {}
                for quality in args.qualities:
                    runs = [run_once(server, video_type, quality, extra) for _ in range(args.runs)]
                    stages = {
                        stage: statistics.median(run["stages"][stage] for run in runs)
                        for stage in runs[0]["stages"]
                    }
                    duration = statistics.median(run["duration"] for run in runs)
                    total = statistics.median(run["total"] for run in runs)
                    # The rendering work: everything but planning, writing and speaking.
                    rendering = statistics.median(
                        sum(seconds for stage, seconds in run["stages"].items() if stage in RENDER_STAGES)
                        for run in runs
                    )
                    trips = [t for run in runs for t in run["round_trips"]]
                    result = {
                        "video_type": video_type,
                        "quality": quality,
                        "logo": bool(extra),
                        "video_seconds": round(duration, 2),
                        "pipeline_seconds": round(total, 2),
                        "ratio": round(total / duration, 3),
                        "render_seconds": round(rendering, 2),
                        "render_ratio": round(rendering / duration, 3),
                        "stage_seconds": {k: round(v, 2) for k, v in stages.items()},
                        "stage_ratio": {k: round(v / duration, 3) for k, v in stages.items()},
                        "round_trip_ms": {
                            "samples": len(trips),
                            "p50": round(percentile(trips, 0.5) * 1000, 1) if trips else None,
                            "p99": round(percentile(trips, 0.99) * 1000, 1) if trips else None,
                        },
                    }
                    report["results"].append(result)
                    print(json.dumps(result, indent=2), flush=True)

    print(f"written to {save('pipeline', report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
