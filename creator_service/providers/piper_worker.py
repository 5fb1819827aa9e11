"""Child process: speak a list of texts with one Piper voice, one WAV file per text.

Run as `python -m creator_service.providers.piper_worker JOB.json`, or as a warm worker with
`--warm MODEL CONFIG [ALIGNED]`: it loads that voice ahead of need, then reads each job's path
on stdin (creator_service/warm.py). The job names the model and the items; each finished item
is reported on stdout as one JSON line, with the time span of each sentence and of each word.
The times come from Piper's phoneme alignments (the model is patched in memory to report how
many samples each phoneme lasts; words are the phonemes between spaces). Loading the voice
costs about a second, so one process speaks all of a stage's texts, and the server keeps one
loaded.
"""

from __future__ import annotations

import json
import os
import sys
import wave
from pathlib import Path
from typing import Any

# Piper leaves no gap between sentences; a short pause keeps the narration easy to follow.
SENTENCE_PAUSE_SECONDS = 0.22


# Phonemes that are not sounds of a word: sentence start/end markers, pauses, punctuation.
_NOT_SPOKEN = frozenset("^$_.,;:!?¡¿—…\"'()")


def word_spans(alignments: Any, offset: int) -> list[list[int]]:
    """[start, end] samples of each word in one sentence, from its phoneme alignments."""
    spans: list[list[int]] = []
    clock, current = offset, None
    for alignment in alignments or []:
        length = int(alignment.num_samples)
        phoneme = alignment.phoneme
        if phoneme == " ":
            if current is not None:
                spans.append(current)
            current = None
        elif phoneme not in _NOT_SPOKEN:
            current = [clock, clock + length] if current is None else [current[0], clock + length]
        clock += length
    if current is not None:
        spans.append(current)
    return spans


def load_voice(model: str, config: str, aligned: str | None) -> Any:
    """The voice, patched to report its phoneme alignments. The patched model is written once
    to `aligned` (the cache) and loaded from there after, which is quicker than patching it
    in memory at every load."""
    from piper import PiperVoice

    if aligned:
        target = Path(aligned)
        if not target.is_file():
            try:
                import onnx
                from piper.patch_voice_with_alignment import add_alignment_output

                patched = onnx.load(model)
                add_alignment_output(patched)
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(f".{target.name}.{os.getpid()}.part")
                onnx.save(patched, str(partial))
                partial.replace(target)
            except (ImportError, ValueError) as exc:  # no onnx, or a model that cannot be patched
                print(f"Piper alignments unavailable ({exc}); word times will be estimated", file=sys.stderr)
                return PiperVoice.load(model, config_path=config)
        return PiperVoice.load(str(target), config_path=config)
    return PiperVoice.load(model, config_path=config, include_alignments=True)


def voice_files(job: dict[str, Any]) -> tuple[str, str, str | None]:
    """What names a loaded voice: the model, its config and its patched copy."""
    return job["model"], job["config"], job.get("aligned")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--warm"]:
        return serve(*argv[1:])
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    return speak(job, load_voice(*voice_files(job)))


def serve(model: str, config: str, aligned: str | None = None) -> int:
    """A warm worker (creator_service/warm.py): the voice loaded ahead of need, it speaks each
    job file named on stdin. A job that names another voice loads it, and the worker keeps the
    last such voice beside its own for the next job."""
    from ..warm import serve_job_files

    own = (model, config, aligned)
    voices = {own: load_voice(*own)}

    def run(job_path: Path) -> int:
        job = json.loads(job_path.read_text(encoding="utf-8"))
        wanted = voice_files(job)
        if wanted not in voices:
            for other in [files for files in voices if files != own]:
                del voices[other]
            voices[wanted] = load_voice(*wanted)
        return speak(job, voices[wanted])

    return serve_job_files(run)


def speak(job: dict[str, Any], voice: Any) -> int:
    from piper import SynthesisConfig

    for index, item in enumerate(job["items"]):
        config = SynthesisConfig(length_scale=item.get("length_scale", job.get("length_scale", 1.0)))
        rate = voice.config.sample_rate
        pause = b"\x00\x00" * round(SENTENCE_PAUSE_SECONDS * rate)
        chunks, sentences, offset = [], [], 0
        for chunk in voice.synthesize(item["text"], config, include_alignments=True):
            audio_bytes = chunk.audio_int16_bytes
            words = word_spans(chunk.phoneme_alignments, offset)
            sentences.append({
                "start": offset / rate, "end": (offset + len(audio_bytes) // 2) / rate,
                "words": [[start / rate, end / rate] for start, end in words],
            })
            chunks.append(audio_bytes)
            offset += len(audio_bytes) // 2 + len(pause) // 2
        audio = pause.join(chunks)
        with wave.open(item["path"], "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(rate)
            handle.writeframes(audio)
        duration = len(audio) / 2 / rate
        print(json.dumps({"done": index, "duration": duration, "sample_rate": rate, "sentences": sentences}),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
