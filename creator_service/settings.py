"""Every knob of the service, read once from the environment.

Nothing else in the package reads `os.environ` for configuration: the app factory takes a
`Settings`, so tests build their own without touching the process environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    # The user's own clips and photos, searched by file name and tags.json (optional).
    media_dir: Path | None = None
    # Uploaded and provided brand assets (logos); a brief may only name files inside it.
    assets_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # Where URLs handed to clients point; empty means "derive from the request's Host header".
    public_url: str = ""
    # Heavy child processes (Manim, Piper, ffmpeg) running at once across the whole server.
    max_render_processes: int = field(default_factory=lambda: os.cpu_count() or 1)
    # "auto": Piper with the bundled voice, espeak-ng if Piper cannot run.
    voice: str = "auto"
    piper_model: str = ""
    espeak_voice: str = "en-us"
    log_level: str = "info"

    @property
    def assets_root(self) -> Path:
        return self.assets_dir or self.data_dir / "assets"

    @property
    def cache_dir(self) -> Path:
        """Shared by every session: generated footage, downloaded stock media."""
        return self.data_dir / ".cache"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        return cls(
            data_dir=Path(env.get("CREATOR_DATA_DIR", "").strip() or "data"),
            media_dir=Path(env["CREATOR_MEDIA_DIR"].strip()) if env.get("CREATOR_MEDIA_DIR", "").strip() else None,
            assets_dir=Path(env["CREATOR_ASSETS_DIR"].strip()) if env.get("CREATOR_ASSETS_DIR", "").strip() else None,
            host=env.get("CREATOR_HOST", "").strip() or "127.0.0.1",
            port=_int(env, "CREATOR_PORT", 8000, minimum=1),
            public_url=env.get("CREATOR_PUBLIC_URL", "").strip().rstrip("/"),
            max_render_processes=_int(
                env, "CREATOR_MAX_RENDER_PROCESSES", os.cpu_count() or 1, minimum=1
            ),
            voice=_choice(env, "CREATOR_VOICE", "auto", ("auto", "piper", "espeak")),
            piper_model=env.get("CREATOR_PIPER_MODEL", "").strip(),
            espeak_voice=env.get("CREATOR_ESPEAK_VOICE", "").strip() or "en-us",
            log_level=_choice(
                env, "CREATOR_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
            ),
        )
