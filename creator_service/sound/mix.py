"""The final mix: the narration, the music bed ducked under it, one loudness for the whole video.

The narration is compressed gently (as broadcast narration is), so its peaks sit closer to its
loudness and the limiter has little to do. The bed is looped to the video's length, set a fixed
distance under the narration's measured loudness, faded in and out, and ducked by a sidechain
compressor keyed from the narration. During the safety scenes it drops out altogether, so
nothing competes with the risk information. The mix is set to the target loudness in the same
pass: one gain, then a true-peak limiter (`loudness.level_chain`), metered as it is written.

The voice and the ducked bed are also written as stems, and `measure_ducking` reads them back:
how far under the voice the bed sits while the voice speaks, in the pauses, and during safety.
Those figures go into the render's data; they are measured, not assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..processes import CancelToken, ProcessSlots
from ..rendering import wav
from . import loudness
from .music import MusicTrack

RATE = loudness.OUTPUT_RATE
# Where the bed sits under the narration before ducking, and how it fades.
BED_UNDER_VOICE_DB = 12.0
# What a bed 12 dB under the voice adds to the mix's loudness (10·log10(1 + 10^-1.2), less once ducked).
BED_ADDS_DB = 0.2
# The mono voice in both stereo channels measures 3 dB louder (BS.1770 sums the channels' power).
DUAL_MONO_DB = 10 * math.log10(2)
TO_STEREO = "pan=stereo|c0=c0|c1=c0"
FADE_IN_SECONDS = 1.5
FADE_OUT_SECONDS = 2.5
SAFETY_RAMP_SECONDS = 0.3
NARRATION_COMPRESSOR = "acompressor=threshold=-24dB:ratio=3:attack=5:release=120:knee=4"
# Keyed from the narration: about 10 dB more off the bed whenever the voice speaks.
DUCKER = "sidechaincompress=threshold=0.015:ratio=12:attack=15:release=350:knee=3"
# Frames of the level analysis, and what counts as the voice speaking (dB under its loudest frame).
ANALYSIS_SECONDS = 0.1
VOICE_ACTIVE_WITHIN_DB = 30.0
# A bed that drops out reads as this far under the voice.
SILENT_DB = 90.0


@dataclass(frozen=True)
class MixPlan:
    narration: Path
    duration: float
    music: MusicTrack | None
    # (start, end) seconds of the safety narration's scenes, when the music must drop out.
    safety: list[tuple[float, float]]
    target_lufs: float


@dataclass(frozen=True)
class MixResult:
    master: Path
    voice_stem: Path
    bed_stem: Path | None


def _safety_gain(windows: list[tuple[float, float]]) -> str:
    """A volume expression: 1, ramping to 0 over each safety window (no clicks)."""
    factors = [
        f"(1-clip(min(t-{start - SAFETY_RAMP_SECONDS:.3f},{end + SAFETY_RAMP_SECONDS:.3f}-t)/{SAFETY_RAMP_SECONDS},0,1))"
        for start, end in windows
    ]
    return "*".join(factors) or "1"


def make_mix(plan: MixPlan, work_dir: Path, *, cancel: CancelToken, slots: ProcessSlots) -> MixResult:
    # The voice as it will be heard (48 kHz, compressed), measured as it is written: the stem
    # the bed is keyed from and set against.
    voice_stem = work_dir / "stem.voice.wav"
    voice_level = loudness.metered(
        ["-i", str(plan.narration), "-af",
         f"aresample={RATE},{NARRATION_COMPRESSOR},atrim=duration={plan.duration:.3f},{loudness.METER}",
         "-c:a", "pcm_s16le", str(voice_stem)],
        cancel=cancel, slots=slots, log_path=work_dir / "voice.log", what="ffmpeg (narration)")
    master = work_dir / "master.wav"
    if plan.music is None:
        # The voice alone, in both channels at full level (as in the mix).
        in_stereo = loudness.Loudness(voice_level.integrated_lufs + DUAL_MONO_DB, voice_level.true_peak_dbtp)
        loudness.normalise(voice_stem, in_stereo, master, plan.target_lufs, cancel=cancel, slots=slots,
                           work_dir=work_dir, before=TO_STEREO)
        return MixResult(master=master, voice_stem=voice_stem, bed_stem=None)
    bed_level = loudness.measure_once(plan.music.path, cancel=cancel, slots=slots,
                                      log_path=work_dir / "music.loudness.log")
    gain = voice_level.integrated_lufs - BED_UNDER_VOICE_DB - bed_level.integrated_lufs
    fade_out = max(0.0, plan.duration - FADE_OUT_SECONDS)
    bed_stem = work_dir / "stem.music.wav"
    # The mix is set to the target in the same pass: its loudness is the voice's, in two channels,
    # plus what a bed 12 dB under adds; `correct` makes up any difference the meter finds.
    predicted = voice_level.integrated_lufs + DUAL_MONO_DB + BED_ADDS_DB
    graph = ";".join([
        "[0:a]asplit=2[voice][key]",
        f"[1:a]aresample={RATE},aformat=channel_layouts=stereo,atrim=duration={plan.duration:.3f},"
        f"asetpts=PTS-STARTPTS,volume={gain:.2f}dB,volume='{_safety_gain(plan.safety)}':eval=frame,"
        f"afade=t=in:d={FADE_IN_SECONDS},afade=t=out:st={fade_out:.3f}:d={FADE_OUT_SECONDS}[bed]",
        f"[bed][key]{DUCKER},asplit=2[ducked][bstem]",
        f"[voice]{TO_STEREO}[vs]",
        f"[vs][ducked]amix=inputs=2:duration=first:normalize=0,"
        f"{loudness.level_chain(plan.target_lufs - predicted)},{loudness.METER}[mix]",
    ])
    level = loudness.metered(
        ["-i", str(voice_stem), "-stream_loop", "-1", "-i", str(plan.music.path), "-filter_complex", graph,
         "-map", "[mix]", "-ar", str(RATE), "-c:a", "pcm_s16le", str(master),
         "-map", "[bstem]", "-c:a", "pcm_s16le", str(bed_stem)],
        cancel=cancel, slots=slots, log_path=work_dir / "mix.log", what="ffmpeg (audio mix)")
    loudness.correct(master, level, plan.target_lufs, cancel=cancel, slots=slots, work_dir=work_dir)
    return MixResult(master=master, voice_stem=voice_stem, bed_stem=bed_stem)


def _frame_power(path: Path) -> np.ndarray:
    """Mean power per analysis frame (all channels together), from a 16-bit WAV."""
    samples, rate = wav.read_mono(path)
    per_frame = int(rate * ANALYSIS_SECONDS)
    frames = samples[: samples.size // per_frame * per_frame].reshape(-1, per_frame)
    return (frames ** 2).mean(axis=1)


def _db(power: float) -> float:
    return 10 * math.log10(power) if power > 1e-12 else -120.0


def measure_ducking(result: MixResult, safety: list[tuple[float, float]], duration: float) -> dict[str, float | None]:
    """How many dB the bed sits under the voice's speaking level: while the voice speaks, in
    the pauses (away from the fades), and during the safety narration."""
    if result.bed_stem is None:
        return {}
    voice = _frame_power(result.voice_stem)
    bed = _frame_power(result.bed_stem)
    count = min(voice.size, bed.size)
    voice, bed = voice[:count], bed[:count]
    times = (np.arange(count) + 0.5) * ANALYSIS_SECONDS
    active = voice > voice.max() * 10 ** (-VOICE_ACTIVE_WITHIN_DB / 10)
    in_safety = np.zeros(count, dtype=bool)
    for start, end in safety:
        in_safety |= (times >= start) & (times <= end)
    away_from_fades = (times > FADE_IN_SECONDS + 0.5) & (times < duration - FADE_OUT_SECONDS - 0.5)
    speaking_level = _db(float(voice[active].mean())) if active.any() else None

    def under(mask: np.ndarray) -> float | None:
        if speaking_level is None or not mask.any():
            return None
        return round(min(SILENT_DB, speaking_level - _db(float(bed[mask].mean()))), 1)

    return {
        "under_voice_while_speaking_db": under(active & ~in_safety),
        "under_voice_in_pauses_db": under(~active & ~in_safety & away_from_fades),
        "under_voice_during_safety_db": under(active & in_safety),
    }
