"""Benchmark: what the broadcast sound adds to a render (music bed, ducking, loudness).

    .venv/bin/python bench/bench_sound.py [--runs 5] [--seconds 30]

Speaks a script of about `--seconds` with the offline voice (Piper) once, then, for each run,
times what the render stage does now that it did not do before: the mix with a composed music
bed (voice compression, ducking, safety drop-out, one gain to -16 LUFS with the limiter) and the
loudness measurement of the finished file. The final encode itself is not counted: it encodes
the audio either way. Target: <= 2 s for a 30 s video. Results are printed and written to
bench/results/.
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
from creator_service.providers.voice import PiperSpeaker, SpeechItem, SpeechJob  # noqa: E402
from creator_service.rendering import wav  # noqa: E402
from creator_service.sound import loudness  # noqa: E402
from creator_service.sound.mix import MixPlan, make_mix  # noqa: E402
from creator_service.sound.music import choose_music  # noqa: E402

SENTENCES = [
    "Living with type 2 diabetes means thinking about blood sugar every day.",
    "Metformin is a prescription medicine that helps keep blood sugar in a healthy range.",
    "It works in the liver, where it lowers the amount of sugar the body makes.",
    "It also helps the body respond better to its own insulin.",
    "Metformin is not right for everyone, and side effects can happen.",
    "Ask your doctor whether Metformin is right for you, and how to take it.",
]


def narration(folder: Path, seconds: float, cancel: CancelToken, slots: ProcessSlots) -> Path:
    """About `seconds` of real speech, laid end to end as the render stage lays it."""
    job = SpeechJob(cancel=cancel, slots=slots, progress=lambda f, d: None, log_dir=folder)
    items = [SpeechItem(text, folder / f"s{n}.wav") for n, text in enumerate(SENTENCES)]
    PiperSpeaker().speak(items, job)
    frames, total = b"", 0.0
    while total < seconds:
        for item in items:
            frames += wav.read_frames(item.path) + wav.silence(0.5)
            total = len(frames) / 2 / wav.SAMPLE_RATE
    path = folder / "narration.wav"
    wav.write(path, wav.exact_length(frames, round(seconds * wav.SAMPLE_RATE)))
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    cancel, slots = CancelToken(), ProcessSlots(2)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        speech = narration(folder, args.seconds, cancel, slots)
        track = choose_music("uplifting", None, folder / "cache")  # composed once, as on first use
        safety = [(args.seconds - 8, args.seconds - 3)]
        times, results = [], []
        for run in range(args.runs):
            work = folder / f"run{run}"
            work.mkdir()
            began = time.perf_counter()
            mixed = make_mix(MixPlan(speech, args.seconds, track, safety, -16.0), work, cancel=cancel, slots=slots)
            # The render measures its finished file; here the master is what it would mux.
            heard = loudness.measure(mixed.master, cancel=cancel, slots=slots, log_path=work / "final.log")
            times.append(time.perf_counter() - began)
            results.append(heard)
    report = {
        "video_seconds": args.seconds,
        "runs": args.runs,
        "added_seconds": [round(t, 3) for t in times],
        "median_added_seconds": round(statistics.median(times), 3),
        "target_seconds": 2.0,
        "loudness": [r.as_data(-16.0) for r in results][-1],
    }
    print(json.dumps(report, indent=2))
    save("sound", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
