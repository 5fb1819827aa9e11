"""Benchmark: durable sessions with many stored. How fast a restarted server is ready, and how
fast `resume` answers.

    .venv/bin/python bench/bench_sessions.py [--sessions 200] [--runs 3]

It starts the real server (uvicorn on a free loopback port, as `make run` does) on a fresh data
folder and opens `--sessions` Creator sessions over the WebSocket, each taken to its script stage
awaiting review (the real built-in planner writes them). Then, `--runs` times:

- restart: the server is stopped (SIGTERM) and started again on the same data folder; the time
  from spawning the process to its first `/health` answer. For comparison, the same on an empty
  data folder, side by side in the same run.
- resume: one connection per stored session sends `resume`; the time from sending it to
  `session_resumed` (the session is read from the store on the first resume after a restart,
  the cold path), p50 and p99 over all sessions.

Targets: restart with 200 stored sessions ready in <= 2 s; resume p50 and p99 <= 50 ms. Results
are printed and written to bench/results/.
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

import httpx
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_pipeline import percentile  # noqa: E402
from report import save  # noqa: E402

from creator_service.client import EXAMPLE_PAYLOADS  # noqa: E402
from creator_service.devserver import Server, running_server  # noqa: E402


def open_sessions(server: Server, count: int) -> list[dict[str, Any]]:
    started = []
    for _ in range(count):
        with connect(server.ws_url, max_size=2**22, additional_headers=server.headers) as ws:
            ws.send(json.dumps({"action": "start", "video_type": "social_media",
                                "payload": EXAMPLE_PAYLOADS["social_media"]}))
            accepted = False
            while True:
                event = json.loads(ws.recv(timeout=60))
                if event["status"] == "session_started":
                    started.append(event)
                elif event["status"] == "completed" and not accepted:
                    ws.send(json.dumps({"action": "accept"}))
                    accepted = True
                elif event["status"] == "completed":
                    break
    return started


def time_to_ready(data_dir: Path) -> float:
    began = time.perf_counter()
    with running_server(data_dir):
        return time.perf_counter() - began


def resume_times(server: Server, sessions: list[dict[str, Any]]) -> list[float]:
    times = []
    for started in sessions:
        with connect(server.ws_url, max_size=2**22, additional_headers=server.headers) as ws:
            message = json.dumps({"action": "resume", "video_id": started["video_id"],
                                  "resume_token": started["resume_token"]})
            sent = time.perf_counter()
            ws.send(message)
            answer = json.loads(ws.recv(timeout=30))
            times.append(time.perf_counter() - sent)
            assert answer["status"] == "session_resumed", answer
            assert json.loads(ws.recv(timeout=30))["status"] == "completed"
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        data = Path(tmp) / "data"
        empty = Path(tmp) / "empty"
        with running_server(data) as server:
            began = time.perf_counter()
            sessions = open_sessions(server, args.sessions)
            print(f"opened {len(sessions)} sessions in {time.perf_counter() - began:.1f} s")
        ready, ready_empty, p50s, p99s = [], [], [], []
        for run in range(args.runs):
            ready_empty.append(time_to_ready(empty))
            began = time.perf_counter()
            with running_server(data) as server:
                ready.append(time.perf_counter() - began)
                times = resume_times(server, sessions)
                listed = httpx.get(f"{server.http}/videos?limit=1", timeout=10, headers=server.headers).json()["total"]
                assert listed == len(sessions), listed
            p50s.append(percentile(times, 0.5) * 1000)
            p99s.append(percentile(times, 0.99) * 1000)
            print(f"run {run + 1}: ready in {ready[-1]:.2f} s (empty data dir {ready_empty[-1]:.2f} s); "
                  f"resume p50 {p50s[-1]:.1f} ms, p99 {p99s[-1]:.1f} ms")
    result = {
        "sessions": args.sessions, "runs": args.runs,
        "restart_ready_seconds_median": statistics.median(ready),
        "restart_ready_empty_seconds_median": statistics.median(ready_empty),
        "resume_p50_ms_median": statistics.median(p50s), "resume_p99_ms_median": statistics.median(p99s),
        "targets": {"restart_ready_seconds": 2.0, "resume_p50_ms": 50.0, "resume_p99_ms": 50.0},
    }
    print(json.dumps(result, indent=2))
    save("sessions", result)
    ok = (result["restart_ready_seconds_median"] <= 2.0 and result["resume_p99_ms_median"] <= 50.0
          and result["resume_p50_ms_median"] <= 50.0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
