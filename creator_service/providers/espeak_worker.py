"""Child process: speak a list of texts with espeak-ng's library, one WAV file per text, and
report when each word starts.

Run as `python -m creator_service.providers.espeak_worker JOB.json`. The job names the voice,
the speaking rate and the items; each finished item is reported on stdout as one JSON line:
`{"done": N, "events": [[text_position, audio_ms], ...], "seconds": S}`. The times are
espeak-ng's own word events: it sums the durations of the phonemes it synthesises, so a word's
event falls on the sample where its first phoneme starts, in the audio written beside it.

The library (libespeak-ng, the one the `espeak-ng` command uses) is called through ctypes in
its synchronous mode: one callback receives the samples and the events in order. It is not
safe to use from several threads, hence a child process (also cancellable, as every child is).
"""

from __future__ import annotations

import ctypes
import json
import sys
import wave
from pathlib import Path

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE = 1
EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """espeak_EVENT (speak_lib.h)."""

    _fields_ = [
        ("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
        ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p), ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class Espeak:
    def __init__(self, voice: str) -> None:
        self._lib = ctypes.CDLL("libespeak-ng.so.1")
        self.rate = self._lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 200, None, 0)
        if self.rate <= 0:
            raise RuntimeError("espeak-ng's library could not start (no espeak-ng-data?)")
        self._samples: list[bytes] = []
        self._events: list[list[int]] = []
        # Kept on self: ctypes must hold the callback for as long as the library may call it.
        self._callback = _CALLBACK(self._receive)
        self._lib.espeak_SetSynthCallback(self._callback)
        if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RuntimeError(f"espeak-ng has no voice {voice!r}")

    def _receive(self, samples: ctypes.Array, count: int, events: ctypes.Array) -> int:
        if samples and count > 0:
            self._samples.append(ctypes.string_at(samples, count * 2))
        index = 0
        while events[index].type != EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == EVENT_WORD:
                self._events.append([event.text_position, event.audio_position])
            index += 1
        return 0

    def speak(self, text: str, path: Path, words_per_minute: int) -> tuple[list[list[int]], float]:
        self._samples, self._events = [], []
        self._lib.espeak_SetParameter(ESPEAK_RATE, words_per_minute, 0)
        encoded = text.encode("utf-8")
        status = self._lib.espeak_Synth(encoded, len(encoded) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
        if status != 0:
            raise RuntimeError(f"espeak-ng could not speak the text (status {status})")
        self._lib.espeak_Synchronize()
        audio = b"".join(self._samples)
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            out.writeframes(audio)
        return self._events, len(audio) / 2 / self.rate


def main(job_file: str) -> int:
    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    espeak = Espeak(job["voice"])
    for number, item in enumerate(job["items"]):
        # The rate is set per item: the safety narration is spoken more slowly.
        events, seconds = espeak.speak(item["text"], Path(item["path"]), int(item["words_per_minute"]))
        print(json.dumps({"done": number, "events": events, "seconds": seconds}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
