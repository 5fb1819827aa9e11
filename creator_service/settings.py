"""Every knob of the service, read once from the environment.

Nothing else in the package reads `os.environ` for configuration: the app factory takes a
`Settings`, so tests build their own without touching the process environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, TypeVar

T = TypeVar("T", int, float)
# Every stage any video type has (for per-stage settings such as CREATOR_STAGE_TIMEOUT_VISUALS).
STAGE_NAMES = ("scenes", "script", "visuals", "animations", "tts", "render")


def _number(env: Mapping[str, str], name: str, default: T, minimum: T, kind: type[T], what: str) -> T:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be {what}, got {raw!r}") from exc
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    return _number(env, name, default, minimum, int, "an integer")


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    return _number(env, name, default, minimum, float, "a number")


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    return Path(raw) if raw else None


def _language_map(env: Mapping[str, str], name: str) -> dict[str, str]:
    """`de=/path/de.onnx,fr=/path/fr.onnx` as {"de": ..., "fr": ...}."""
    mapping: dict[str, str] = {}
    for entry in env.get(name, "").split(","):
        if not entry.strip():
            continue
        language, sep, path = entry.partition("=")
        if not sep or not language.strip() or not path.strip():
            raise ValueError(f"{name} must look like 'de=/path/de.onnx,fr=/path/fr.onnx', got {entry.strip()!r}")
        mapping[language.strip().lower()] = path.strip()
    return mapping


def _loudness(env: Mapping[str, str]) -> float:
    raw = env.get("CREATOR_LOUDNESS_TARGET", "").strip()
    try:
        value = float(raw) if raw else -16.0
    except ValueError as exc:
        raise ValueError(f"CREATOR_LOUDNESS_TARGET must be a number of LUFS such as -16, got {raw!r}") from exc
    if not -31.0 <= value <= -5.0:
        raise ValueError(f"CREATOR_LOUDNESS_TARGET must be between -31 and -5 LUFS, got {value}")
    return value


@dataclass(frozen=True)
class ServiceSettings:
    """What every outside service needs: a key (never shown), where it is, how long to wait."""

    api_key: str = field(default="", repr=False)
    base_url: str = ""
    timeout: float = 60.0
    max_retries: int = 2

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)


@dataclass(frozen=True)
class OpenAISettings(ServiceSettings):
    """The planner's LLM: OpenAI, or any OpenAI-compatible server (Ollama, vLLM, llama.cpp)."""

    model: str = "gpt-4o-mini"


@dataclass(frozen=True)
class ElevenLabsSettings(ServiceSettings):
    voice_id: str = "21m00Tcm4TlvDq8ikWAM"
    model: str = "eleven_multilingual_v2"


