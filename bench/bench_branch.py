"""Benchmark: a branch against a single regenerate, on a real server.

    .venv/bin/python bench/bench_branch.py [--runs 3]

For social_media at low quality it times, from sending the action to the last result:
- the script stage (built-in planner): one `regenerate`, then a `branch` of three variants;
- the visuals stage: one `regenerate`, then a `branch` of two variants.
Targets: three script variants take about the time of one; two visuals variants <= 1.3x one.
Medians of `--runs`; results are printed and written to bench/results/.
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
from creator_service.devserver import running_server  # noqa: E402

# A reviewer who has read the warnings (claims without references, failed checks) and goes on.
ACCEPT = {"action": "accept", "acknowledge_warnings": True}


def until(ws: Any, done: str, stage: str) -> dict[str, Any]:
    while True:
        event = json.loads(ws.recv(timeout=600))
        if event["status"] == "error" and "stage" not in event:
            raise RuntimeError(event)
        if event["status"] == done and event.get("stage", stage) == stage:
            return event


def timed(ws: Any, message: dict[str, Any], done: str, stage: str) -> float:
    began = time.perf_counter()
    ws.send(json.dumps(message))
    until(ws, done, stage)
    return time.perf_counter() - began


def run_once(server: Any) -> dict[str, float]:
    payload = {**EXAMPLE_PAYLOADS["social_media"], "quality": "low"}
    figures = {}
    with connect(server.ws_url, max_size=2**22, additional_headers=server.headers) as ws:
        ws.send(json.dumps({"action": "start", "video_type": "social_media", "payload": payload}))
        until(ws, "completed", "scenes")
        ws.send(json.dumps(ACCEPT))
        until(ws, "completed", "script")
        figures["script_one"] = timed(ws, {"action": "regenerate", "feedback": "shorter"}, "completed", "script")
        figures["script_three"] = timed(ws, {"action": "branch", "variants": [
            {"feedback": "more formal"}, {"feedback": "warmer"}, {"feedback": "simpler"}]}, "variants_ready", "script")
        ws.send(json.dumps(ACCEPT))
        until(ws, "completed", "visuals")  # the first visuals (it may make the cached background loop)
        figures["visuals_one"] = timed(ws, {"action": "regenerate"}, "completed", "visuals")
        figures["visuals_two"] = timed(ws, {"action": "branch", "variants": [{"feedback": "warmer colours"},
                                                                              {"feedback": "cooler colours"}]},
                                       "variants_ready", "visuals")
        ws.send(json.dumps({"action": "stop"}))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-branch-") as tmp, running_server(Path(tmp) / "data") as server:
        for number in range(args.runs):
            runs.append(run_once(server))
            print(f"run {number + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in runs[-1].items()))
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    result = {
        "medians_seconds": median,
        "script_three_over_one": median["script_three"] / median["script_one"],
        "visuals_two_over_one": median["visuals_two"] / median["visuals_one"],
        "targets": {"script_three_over_one": "about 1", "visuals_two_over_one": 1.3},
    }
    print(json.dumps(result, indent=2))
    save("branch", result)
    return 0 if result["visuals_two_over_one"] <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
