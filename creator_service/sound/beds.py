"""Music beds the service composes itself, for when the user has no music library.

Each mood is a four-chord progression played by a soft pad, a bass and a plucked arpeggio, made
with numpy as additive synthesis (a few harmonics per note, each with its own envelope). Every
note is written into the loop's buffer modulo its length, so a pad's release that runs past the
end sounds again at the start: the loop repeats without a seam or a click. A bed is made once per
mood and cached; it takes about a second.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..fsutil import partial_path

RATE = 48_000
# Bump when the sound of a bed changes, so cached beds are made again.
BED_VERSION = 1

# MIDI note numbers: C4 = 60.
_NOTE = {"C": 0, "C#": 1, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6, "G": 7,
         "Ab": 8, "A": 9, "Bb": 10, "B": 11}


@dataclass(frozen=True)
class Mood:
    # Each chord: its root (a name), and its notes as semitones above the root.
    chords: tuple[tuple[str, tuple[int, ...]], ...]
    seconds_per_chord: float
    # Arpeggio notes per chord (0: none), and how bright the pad is (share of upper harmonics).
    arpeggio_steps: int
    brightness: float
    bass: bool = True


MAJ7 = (0, 4, 7, 11)
MIN7 = (0, 3, 7, 10)
MAJ = (0, 4, 7, 12)
MIN = (0, 3, 7, 12)
ADD9 = (0, 4, 7, 14)
SIX = (0, 4, 7, 9)

MOODS: dict[str, Mood] = {
    "calm": Mood((("C", MAJ7), ("A", MIN7), ("F", MAJ7), ("G", SIX)), 4.0, 4, 0.25),
    "uplifting": Mood((("C", ADD9), ("G", MAJ), ("A", MIN7), ("F", ADD9)), 2.0, 8, 0.5),
    "corporate": Mood((("D", MAJ), ("A", MAJ), ("B", MIN), ("G", MAJ7)), 2.0, 8, 0.4),
    "warm": Mood((("F", MAJ7), ("D", MIN7), ("Bb", MAJ7), ("C", SIX)), 3.0, 6, 0.3),
}


def _frequency(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _add(buffer: np.ndarray, start: int, signal: np.ndarray, pan: float) -> None:
    """Add a mono signal into the stereo loop at `start`, wrapping round the end."""
    left, right = np.cos((pan + 1) * np.pi / 4), np.sin((pan + 1) * np.pi / 4)
    indices = (start + np.arange(signal.size)) % buffer.shape[0]
    np.add.at(buffer[:, 0], indices, signal * left)
    np.add.at(buffer[:, 1], indices, signal * right)


def _tone(midi: float, seconds: float, harmonics: list[float], attack: float, release: float,
          decay: float | None = None, detune_cents: float = 0.0) -> np.ndarray:
    count = int(seconds * RATE)
    t = np.arange(count) / RATE
    frequency = _frequency(midi) * 2 ** (detune_cents / 1200)
    wave_ = sum(weight * np.sin(2 * np.pi * frequency * (n + 1) * t) for n, weight in enumerate(harmonics))
    envelope = np.minimum(1.0, t / max(attack, 1e-3))
    release_start = seconds - release
    envelope = envelope * np.clip((seconds - t) / max(release, 1e-3), 0.0, 1.0) if release_start > 0 else envelope
    if decay is not None:
        envelope = envelope * np.exp(-t / decay)
    return (wave_ * envelope).astype(np.float64)


def compose(mood: str) -> np.ndarray:
    """One seamless loop of the mood, stereo float in [-1, 1]."""
    spec = MOODS[mood]
    chord_samples = int(spec.seconds_per_chord * RATE)
    buffer = np.zeros((chord_samples * len(spec.chords), 2))
    pad_harmonics = [1.0, 0.5 * spec.brightness, 0.25 * spec.brightness, 0.12 * spec.brightness]
    for number, (root, intervals) in enumerate(spec.chords):
        base = 48 + _NOTE[root]  # the chord around C3..B3
        start = number * chord_samples
        # The pad overlaps the next chord by its release: chords flow into each other.
        length = spec.seconds_per_chord + 1.2
        for position, interval in enumerate(intervals):
            for cents, pan in ((-6.0, -0.5), (6.0, 0.5)):
                note = _tone(base + 12 + interval, length, pad_harmonics, attack=0.6, release=1.4, detune_cents=cents)
                _add(buffer, start, 0.05 * note, pan * (0.4 + 0.15 * position))
        if spec.bass:
            bass = _tone(base - 12, spec.seconds_per_chord + 0.3, [1.0, 0.3], attack=0.05, release=0.5, decay=2.5)
            _add(buffer, start, 0.22 * bass, 0.0)
        steps = spec.arpeggio_steps
        for step in range(steps):
            interval = intervals[step % len(intervals)] + (12 if step // len(intervals) % 2 else 0)
            pluck = _tone(base + 24 + interval, 1.2, [1.0, 0.35, 0.1], attack=0.005, release=0.3, decay=0.35)
            _add(buffer, start + step * chord_samples // steps, 0.07 * pluck, 0.6 if step % 2 else -0.6)
    peak = np.max(np.abs(buffer))
    return buffer * (0.7 / peak) if peak > 0 else buffer


def write_wav(samples: np.ndarray, path: Path) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    temporary = partial_path(path)  # the render and the work ahead of it may compose one bed at once
    with wave.open(str(temporary), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(pcm.tobytes())
    # Atomic, so two sessions making the same bed at once never read half a file.
    temporary.replace(path)


def bed(mood: str, cache_dir: Path) -> Path:
    """The cached bed for `mood`, composed on first use."""
    path = cache_dir / "music" / f"{mood}-v{BED_VERSION}.wav"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(compose(mood), path)
    return path
