"""Child process: speak a list of texts with one Piper voice, one WAV file per text.

Run as `python -m creator_service.providers.piper_worker JOB.json`. The job names the model
and the items; each finished item is reported on stdout as one JSON line. Loading the voice
costs about half a second, so one process speaks all of a stage's texts.
"""

from __future__ import annotations

import json
import sys
import wave
from pathlib import Path

# Piper leaves no gap between sentences; a short pause keeps the narration easy to follow.
SENTENCE_PAUSE_SECONDS = 0.22


def main(job_path: str) -> int:
    from piper import PiperVoice, SynthesisConfig

    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    voice = PiperVoice.load(job["model"], config_path=job["config"])
    config = SynthesisConfig(length_scale=job.get("length_scale", 1.0))
    for index, item in enumerate(job["items"]):
        rate = voice.config.sample_rate
        pause = b"\x00\x00" * round(SENTENCE_PAUSE_SECONDS * rate)
        chunks = [chunk.audio_int16_bytes for chunk in voice.synthesize(item["text"], config)]
        audio = pause.join(chunks)
        with wave.open(item["path"], "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(rate)
            handle.writeframes(audio)
        duration = len(audio) / 2 / rate
        print(json.dumps({"done": index, "duration": duration, "sample_rate": rate}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
