"""Benchmark: regenerating one scene's visuals against the whole visuals stage.

    .venv/bin/python bench/bench_scene_regen.py [--runs 3] [--video-type social_media] [--quality high]

For each run it starts a real server's session (uvicorn on a free loopback port), times the
visuals stage as it first runs (every scene), then `regenerate` with `"scenes": [2]` (one scene),
both from `stage_running` to `completed`, and reports the medians and their ratio. Target: one
scene costs <= 30 % of the whole stage. Results are printed and written to bench/results/.
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


def timed_stage(ws: Any, stage: str) -> tuple[float, dict[str, Any]]:
    began = None
    while True:
        event = json.loads(ws.recv(timeout=600))
        if event["status"] == "stage_running" and event["stage"] == stage:
            began = time.perf_counter()
        elif event["status"] == "completed" and event["stage"] == stage:
            assert began is not None
            return time.perf_counter() - began, event
        elif event["status"] == "completed":
            ws.send(json.dumps(ACCEPT))
        elif event["status"] == "error":
            raise RuntimeError(event)


def run_once(server: Server, video_type: str, quality: str) -> tuple[float, float, int]:
    payload = {**EXAMPLE_PAYLOADS[video_type], "quality": quality}
    with connect(server.ws_url, max_size=2**22, additional_headers=server.headers) as ws:
        ws.send(json.dumps({"action": "start", "video_type": video_type, "payload": payload}))
        whole, event = timed_stage(ws, "visuals")
        ws.send(json.dumps({"action": "regenerate", "scenes": [2]}))
        one, _ = timed_stage(ws, "visuals")
        ws.send(json.dumps({"action": "stop"}))
    return whole, one, len(event["data"]["clips"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--video-type", default="social_media", choices=sorted(EXAMPLE_PAYLOADS))
    parser.add_argument("--quality", default="high", choices=("low", "high"))
    args = parser.parse_args()
    wholes, ones = [], []
    with tempfile.TemporaryDirectory(prefix="bench-scene-") as tmp, running_server(Path(tmp) / "data") as server:
        for run in range(args.runs):
            whole, one, scenes = run_once(server, args.video_type, args.quality)
            wholes.append(whole)
            ones.append(one)
            print(f"run {run + 1}: visuals, all {scenes} scenes {whole:.1f} s; scene 2 alone {one:.1f} s "
                  f"({one / whole:.0%})")
    result = {
        "video_type": args.video_type, "quality": args.quality, "runs": args.runs, "scenes": scenes,
        "whole_stage_seconds_median": statistics.median(wholes), "one_scene_seconds_median": statistics.median(ones),
        "ratio": statistics.median(ones) / statistics.median(wholes), "target_ratio": 0.30,
    }
    print(json.dumps(result, indent=2))
    save("scene-regen", result)
    return 0 if result["ratio"] <= 0.30 else 1


if __name__ == "__main__":
    sys.exit(main())
