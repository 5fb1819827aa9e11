"""End cards after the last scene: who made the footage, photos and music (the credits), and
the references the video's claims are traced to, numbered as in the claims."""

from __future__ import annotations

from pathlib import Path

from ..models import MediaCredit
from ..processes import CancelToken, ProcessSlots
from .captions import FONT, ass_filter
from .ffmpeg import run_ffmpeg
from .formats import VideoFormat

CREDITS_SECONDS = 3.0
MAX_LINES = 8


def credit_lines(credits: list[MediaCredit]) -> list[str]:
    """One line per author and source, in first-use order; assets without an author are ours."""
    lines: list[str] = []
    for credit in credits:
        if not credit.author:
            continue
        if credit.kind == "music":
            line = f"Music: {credit.author}" + (f" ({credit.license})" if credit.license else "")
        else:
            source = {"pexels": "Pexels", "library": "media library"}.get(credit.kind, credit.kind)
            line = f"{credit.author} ({source})"
        if line not in lines:
            lines.append(line)
    return lines[:MAX_LINES]


def _hex_to_ass(colour: str) -> str:
    value = colour.lstrip("#")
    return f"&H00{value[4:6]}{value[2:4]}{value[0:2]}".upper()


def reference_lines(references: list[tuple[int, str]]) -> list[str]:
    """"[n] title" per reference, in citation order."""
    return [f"[{number}] {title}" for number, title in references][:MAX_LINES]


def make_card(
    title: str, lines: list[str], fmt: VideoFormat, palette: dict[str, str], output: Path, *,
    cancel: CancelToken, slots: ProcessSlots, work_dir: Path,
) -> None:
    """A short card: a title and up to MAX_LINES lines, drawn by libass on the background colour."""
    size = round(fmt.height * 0.04)
    body = "\\N".join(line.replace("{", "").replace("}", "").replace("\\", "") for line in lines)
    script = work_dir / f"{output.stem}.ass"
    script.write_text("\n".join([
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {fmt.width}", f"PlayResY: {fmt.height}", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Title,{FONT},{round(size * 1.4)},{_hex_to_ass(palette['accent'])},&H00FFFFFF,&H00000000,"
        f"&H00000000,-1,0,0,0,100,100,0,0,1,0,0,8,40,40,{round(fmt.height * 0.3)},1",
        f"Style: Body,{FONT},{size},{_hex_to_ass(palette['text'])},&H00FFFFFF,&H00000000,&H00000000,"
        f"0,0,0,0,100,100,0,0,1,0,0,8,40,40,{round(fmt.height * 0.4)},1",
        "", "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        f"Dialogue: 0,0:00:00.00,0:00:{CREDITS_SECONDS:05.2f},Title,,0,0,0,,{{\\fad(300,0)}}{title}",
        f"Dialogue: 0,0:00:00.00,0:00:{CREDITS_SECONDS:05.2f},Body,,0,0,0,,{{\\fad(500,0)}}{body}",
    ]) + "\n", encoding="utf-8")
    colour = "0x" + palette["background"].lstrip("#")
    run_ffmpeg(
        ["-f", "lavfi", "-i", f"color=c={colour}:s={fmt.width}x{fmt.height}:r={fmt.fps}:d={CREDITS_SECONDS}",
         "-vf", f"{ass_filter(script)},format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
         "-crf", "16", str(output)],
        cancel=cancel, slots=slots, log_path=work_dir / f"{output.stem}.log", what=f"the {title.lower()} card",
    )
