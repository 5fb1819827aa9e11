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
OUTPUT_RATE = 48_000
# Off the target by more than this after the limiter: one more gain pass.
CORRECTION_LU = 0.5


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


# Put at the end of any audio chain, the meter passes the sound through and prints its summary.
METER = "ebur128=peak=true:framelog=verbose"


def metered(args: list[str], *, cancel: CancelToken, slots: ProcessSlots | None, log_path: Path,
            what: str) -> Loudness:
    """Run ffmpeg `args`, whose one audio chain ends in METER, and read the meter's summary:
    one pass both writes the file and measures it."""
    # The meter prints its summary at the info level, so this log is the result.
    run_child(
        [FFMPEG, "-hide_banner", "-nostdin", "-y", "-loglevel", "info", "-nostats", *args],
        cancel=cancel, slots=slots, stderr_path=log_path, what=what,
    )
    log = log_path.read_text(encoding="utf-8", errors="replace")
    integrated = _INTEGRATED.findall(log)
    peak = _TRUE_PEAK.findall(log)
    if not integrated or not peak:
        raise ValueError(f"the loudness meter printed no summary ({log_path.name})")
    return Loudness(integrated_lufs=_number(integrated[-1]), true_peak_dbtp=_number(peak[-1]))


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
    # -vn: a video's picture is never decoded just to be thrown away (it costs seconds at 1080p).
    return metered([*args, "-filter_complex", graph + METER, "-vn", "-f", "null", "-"],
                   cancel=cancel, slots=slots, log_path=log_path, what="ffmpeg (loudness meter)")


def measure_windows(path: Path, windows: list[tuple[float, float]], *, cancel: CancelToken,
                    slots: ProcessSlots | None, log_path: Path) -> Loudness:
    """Integrated loudness and true peak of the parts of `path` inside `windows` (seconds), joined."""
    inside = "+".join(f"between(t,{start:.3f},{end:.3f})" for start, end in windows)
    return metered(["-i", str(path), "-vn", "-af", f"aselect='{inside}',asetpts=N/SR/TB,{METER}", "-f", "null", "-"],
                   cancel=cancel, slots=slots, log_path=log_path, what="ffmpeg (loudness meter, windows)")


_measured: dict[tuple[str, int, int], Loudness] = {}


def measure_once(path: Path, *, cancel: CancelToken, slots: ProcessSlots | None, log_path: Path) -> Loudness:
    """`measure`, remembered per file (path, size, time) for the life of the process: a music
    track is measured once, not once per video."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _measured:
        _measured[key] = measure(path, cancel=cancel, slots=slots, log_path=log_path)
    return _measured[key]


def level_chain(gain: float) -> str:
    """Filters that apply `gain` and keep true peaks under the ceiling: a fast limiter trims the
    few peaks that the gain would push over it (speech's plosives) and leaves everything under
    it as it was. It works on samples; peaks between samples rise a little above them, which
    the margin under the ceiling allows for (the finished file's true peak is measured)."""
    ceiling = 10 ** ((TRUE_PEAK_TARGET - LIMITER_MARGIN_DB) / 20)
    return (f"volume={gain:.3f}dB,alimiter=limit={ceiling:.6f}:attack=2:release=60:level=disabled,"
            "aformat=channel_layouts=stereo")


def normalise(
    source: Path, level: Loudness, output: Path, target: float, *, cancel: CancelToken,
    slots: ProcessSlots | None, work_dir: Path, before: str = "anull",
) -> Loudness:
    """Write `source` at `target` LUFS integrated, true peak under the ceiling, as 48 kHz stereo;
    `level` is what `source` measures after the `before` filters. Returns the result as
    measured in the same pass."""
    result = _set_level(source, output, f"{before},{level_chain(target - level.integrated_lufs)}",
                        cancel=cancel, slots=slots, log_path=work_dir / "master.log")
    return correct(output, result, target, cancel=cancel, slots=slots, work_dir=work_dir)


def correct(path: Path, level: Loudness, target: float, *, cancel: CancelToken, slots: ProcessSlots | None,
            work_dir: Path) -> Loudness:
    """One more gain pass when `path` (measured as `level`) missed the target by more than
    CORRECTION_LU: the limiter took more than a trace of loudness, or a prediction was off."""
    if abs(level.integrated_lufs - target) <= CORRECTION_LU:
        return level
    corrected = path.with_name(f"{path.stem}.corrected.wav")
    result = _set_level(path, corrected, level_chain(target - level.integrated_lufs),
                        cancel=cancel, slots=slots, log_path=work_dir / "master.corrected.log")
    corrected.replace(path)
    return result


def _set_level(source: Path, output: Path, filters: str, *, cancel: CancelToken, slots: ProcessSlots | None,
               log_path: Path) -> Loudness:
    """`source` through `filters` into a 48 kHz 16-bit WAV, metered as it is written."""
    return metered(
        ["-i", str(source), "-af", f"{filters},{METER}", "-ar", str(OUTPUT_RATE), "-c:a", "pcm_s16le", str(output)],
        cancel=cancel, slots=slots, log_path=log_path, what="ffmpeg (loudness)",
    )
