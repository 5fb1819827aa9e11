"""When each word is said, for voices that do not report it (espeak-ng, or Piper when its
sentences do not line up with the text's).

ElevenLabs returns character timestamps and those are used as they are. For the offline voices
the timing is read from the audio itself: speech runs are found by their energy, the longest
pauses between runs are taken as the sentence boundaries (both voices pause longest between
sentences), and within a sentence each word gets a share of the time in proportion to its
length. Captions therefore start when each sentence's sound starts, which is what a viewer
notices; within a sentence the estimate is close enough for a caption, not for lip sync.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .rendering import wav

FRAME_SECONDS = 0.01
# A frame counts as speech when it is within this many dB of the track's loudest frame.
SPEECH_WITHIN_DB = 35.0
# Gaps shorter than this are inside a word or between words, not pauses.
MIN_PAUSE_SECONDS = 0.12
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@dataclass(frozen=True)
class TimedWord:
    word: str
    start: float
    end: float


def split_sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def speech_runs(samples: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(start, end) seconds of each stretch of sound, pauses shorter than MIN_PAUSE_SECONDS bridged."""
    per_frame = max(1, int(rate * FRAME_SECONDS))
    count = samples.size // per_frame
    if count == 0:
        return []
    power = (samples[: count * per_frame].reshape(count, per_frame).astype(np.float64) ** 2).mean(axis=1)
    if power.max() <= 0:
        return []
    active = power > power.max() * 10 ** (-SPEECH_WITHIN_DB / 10)
    runs: list[tuple[float, float]] = []
    start = None
    for index, on in enumerate(active):
        if on and start is None:
            start = index
        elif not on and start is not None:
            runs.append((start * FRAME_SECONDS, index * FRAME_SECONDS))
            start = None
    if start is not None:
        runs.append((start * FRAME_SECONDS, count * FRAME_SECONDS))
    bridged: list[tuple[float, float]] = []
    for run in runs:
        if bridged and run[0] - bridged[-1][1] < MIN_PAUSE_SECONDS:
            bridged[-1] = (bridged[-1][0], run[1])
        else:
            bridged.append(run)
    return bridged


def sentence_spans(sentences: int, runs: list[tuple[float, float]]) -> list[tuple[float, float]] | None:
    """Group the speech runs into `sentences` spans, splitting at the longest pauses; None when
    the audio has fewer pauses than the text has sentence breaks."""
    if sentences < 1 or len(runs) < sentences:
        return None
    gaps = sorted(range(1, len(runs)), key=lambda i: runs[i][0] - runs[i - 1][1], reverse=True)
    cuts = sorted(gaps[: sentences - 1])
    spans, first = [], 0
    for cut in [*cuts, len(runs)]:
        spans.append((runs[first][0], runs[cut - 1][1]))
        first = cut
    return spans


def spread(words: list[str], start: float, end: float) -> list[TimedWord]:
    """Share [start, end) among the words in proportion to their length."""
    if not words or end <= start:
        return []
    weights = [len(word) + 2 for word in words]
    per_weight = (end - start) / sum(weights)
    timed, clock = [], start
    for word, weight in zip(words, weights):
        timed.append(TimedWord(word, round(clock, 3), round(clock + weight * per_weight, 3)))
        clock += weight * per_weight
    return timed


def estimate_words(text: str, wav_path: Path) -> list[TimedWord]:
    """Word timings for a track from its own audio (seconds from the track's start)."""
    samples, rate = wav.read_mono(wav_path)
    runs = speech_runs(samples, rate)
    if not runs:
        return []
    sentences = split_sentences(text)
    spans = sentence_spans(len(sentences), runs) or [(runs[0][0], runs[-1][1])]
    if len(spans) != len(sentences):
        sentences = [" ".join(sentences)]
    timed: list[TimedWord] = []
    for sentence, (start, end) in zip(sentences, spans):
        timed.extend(spread(sentence.split(), start, end))
    return timed
