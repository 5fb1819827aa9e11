"""Benchmark: the render's work ahead on a shared server. One reviewer listens to a product_ad's
voice while another session makes a whole video on the same server; then the first accepts,
and its render is timed.

    .venv/bin/python bench/bench_ahead_shared.py [--runs 2] [--other moa] [--quality high]

For each run, against a real server (uvicorn on a free loopback port), at high quality:
1. session A makes a product_ad, every stage accepted the moment it completes, up to its voice;
2. as the voice completes, session B starts a whole `--other` video, every stage accepted at
   once, up to its render's `completed`. B's stages want both process slots, and take back the
   one A's work ahead is encoding in;
3. A listens to its voice for as long as it plays (and until B is done), accepts it, and its
   render is timed from `stage_running` to `completed`, with how much of it the render itself
   had to encode (`encoded_seconds`).

The figure to read is that render against `bench_encode_once.py --listen voice`, where the
work ahead had the machine to itself. No target: issue 17's are for one session at a time.
Results are printed and written to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_encode_once import ACCEPT, until_completed  # noqa: E402
from report import save  # noqa: E402

from creator_service.client import EXAMPLE_PAYLOADS  # noqa: E402
from creator_service.devserver import Server, running_server  # noqa: E402


def start(ws: Any, video_type: str, quality: str) -> None:
    ws.send(json.dumps({"action": "start", "video_type": video_type,
                        "payload": {**EXAMPLE_PAYLOADS[video_type], "quality": quality}}))


def other_session(server: Server, video_type: str, quality: str, took: list[float]) -> None:
    """Session B: a whole video, every stage accepted at once."""
    began = time.perf_counter()
    with connect(server.ws_url, max_size=2**22, additional_headers=server.headers) as ws:
        start(ws, video_type, quality)
        until_completed(ws, "render", accept_others=True)
        took.append(time.perf_counter() - began)
        ws.send(json.dumps({"action": "stop"}))


def run_once(server: Server, other: str, quality: str) -> dict[str, float]:
    with connect(server.ws_url, max_size=2**22, additional_headers=server.headers) as ws:
        start(ws, "product_ad", quality)
        _, _, voice = until_completed(ws, "tts", accept_others=True)
        heard = time.perf_counter()
        took: list[float] = []
        b = threading.Thread(target=other_session, args=(server, other, quality, took))
        b.start()
        time.sleep(float(voice["data"]["total_duration"]))
        b.join()
        if not took:
            raise RuntimeError(f"the {other} session did not complete")
        listened = time.perf_counter() - heard
        ws.send(json.dumps(ACCEPT))
        render, _, event = until_completed(ws, "render", accept_others=False)
        ws.send(json.dumps({"action": "stop"}))
    data = event["data"]
    return {"render": render, "duration": data["duration"], "render_x_duration": render / data["duration"],
            "encoded_seconds": data.get("encoded_seconds") or 0.0, "listened": listened, "other_took": took[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--other", default="moa", choices=sorted(EXAMPLE_PAYLOADS))
    parser.add_argument("--quality", default="high", choices=("low", "high"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ahead-") as tmp, running_server(Path(tmp) / "data") as server:
        runs = []
        for number in range(1, args.runs + 1):
            run = run_once(server, args.other, args.quality)
            runs.append(run)
            print(f"run {number}: " + ", ".join(f"{k} {v:.2f}" for k, v in run.items()), flush=True)
    summary = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    report = {"quality": args.quality, "other": args.other, "runs": runs, "medians": summary}
    print(json.dumps(summary, indent=2))
    save("ahead-shared", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
