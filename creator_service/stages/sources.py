"""From a clip's recorded layers (paths inside the video's folder) to what ffmpeg composes."""

from __future__ import annotations

from pathlib import Path

from ..models import ClipLayers, KeyframeSet
from ..rendering.layers import Keyframes, SceneSources


def _keys(video_dir: Path, record: KeyframeSet | None) -> Keyframes | None:
    if record is None:
        return None
    directory = video_dir / record.directory
    return Keyframes(files=[directory / name for name in record.files], frames=list(record.frames))


def scene_sources(video_dir: Path, layers: ClipLayers, frames: int) -> SceneSources:
    def path(relative: str | None) -> Path | None:
        return video_dir / relative if relative else None

    return SceneSources(
        frames=frames,
        clip=path(layers.clip),
        background=path(layers.background),
        background_offset=layers.background_offset,
        backdrop=path(layers.backdrop),
        foreground_video=path(layers.foreground_video),
        foreground_keys=_keys(video_dir, layers.foreground_keys),
        overlay_keys=_keys(video_dir, layers.overlay_keys),
    )
