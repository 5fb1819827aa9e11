"""A Piper worker with the voice loaded ahead of need speaks the next tts stages' texts: the
same speech, with its word times, without loading the voice on a stage's time."""

from __future__ import annotations

from pathlib import Path

from creator_service.processes import CancelToken, ProcessSlots
from creator_service.providers.voice import PiperSpeaker, SpeechItem, SpeechJob

from .test_warm_workers import wait_for_idle

TEXT = "Metformin lowers blood sugar. Take it with food."


def job(log_dir: Path) -> SpeechJob:
    log_dir.mkdir(parents=True, exist_ok=True)
    return SpeechJob(cancel=CancelToken(), slots=ProcessSlots(1), progress=lambda f, d: None, log_dir=log_dir)


def test_the_next_stage_is_spoken_by_a_worker_that_loaded_the_voice_ahead(tmp_path: Path) -> None:
    speaker = PiperSpeaker(cache_dir=tmp_path / "cache", warm_dir=tmp_path / "warm")
    assert speaker.warm is not None
    try:
        # The first stage that speaks starts the pool, and is spoken by a process of its own.
        cold = speaker.speak([SpeechItem(TEXT, tmp_path / "cold.wav")], job(tmp_path / "cold"))
        assert (tmp_path / "cold" / "piper.log").exists()
        wait_for_idle(speaker.warm, 1)
        ready = speaker.warm._idle[0].process
        warm = speaker.speak([SpeechItem(TEXT, tmp_path / "warm.wav")], job(tmp_path / "warm-stage"))
        # The waiting worker spoke it, with no process of its own, and waits for the next stage.
        assert not (tmp_path / "warm-stage" / "piper.log").exists()
        assert [worker.process for worker in speaker.warm._idle] == [ready] and ready.poll() is None
        again = speaker.speak([SpeechItem(TEXT, tmp_path / "again.wav")], job(tmp_path / "again-stage"))
        assert [worker.process for worker in speaker.warm._idle] == [ready] and speaker.warm._made == 1
        assert [w.word for w in again.tracks[0].words] == TEXT.split()
        # The same voice: the same words, aligned by Piper, and about the same length.
        assert warm.voice == cold.voice
        assert [w.word for w in warm.tracks[0].words] == [w.word for w in cold.tracks[0].words] == TEXT.split()
        assert warm.tracks[0].timing == "aligned"
        assert abs(warm.tracks[0].duration - cold.tracks[0].duration) < 0.15 * cold.tracks[0].duration
    finally:
        speaker.warm.close()


def test_a_speaker_without_a_voice_on_this_machine_keeps_no_workers(tmp_path: Path) -> None:
    missing = PiperSpeaker(model_path=str(tmp_path / "missing.onnx"), warm_dir=tmp_path / "warm")
    assert missing.warm is None
