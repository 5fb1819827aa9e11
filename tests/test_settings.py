"""Settings come from the environment, once, with clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from creator_service.settings import Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.data_dir == Path("data")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.voice == "auto" and settings.max_render_processes >= 1


def test_values_from_the_environment() -> None:
    settings = Settings.from_env({
        "CREATOR_DATA_DIR": "/srv/videos", "CREATOR_PORT": "9000", "CREATOR_VOICE": "espeak",
        "CREATOR_MAX_RENDER_PROCESSES": "3", "CREATOR_PUBLIC_URL": "https://studio.example/",
    })
    assert settings.data_dir == Path("/srv/videos") and settings.port == 9000
    assert settings.voice == "espeak" and settings.max_render_processes == 3
    assert settings.public_url == "https://studio.example"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CREATOR_PORT", "eighty", "CREATOR_PORT must be an integer"),
        ("CREATOR_PORT", "0", "CREATOR_PORT must be at least 1"),
        ("CREATOR_VOICE", "robot", "CREATOR_VOICE must be one of auto, elevenlabs, piper, espeak"),
        ("CREATOR_MAX_RENDER_PROCESSES", "0", "must be at least 1"),
    ],
)
def test_bad_values_are_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env({name: value})


def test_provider_settings_never_show_their_keys() -> None:
    settings = Settings.from_env({
        "OPENAI_API_KEY": "sk-very-secret", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1/",
        "CREATOR_LLM_MODEL": "local-llama", "ELEVENLABS_API_KEY": "el-secret", "PEXELS_API_KEY": "px-secret",
    })
    assert settings.openai.enabled and settings.openai.base_url == "http://127.0.0.1:9/v1"
    assert settings.openai.model == "local-llama"
    assert settings.elevenlabs.enabled and settings.pexels.enabled
    assert settings.pexels.base_url == "https://api.pexels.com"
    for secret in ("sk-very-secret", "el-secret", "px-secret"):
        assert secret not in repr(settings)


def test_providers_are_off_without_keys() -> None:
    settings = Settings.from_env({})
    assert not (settings.openai.enabled or settings.elevenlabs.enabled or settings.pexels.enabled)
