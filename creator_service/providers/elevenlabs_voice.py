"""ElevenLabs speech with timestamps, through the official `elevenlabs` SDK.

Each scene is one request; the answer carries the audio (base64 MP3) and per-character timings,
which are grouped into words: the render stage cuts each scene to the last spoken word and the
captions light words up exactly when they are said. Retries on 429 and 5xx are bounded and
respect `Retry-After`; every failure becomes a `VoiceFailure` in words a reviewer understands.
"""

from __future__ import annotations

import base64
import logging
from typing import Any, Sequence

from elevenlabs.client import ElevenLabs
from elevenlabs.core.api_error import ApiError

from ..processes import CancelToken
from ..rendering import wav
from ..rendering.ffmpeg import run_ffmpeg
from ..settings import ElevenLabsSettings
from .voice import Speech, SpeechItem, SpeechJob, SpokenTrack, VoiceFailure, WordTiming

logger = logging.getLogger(__name__)

OUTPUT_FORMAT = "mp3_44100_128"
# The longest wait a Retry-After may ask for before the stage gives up and says so.
MAX_RETRY_WAIT = 20.0


def words_from_alignment(alignment: Any) -> list[WordTiming]:
    """Group ElevenLabs' per-character timings into words (split on whitespace)."""
    if alignment is None:
        return []
    words: list[WordTiming] = []
    current = ""
    start = end = 0.0
    for char, char_start, char_end in zip(
        alignment.characters, alignment.character_start_times_seconds, alignment.character_end_times_seconds
    ):
        if char.isspace():
            if current:
                words.append(WordTiming(word=current, start=start, end=end))
            current = ""
            continue
        if not current:
            start = float(char_start)
        current += char
        end = float(char_end)
    if current:
        words.append(WordTiming(word=current, start=start, end=end))
    return words


def language_code(model: str, language: str) -> str | None:
    """The ISO 639-1 code ElevenLabs enforces the brief's language with (`language_code`), for
    the models that take one (Turbo and Flash v2.5); the multilingual models refuse the field
    and read the language from the text itself."""
    if "multilingual" in model:
        return None
    primary = language.split("-", 1)[0].lower()
    return primary if len(primary) == 2 and primary.isalpha() else None


def _describe(exc: Exception, settings: ElevenLabsSettings) -> str:
    if isinstance(exc, ApiError):
        status = exc.status_code
        if status == 401:
            return "ElevenLabs rejected the API key (401): check ELEVENLABS_API_KEY"
        if status == 403:
            return "ElevenLabs refused this voice or model for the account (403)"
        if status == 404:
            return f"ElevenLabs has no voice '{settings.voice_id}' (404): check CREATOR_ELEVENLABS_VOICE_ID"
        if status == 422:
            return f"ElevenLabs could not use the request (422): {exc.body}"
        if status == 429:
            return f"ElevenLabs rate limit (429) still hit after {settings.max_retries} retries; regenerate later"
        if status and status >= 500:
            return f"ElevenLabs server error ({status}) after {settings.max_retries} retries"
        return f"ElevenLabs answered {status}: {exc.body}"
    name = type(exc).__name__
    if "Timeout" in name:
        return f"ElevenLabs timeout: no answer within {settings.timeout:.0f} s"
    if "Connect" in name:
        return f"could not reach ElevenLabs at {settings.base_url or 'api.elevenlabs.io'}: {exc}"
    return f"ElevenLabs request failed: {name}: {exc}"


def _retry_after(exc: Exception) -> float | None:
    """Seconds to wait before retrying, or None when the failure is not worth retrying."""
    if not isinstance(exc, ApiError) or exc.status_code is None:
        return 1.0 if "Timeout" in type(exc).__name__ else None
    if exc.status_code == 429 or exc.status_code >= 500:
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        for name in ("retry-after", "x-ratelimit-reset-after"):
            if name in headers:
                try:
                    return float(headers[name])
                except ValueError:
                    pass
        return 1.0
    return None


class ElevenLabsSpeaker:
    engine = "elevenlabs"

    def __init__(self, settings: ElevenLabsSettings, client: ElevenLabs | None = None):
        self.settings = settings
        self.voice = settings.voice_id
        # The key is passed explicitly: the SDK reads its environment variable only at import.
        self._client = client or ElevenLabs(
            api_key=settings.api_key, base_url=settings.base_url or None, timeout=settings.timeout,
        )

    def speak(self, items: Sequence[SpeechItem], job: SpeechJob) -> Speech:
        tracks = []
        for number, item in enumerate(items, start=1):
            job.cancel.raise_if_cancelled()
            answer = self._convert(item.text, job.cancel, job.language)
            encoded = job.log_dir / f"{item.path.stem}.mp3"
            encoded.write_bytes(base64.b64decode(answer.audio_base_64))
            # Decoded to the pipeline's standard WAV; a pace other than 1 stretches it.
            pace = job.pace * item.pace
            run_ffmpeg(
                ["-i", str(encoded), "-ac", str(wav.CHANNELS), "-ar", str(wav.SAMPLE_RATE),
                 "-sample_fmt", "s16", "-filter:a", f"atempo={1 / pace:.3f}", str(item.path)],
                cancel=job.cancel, slots=job.slots, log_path=job.log_dir / "decode.log",
                what=f"decoding {encoded.name}",
            )
            words = [
                WordTiming(word=w.word, start=w.start * pace, end=w.end * pace)
                for w in words_from_alignment(answer.alignment)
            ]
            tracks.append(SpokenTrack(path=item.path, duration=wav.duration_of(item.path), words=words))
            job.progress(number / len(items), f"ElevenLabs spoke scene {number} of {len(items)}")
        return Speech(engine=self.engine, voice=self.voice, tracks=tracks)

    def _convert(self, text: str, cancel: CancelToken, language: str) -> Any:
        attempt = 0
        enforced = language_code(self.settings.model, language)
        while True:
            try:
                return self._client.text_to_speech.convert_with_timestamps(
                    voice_id=self.settings.voice_id, text=text, model_id=self.settings.model,
                    output_format=OUTPUT_FORMAT, **({"language_code": enforced} if enforced else {}),
                )
            except Exception as exc:  # every SDK failure is described; some are retried
                wait = _retry_after(exc)
                if wait is None or attempt >= self.settings.max_retries or wait > MAX_RETRY_WAIT:
                    logger.warning("ElevenLabs failed: %s", exc)
                    raise VoiceFailure(_describe(exc, self.settings)) from exc
                attempt += 1
                logger.info("ElevenLabs: retry %d in %.1f s after %s", attempt, wait, type(exc).__name__)
                if cancel.wait(wait):
                    cancel.raise_if_cancelled()
