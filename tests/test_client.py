"""The interactive client: a reviewer accepts, regenerates with feedback, then stops."""

from __future__ import annotations

import asyncio
import io

import pytest

from creator_service.client import EXAMPLE_PAYLOADS, ClientFailure, run

from .helpers import Server


def test_interactive_review_accept_regenerate_stop(server: Server) -> None:
    answers = iter(["a", "r", "shorter please", "j", "s"])
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    out = io.StringIO()
    with pytest.raises(ClientFailure, match="stopped before the video was finished"):
        asyncio.run(run(server.ws_url, "social_media", EXAMPLE_PAYLOADS["social_media"], token=server.token,
                        auto=False, out=out, ask=ask, idle_timeout=60))
    text = out.getvalue()
    assert "== scenes v1 (1/5) ==" in text
    assert "== script v1 (2/5) ==" in text and "== script v2 (2/5) ==" in text
    assert "feedback understood: shorter" in text
    assert asked[1].startswith("[a]ccept, [r]egenerate") and asked[2] == "Feedback (optional): "
