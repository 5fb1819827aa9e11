"""Loudness, measured and set the way broadcasters do (EBU R 128 / ITU-R BS.1770).

`measure` reads a file's integrated loudness and true peak with ffmpeg's `ebur128` filter, the
same meter the tests and a reviewer's tools use. `normalise` is loudnorm's two-pass method: the
first pass measures, the second applies one gain to the whole mix (linear mode), so the music's
level under the voice is the level the mix was made with. loudnorm falls back to its dynamic
mode only when one gain cannot meet both the loudness and the peak target; its limiter then
keeps the peak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..processes import CancelToken, ProcessSlots, run_child
from ..rendering.ffmpeg import FFMPEG

# The published ceiling is -1.5 dBTP; AAC encoding adds a few tenths of a dB of overshoot, so
# the mix is made with room to spare.
TRUE_PEAK_CEILING = -1.5
TRUE_PEAK_TARGET = -2.3
TOLERANCE_LU = 1.0
# The limiter aims this far under the target peak, as true peaks overshoot sample peaks a little.
LIMITER_MARGIN_DB = 0.7
OVERSAMPLED_RATE = 192_000
OUTPUT_RATE = 48_000


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float

    def as_data(self, target: float | None = None) -> dict[str, float | bool]:
        data: dict[str, float | bool] = {
            "integrated_lufs": self.integrated_lufs,
            "true_peak_dbtp": self.true_peak_dbtp,
        }
        if target is not None:
            data["target_lufs"] = target
            data["within_target"] = self.meets(target)
        return data

    def meets(self, target: float) -> bool:
        return abs(self.integrated_lufs - target) <= TOLERANCE_LU and self.true_peak_dbtp <= TRUE_PEAK_CEILING


_INTEGRATED = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-inf)\s*LUFS")
_TRUE_PEAK = re.compile(r"True peak:\s*\n\s*Peak:\s*(-?[\d.]+|-inf)\s*dBFS")


def _run(args: list[str], *, cancel: CancelToken, slots: ProcessSlots | None, log_path: Path, what: str) -> str:
    # The meters print their summaries at the info level, so this log is the result.
    run_child(
        [FFMPEG, "-hide_banner", "-nostdin", "-y", "-loglevel", "info", "-nostats", *args],
        cancel=cancel, slots=slots, stderr_path=log_path, what=what,
    )
    return log_path.read_text(encoding="utf-8", errors="replace")


def _number(value: str) -> float:
    # Silence measures as -inf; -70 LUFS is the meter's own floor.
    return -70.0 if value == "-inf" else round(float(value), 2)


def measure(
    path: Path, *, cancel: CancelToken, slots: ProcessSlots | None, log_path: Path, inputs: list[Path] | None = None,
) -> Loudness:
    """Integrated loudness and true peak of `path` (or of `inputs` laid end to end)."""
    sources = inputs or [path]
    args: list[str] = []
    for source in sources:
        args += ["-i", str(source)]
    chain = "".join(f"[{n}:a]" for n in range(len(sources)))
    graph = f"{chain}concat=n={len(sources)}:v=0:a=1," if len(sources) > 1 else f"{chain}"
    graph += "ebur128=peak=true:framelog=verbose"
    log = _run([*args, "-filter_complex", graph, "-f", "null", "-"],
               cancel=cancel, slots=slots, log_path=log_path, what="ffmpeg (loudness meter)")
    integrated = _INTEGRATED.findall(log)
    peak = _TRUE_PEAK.findall(log)
    if not integrated or not peak:
        raise ValueError(f"the loudness meter printed no summary for {path.name}")
    return Loudness(integrated_lufs=_number(integrated[-1]), true_peak_dbtp=_number(peak[-1]))


def normalise(
    source: Path, output: Path, target: float, *, cancel: CancelToken, slots: ProcessSlots | None, work_dir: Path,
) -> str:
    """Write `source` at `target` LUFS integrated, true peak under the ceiling, 48 kHz stereo.
    Returns what it did, for the record: "gain", or "limiter and gain"."""
    level = measure(source, cancel=cancel, slots=slots, log_path=work_dir / "loudness.before.log")
    gain = target - level.integrated_lufs
    done = "gain"
    if level.true_peak_dbtp + gain > TRUE_PEAK_TARGET:
        # One gain would push the peaks over the ceiling: limit the few that stand out (speech's
        # plosives) at the level the gain will bring them to, working at 4x the sample rate to
        # catch the peaks between samples; then measure again.
        limited = work_dir / "mix.limited.wav"
        ceiling = 10 ** ((TRUE_PEAK_TARGET - LIMITER_MARGIN_DB - gain) / 20)
        _encode(source, limited, f"aresample={OVERSAMPLED_RATE},alimiter=limit={min(1.0, ceiling):.6f}:attack=2:"
                f"release=60:level=disabled,aresample={OUTPUT_RATE}", "pcm_f32le",
                cancel=cancel, slots=slots, log_path=work_dir / "limiter.log")
        source, done = limited, "limiter and gain"
        level = measure(source, cancel=cancel, slots=slots, log_path=work_dir / "loudness.limited.log")
        gain = target - level.integrated_lufs
    _encode(source, output, f"volume={gain:.3f}dB,aformat=channel_layouts=stereo", "pcm_s16le",
            cancel=cancel, slots=slots, log_path=work_dir / "gain.log")
    return done


def _encode(source: Path, output: Path, filters: str, codec: str, *, cancel: CancelToken,
            slots: ProcessSlots | None, log_path: Path) -> None:
    run_child(
        [FFMPEG, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", str(source), "-af", filters,
         "-ar", str(OUTPUT_RATE), "-c:a", codec, str(output)],
        cancel=cancel, slots=slots, stderr_path=log_path, what="ffmpeg (loudness)",
    )