@dataclass(frozen=True)
class PexelsSettings(ServiceSettings):
    base_url: str = "https://api.pexels.com"
    timeout: float = 30.0


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
    # Automated jobs (POST /create…): pipelines running at once, and jobs allowed to wait.
    max_jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_queue: int = 20
    # A Creator session nobody attaches to for this long ends as expired (its files are kept).
    session_idle_hours: float = 72.0
    # "on": every route but /health, GET /video-types and the studio's files needs a user's token.
    # "off" is for local development only (everyone is an admin), and the log says so loudly.
    auth: str = "on"
    # Origins whose pages may open the WebSocket; empty: only the server's own origin.
    allowed_origins: tuple[str, ...] = ()
    # Lifts the rule that webhooks go to public addresses only (a receiver on your network, tests).
    webhook_allow_private: bool = False
    # Per-user limits, on top of the global caps above.
    videos_per_hour: int = 30
    running_sessions_per_user: int = 4
    actions_per_second: float = 5.0
    # How many versions a stage may have; a regenerate past it is refused (regeneration_limit).
    max_attempts_per_stage: int = 10
    # A stage running longer than this ends as a stage error; per stage overrides the default.
    stage_timeout_seconds: float = 1800.0
    stage_timeouts: Mapping[str, float] = field(default_factory=dict)
    # A JSON file: video type -> stage -> the reviewer disciplines that must approve it.
    approval_policy: Path | None = None
    # The final mix's integrated loudness (LUFS): -16 for the web, -14 for some social
    # platforms, -23 for EBU broadcast.
    loudness_target: float = -16.0
    # The user's music: audio files and an optional tags.json naming their moods.
    music_dir: Path | None = None
    # "warn": an unsupported claim or a failed fair-balance rule is a warning the reviewer must
    # acknowledge; "strict": it is a stage error in every video type.
    compliance: str = "warn"
    # fair_balance passes when the risk narration lasts at least this share of the benefit's.
    fair_balance_ratio: float = 0.3
    # Where heavy work runs: "local" (the server's child processes) or "celery" (Manim clips and
    # Remotion key frames on Celery workers, CREATOR_BROKER_URL; see docs/scaling.md).
    executor: str = "local"

    def stage_timeout(self, stage: str) -> float:
        return self.stage_timeouts.get(stage, self.stage_timeout_seconds)
    # "auto": ElevenLabs when its key is set, else Piper with the bundled voice, else espeak-ng.
    voice: str = "auto"
    piper_model: str = ""
    # A Piper model per language (primary subtag -> .onnx path): CREATOR_PIPER_MODELS=de=/m/de.onnx,...
    piper_models: Mapping[str, str] = field(default_factory=dict)
    espeak_voice: str = "en-us"
    log_level: str = "info"
    openai: OpenAISettings = field(default_factory=OpenAISettings)
    elevenlabs: ElevenLabsSettings = field(default_factory=ElevenLabsSettings)
    pexels: PexelsSettings = field(default_factory=PexelsSettings)

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
            media_dir=_path(env, "CREATOR_MEDIA_DIR"),
            assets_dir=_path(env, "CREATOR_ASSETS_DIR"),
            host=env.get("CREATOR_HOST", "").strip() or "127.0.0.1",
            port=_int(env, "CREATOR_PORT", 8000, minimum=1),
            public_url=env.get("CREATOR_PUBLIC_URL", "").strip().rstrip("/"),
            max_render_processes=_int(
                env, "CREATOR_MAX_RENDER_PROCESSES", os.cpu_count() or 1, minimum=1
            ),
            max_jobs=_int(env, "CREATOR_MAX_JOBS", os.cpu_count() or 1, minimum=1),
            max_queue=_int(env, "CREATOR_MAX_QUEUE", 20, minimum=0),
            session_idle_hours=_float(env, "CREATOR_SESSION_IDLE_HOURS", 72.0, minimum=0.0001),
            auth=_choice(env, "CREATOR_AUTH", "on", ("on", "off")),
            allowed_origins=tuple(
                origin.strip().rstrip("/") for origin in env.get("CREATOR_ALLOWED_ORIGINS", "").split(",")
                if origin.strip()
            ),
            webhook_allow_private=_choice(env, "CREATOR_WEBHOOK_ALLOW_PRIVATE", "0", ("0", "1")) == "1",
            videos_per_hour=_int(env, "CREATOR_RATE_VIDEOS_PER_HOUR", 30, minimum=1),
            running_sessions_per_user=_int(env, "CREATOR_RATE_RUNNING_SESSIONS", 4, minimum=1),
            actions_per_second=_float(env, "CREATOR_RATE_ACTIONS_PER_SECOND", 5.0, minimum=0.1),
            max_attempts_per_stage=_int(env, "CREATOR_MAX_ATTEMPTS_PER_STAGE", 10, minimum=1),
            approval_policy=_path(env, "CREATOR_APPROVAL_POLICY"),
            loudness_target=_loudness(env),
            music_dir=_path(env, "CREATOR_MUSIC_DIR"),
            compliance=_choice(env, "CREATOR_COMPLIANCE", "warn", ("warn", "strict")),
            fair_balance_ratio=_float(env, "CREATOR_FAIR_BALANCE_RATIO", 0.3, minimum=0.0),
            executor=_choice(env, "CREATOR_EXECUTOR", "local", ("local", "celery")),
            stage_timeout_seconds=_float(env, "CREATOR_STAGE_TIMEOUT_SECONDS", 1800.0, minimum=0.1),
            stage_timeouts={
                stage: _float(env, f"CREATOR_STAGE_TIMEOUT_{stage.upper()}", 0.0, minimum=0.1)
                for stage in STAGE_NAMES if env.get(f"CREATOR_STAGE_TIMEOUT_{stage.upper()}", "").strip()
            },
            voice=_choice(env, "CREATOR_VOICE", "auto", ("auto", "elevenlabs", "piper", "espeak")),
            piper_model=env.get("CREATOR_PIPER_MODEL", "").strip(),
            piper_models=_language_map(env, "CREATOR_PIPER_MODELS"),
            espeak_voice=env.get("CREATOR_ESPEAK_VOICE", "").strip() or "en-us",
            log_level=_choice(
                env, "CREATOR_LOG_LEVEL", "info", ("debug", "info", "warning", "error")
            ),
            openai=OpenAISettings(
                api_key=env.get("OPENAI_API_KEY", "").strip(),
                base_url=env.get("OPENAI_BASE_URL", "").strip().rstrip("/"),
                model=env.get("CREATOR_LLM_MODEL", "").strip() or OpenAISettings.model,
                timeout=_float(env, "CREATOR_LLM_TIMEOUT", OpenAISettings.timeout, minimum=1),
                max_retries=_int(env, "CREATOR_LLM_RETRIES", OpenAISettings.max_retries),
            ),
            elevenlabs=ElevenLabsSettings(
                api_key=env.get("ELEVENLABS_API_KEY", "").strip(),
                base_url=env.get("ELEVENLABS_BASE_URL", "").strip().rstrip("/"),
                voice_id=env.get("CREATOR_ELEVENLABS_VOICE_ID", "").strip() or ElevenLabsSettings.voice_id,
                model=env.get("CREATOR_ELEVENLABS_MODEL", "").strip() or ElevenLabsSettings.model,
                timeout=_float(env, "CREATOR_TTS_TIMEOUT", ElevenLabsSettings.timeout, minimum=1),
            ),
            pexels=PexelsSettings(
                api_key=env.get("PEXELS_API_KEY", "").strip(),
                base_url=env.get("PEXELS_BASE_URL", "").strip().rstrip("/") or PexelsSettings.base_url,
                timeout=_float(env, "CREATOR_MEDIA_TIMEOUT", PexelsSettings.timeout, minimum=1),
            ),
        )
