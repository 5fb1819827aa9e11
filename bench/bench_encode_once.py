"""Benchmark: encode once. The whole pipeline, and the render stage again after only the voice
changed, each against one ffmpeg command assembling a video of the same duration.

    .venv/bin/python bench/bench_encode_once.py [--runs 3] [--types moa product_ad] [--quality high] [--listen voice]

For each video type and run, against a real server (uvicorn on a free loopback port):
1. the whole pipeline, every stage accepted, from `start` to the render's `completed`; with
   `--listen S`, each voice is accepted only S seconds after it completes (`--listen voice`:
   after as long as it plays), as a reviewer who listens to it would, and the render's work
   ahead runs meanwhile (the pause is then taken out of the pipeline's time, which the
   targets are not judged by: they assume no pause at all);
2. `goto` tts, `regenerate` with "a little slower" (a new voice track, every scene a new
   length), accept (after the same pause), and time the render stage alone from
   `stage_running` to `completed`;
3. the reference: one ffmpeg command that composes and encodes a video of the same duration
   at the same size in the final settings (looping 1080p footage, a still layer over it, sound),
   run right after, so the machine's mood is the same for both.

Before the timed runs the server makes one video of the first type, untimed against the targets
(`--no-warm-up` skips it): a server that has been up keeps its Manim and Piper workers loaded
(creator_service/warm.py), and the first video after a start pays their start-up once. That
video's pipeline time is reported too, as `warm_up`.

Reported: medians over the runs, as × the video's duration and as × the reference.
Targets (issue 17, high quality, this machine): pipeline <= 0.6 × duration for the Manim
types, <= 1.0 for the Remotion types; the render after a new voice <= 0.15 × duration.
Results are printed and written to bench/results/.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
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
from creator_service.rendering.scene_chunks import VIDEO_CODEC_ARGS  # noqa: E402
from creator_service.stages.render import AAC_ARGS  # noqa: E402
from creator_service.video_types import VIDEO_TYPES  # noqa: E402

ACCEPT = {"action": "accept", "acknowledge_warnings": True}
PIPELINE_TARGET = {"manim": 0.6, "remotion": 1.0}
NEW_VOICE_TARGET = 0.15


# How long a reviewer listens to each voice: seconds, or "voice" for as long as it plays.
Listen = float | str


def listen_arg(text: str) -> Listen:
    """`--listen`: a number of seconds, at least 0, or "voice"."""
    if text == "voice":
        return text
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise argparse.ArgumentTypeError(f"expected seconds or 'voice', not {text!r}")
    return seconds


def pauses(listen: Listen) -> bool:
    return listen == "voice" or float(listen) > 0


def listening(listen: Listen, voice: dict[str, Any]) -> float:
    """How long a reviewer listens to a voice before accepting it: `listen` seconds, or with
    "voice", as long as it plays."""
    return float(voice["total_duration"]) if listen == "voice" else float(listen)


def until_completed(ws: Any, stage: str, *, accept_others: bool,
                    listen: Listen = 0.0) -> tuple[float, float, dict[str, Any]]:
    """Seconds from the stage's `stage_running` to its `completed`, accepting earlier stages (the
    voice after `listening` to it), and how long was spent listening."""
    began = None
    listened = 0.0
    while True:
        event = json.loads(ws.recv(timeout=900))
        if event["status"] == "stage_running" and event["stage"] == stage:
            began = time.perf_counter()
        elif event["status"] == "completed" and event["stage"] == stage:
            assert began is not None
            return time.perf_counter() - began, listened, event
        elif event["status"] == "completed" and accept_others:
            if event["stage"] == "tts":
                listened = listening(listen, event["data"])
                time.sleep(listened)
            ws.send(json.dumps(ACCEPT))
        elif event["status"] == "error":
            raise RuntimeError(event)


def reference_seconds(duration: float, width: int, height: int, fps: int, work: Path) -> float:
    """One ffmpeg command: looping footage, a still layer over it and sound, encoded like the
    final cut. The footage (two seconds of moving test pattern) is made first, untimed, as a
    stock clip would have been downloaded."""
    footage = work / f"footage-{width}x{height}-{fps}.mp4"
    if not footage.exists():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={fps}:d=2",
                        *VIDEO_CODEC_ARGS, str(footage)], check=True)
    output = work / "reference.mp4"
    began = time.perf_counter()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         "-stream_loop", "-1", "-i", str(footage),
         "-f", "lavfi", "-i", f"color=c=black@0.4:s={width // 2}x{height // 3},format=rgba",
         "-f", "lavfi", "-i", f"sine=f=220:d={duration:.3f}",
         "-filter_complex", "[0:v][1:v]overlay=(W-w)/2:(H-h)/2,format=yuv420p[v]",
         "-map", "[v]", "-map", "2:a", "-t", f"{duration:.3f}", *VIDEO_CODEC_ARGS, *AAC_ARGS,
         "-movflags", "+faststart", str(output)],
        check=True,
    )
    return time.perf_counter() - began


def run_once(server: Server, video_type: str, quality: str, work: Path, listen: Listen) -> dict[str, float]:
    payload = {**EXAMPLE_PAYLOADS[video_type], "quality": quality}
    with connect(server.ws_url, max_size=2**22, additional_headers=server.headers) as ws:
        began = time.perf_counter()
        ws.send(json.dumps({"action": "start", "video_type": video_type, "payload": payload}))
        first_render, listened, event = until_completed(ws, "render", accept_others=True, listen=listen)
        pipeline = time.perf_counter() - began - listened
        data = event["data"]
        ws.send(json.dumps({"action": "goto", "stage": "tts"}))
        json.loads(ws.recv(timeout=60))  # the accepted voice, offered again
        ws.send(json.dumps({"action": "regenerate", "feedback": "a little slower"}))
        _, _, voice = until_completed(ws, "tts", accept_others=False)
        time.sleep(listening(listen, voice["data"]))
        ws.send(json.dumps(ACCEPT))
        new_voice, _, again = until_completed(ws, "render", accept_others=False)
        ws.send(json.dumps({"action": "stop"}))
    reference = reference_seconds(data["duration"], data["width"], data["height"], data["fps"], work)
    return {
        "duration": data["duration"], "pipeline": pipeline, "first_render": first_render,
        "new_voice_render": new_voice, "new_voice_duration": again["data"]["duration"],
        "new_voice_encoded_seconds": again["data"].get("encoded_seconds") or 0.0, "reference": reference,
        "megabytes": data["size_bytes"] / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--types", nargs="+", default=sorted(EXAMPLE_PAYLOADS), choices=sorted(EXAMPLE_PAYLOADS))
    parser.add_argument("--quality", default="high", choices=("low", "high"))
    parser.add_argument("--listen", default=0.0, type=listen_arg,
                        help="seconds between a voice's completion and its acceptance, or 'voice': as long as "
                             "it plays (default: 0)")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="time the first video after the server starts too")
    args = parser.parse_args()
    report: dict[str, Any] = {"quality": args.quality, "runs": args.runs, "listen": args.listen, "types": {}}
    met = True
    with tempfile.TemporaryDirectory(prefix="bench-encode-") as tmp, running_server(Path(tmp) / "data") as server:
        if args.warm_up:
            warm_up = run_once(server, args.types[0], args.quality, Path(tmp), args.listen)
            report["warm_up"] = {"video_type": args.types[0], **warm_up,
                                 "pipeline_x_duration": warm_up["pipeline"] / warm_up["duration"]}
            print(f"warm-up ({args.types[0]}, not judged): pipeline {warm_up['pipeline']:.2f} s, "
                  f"{report['warm_up']['pipeline_x_duration']:.2f} x the duration", flush=True)
        for video_type in args.types:
            runs = [run_once(server, video_type, args.quality, Path(tmp), args.listen) for _ in range(args.runs)]
            for number, run in enumerate(runs, start=1):
                print(f"{video_type} run {number}: " + ", ".join(f"{k} {v:.2f}" for k, v in run.items()), flush=True)

            def median(key: str, runs: list[dict[str, float]] = runs) -> float:
                return statistics.median(run[key] for run in runs)

            engine = VIDEO_TYPES[video_type].engine
            summary = {
                "engine": engine,
                "duration_median": median("duration"),
                "pipeline_x_duration": median("pipeline") / median("duration"),
                "pipeline_x_reference": median("pipeline") / median("reference"),
                "first_render_x_duration": median("first_render") / median("duration"),
                "new_voice_render_x_duration": median("new_voice_render") / median("new_voice_duration"),
                "new_voice_render_x_reference": median("new_voice_render") / median("reference"),
                "new_voice_encoded_share": median("new_voice_encoded_seconds") / median("new_voice_duration"),
                "reference_x_duration": median("reference") / median("duration"),
                "pipeline_target": PIPELINE_TARGET[engine], "new_voice_target": NEW_VOICE_TARGET,
                "runs": runs,
            }
            # The targets assume a reviewer who accepts at once: a run with a listening pause
            # reports its figures but is not judged by them.
            summary["met"] = (not pauses(args.listen) and summary["pipeline_x_duration"] <= PIPELINE_TARGET[engine]
                              and summary["new_voice_render_x_duration"] <= NEW_VOICE_TARGET)
            met = met and summary["met"]
            report["types"][video_type] = summary
            print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2), flush=True)
    save("encode-once-listen" if pauses(args.listen) else "encode-once", report)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
