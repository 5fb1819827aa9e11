"""Plain PCM WAV files: the one audio format the pipeline passes between stages.

Every narration track is 16-bit mono at `SAMPLE_RATE`, so tracks from any voice can be laid
end to end sample-exactly, which is what keeps picture and sound in sync scene by scene.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 22_050
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM
CHANNELS = 1


def duration_of(path: Path) -> float:
    with wave.open(str(path), "rb") as handle:
        return handle.getnframes() / handle.getframerate()


def is_standard(path: Path) -> bool:
    with wave.open(str(path), "rb") as handle:
        return (
            handle.getframerate() == SAMPLE_RATE
            and handle.getsampwidth() == SAMPLE_WIDTH
            and handle.getnchannels() == CHANNELS
        )


def read_frames(path: Path) -> bytes:
    with wave.open(str(path), "rb") as handle:
        if (handle.getframerate(), handle.getsampwidth(), handle.getnchannels()) != (
            SAMPLE_RATE,
            SAMPLE_WIDTH,
            CHANNELS,
        ):
            raise ValueError(f"{path.name} is not {SAMPLE_RATE} Hz 16-bit mono")
        return handle.readframes(handle.getnframes())


def write(path: Path, frames: bytes) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(CHANNELS)
        handle.setsampwidth(SAMPLE_WIDTH)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes(frames)


def silence(seconds: float) -> bytes:
    return b"\x00" * (round(seconds * SAMPLE_RATE) * SAMPLE_WIDTH * CHANNELS)


def exact_length(frames: bytes, samples: int) -> bytes:
    """Pad with silence or cut so the audio is exactly `samples` long."""
    size = samples * SAMPLE_WIDTH * CHANNELS
    return frames[:size] + b"\x00" * max(0, size - len(frames))


def read_mono(path: Path) -> tuple[np.ndarray, int]:
    """Any 16-bit PCM WAV (a stem, a voice's take) as mono samples in [-1, 1), and its rate."""
    with wave.open(str(path), "rb") as handle:
        channels, rate = handle.getnchannels(), handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").astype(np.float64) / 32768
    return (samples.reshape(-1, channels).mean(axis=1) if channels > 1 else samples), rate
