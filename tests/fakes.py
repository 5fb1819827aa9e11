"""Stand-ins for OpenAI, ElevenLabs and Pexels on 127.0.0.1, speaking their real request and
response shapes, so the real clients (openai, elevenlabs, httpx) are tested with no internet.

One Starlette app serves all three (each client gets its own base URL on it). A test sets
`fake.mode[service]` to make a service fail in a given way, and reads `fake.requests` to see
what the clients sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from creator_service.devserver import ThreadedServer

OPENAI_KEY = "sk-test-openai-0123456789"
ELEVENLABS_KEY = "el-test-key-0123456789"
PEXELS_KEY = "px-test-key-0123456789"


@dataclass
class Recorded:
    service: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float


@dataclass
class FakeProviders:
    port: int = 0
    mode: dict[str, str] = field(default_factory=lambda: {"openai": "ok", "elevenlabs": "ok", "pexels": "ok"})
    requests: list[Recorded] = field(default_factory=list)
    media_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fake-pexels-")))
    _failures_left: dict[str, int] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            "OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": f"{self.base}/v1", "CREATOR_LLM_MODEL": "fake-gpt",
            "CREATOR_LLM_TIMEOUT": "2", "CREATOR_LLM_RETRIES": "1",
            "ELEVENLABS_API_KEY": ELEVENLABS_KEY, "ELEVENLABS_BASE_URL": self.base,
            "CREATOR_ELEVENLABS_VOICE_ID": "voice-123", "CREATOR_TTS_TIMEOUT": "2",
            "PEXELS_API_KEY": PEXELS_KEY, "PEXELS_BASE_URL": self.base, "CREATOR_MEDIA_TIMEOUT": "2",
        }

    def set(self, service: str, mode: str, times: int = 10**6) -> None:
        """Make `service` behave as `mode` for its next `times` requests, then succeed."""
        self.mode[service] = mode
        self._failures_left[service] = times

    def seen(self, service: str, path_prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.service == service and r.path.startswith(path_prefix)]

    # ---- failure modes shared by the three services ------------------------------------------

    def _take(self, service: str) -> str:
        """This request's mode: the failure set for the service while failures are left, then ok."""
        mode = self.mode.get(service, "ok")
        if mode == "ok":
            return mode
        left = self._failures_left.get(service, 0)
        if left <= 0:
            self.mode[service] = "ok"
            return "ok"
        self._failures_left[service] = left - 1
        return mode

    async def _failure(self, service: str, mode: str) -> Response | None:
        """An HTTP-level failure for `mode`, or None when the answer itself carries it (or none)."""
        if mode == "timeout":
            await asyncio.sleep(6)
            return JSONResponse({"error": "too late"}, status_code=504)
        status = {"401": 401, "403": 403, "429": 429, "500": 500}.get(mode)
        if status is None:
            return None  # an answer-shaped failure (malformed, schema) is made by the handler
        headers = {"retry-after": "1"} if status == 429 else {}
        message = {"openai": {"error": {"message": f"fake {status}", "type": "fake", "code": str(status)}},
                   "elevenlabs": {"detail": {"status": f"fake_{status}", "message": f"fake {status}"}},
                   }.get(service, {"error": f"fake {status}"})
        return JSONResponse(message, status_code=status, headers=headers)

    async def _record(self, service: str, request: Request) -> Any:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        self.requests.append(Recorded(service, request.url.path + ("?" + request.url.query if request.url.query else ""),
                                      {k.lower(): v for k, v in request.headers.items()}, body, time.monotonic()))
        return body

    # ---- OpenAI: chat completions with a JSON schema --------------------------------------

    async def chat_completions(self, request: Request) -> Response:
        body = await self._record("openai", request)
        if request.headers.get("authorization") != f"Bearer {OPENAI_KEY}":
            return JSONResponse({"error": {"message": "bad key", "type": "auth", "code": "invalid_api_key"}}, 401)
        mode = self._take("openai")
        failure = await self._failure("openai", mode)
        if failure is not None:
            return failure
        schema = body["response_format"]["json_schema"]
        assert body["response_format"]["type"] == "json_schema" and schema["strict"] is True
        if mode == "malformed":
            content = "Sure! Here is your plan: {not json"
        elif mode == "schema":
            content = json.dumps({"scenes": [{"kind": "nonsense"}]})
        elif schema["name"] == "ScenePlanAnswer":
            content = json.dumps(self._scene_plan(schema["schema"], body["messages"][1]["content"]))
        else:
            script = self._script(body["messages"][1]["content"])
            if mode == "overlong":  # an answer that parses but fails the planner's word budget
                script["scenes"][0]["text"] = " ".join(["word"] * 200) + "."
            content = json.dumps(script)
        return JSONResponse({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": None}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        })

    @staticmethod
    def _scene_plan(schema: dict[str, Any], prompt: str) -> dict[str, Any]:
        brief = json.loads(re.search(r"Brief: (\{.*\})", prompt).group(1))
        topic = brief.get("indication") or brief.get("topic") or brief.get("prompt") or "health"
        scene_schema = schema["$defs"]["SceneAnswer"]
        kinds = scene_schema["properties"]["kind"]["enum"]
        scenes = []
        for number, kind in enumerate(kinds[:5]):
            scenes.append({
                "kind": kind, "title": f"Scene {number + 1}", "on_screen_text": f"LLM scene {number + 1}",
                "eyebrow": "From the LLM", "body": "", "bullets": ["One point", "Another point"],
                "visual": "as planned", "media_query": f"{topic} patient" if number == 1 else None,
                "narration_seconds": 4.5,
            })
        return {"scenes": scenes}

    @staticmethod
    def _script(prompt: str) -> dict[str, Any]:
        budgets = json.loads(re.search(r"Word budgets: (\[.*?\])\n", prompt + "\n").group(1))
        return {"scenes": [
            {"scene_index": item["scene_index"],
             "text": f"This is scene {item['scene_index'] + 1}, written by the language model for review."}
            for item in budgets
        ]}

    # ---- ElevenLabs: text to speech with timestamps --------------------------------------------

    async def text_to_speech(self, request: Request) -> Response:
        body = await self._record("elevenlabs", request)
        if request.headers.get("xi-api-key") != ELEVENLABS_KEY:
            return JSONResponse({"detail": {"status": "invalid_api_key"}}, 401)
        failure = await self._failure("elevenlabs", self._take("elevenlabs"))
        if failure is not None:
            return failure
        text = body["text"]
        mp3, seconds = await asyncio.to_thread(_speak_mp3, text)
        per_char = seconds / max(1, len(text))
        alignment = {
            "characters": list(text),
            "character_start_times_seconds": [round(i * per_char, 3) for i in range(len(text))],
            "character_end_times_seconds": [round((i + 1) * per_char, 3) for i in range(len(text))],
        }
        return JSONResponse({"audio_base64": base64.b64encode(mp3).decode(), "alignment": alignment,
                             "normalized_alignment": alignment})

    # ---- Pexels: video and photo search, and the files they link to -----------------------------

    async def pexels_videos(self, request: Request) -> Response:
        await self._record("pexels", request)
        if request.headers.get("authorization") != PEXELS_KEY:
            return JSONResponse({"error": "bad key"}, 401)
        mode = self._take("pexels")
        failure = await self._failure("pexels", mode)
        if failure is not None:
            return failure
        if mode == "empty":
            return JSONResponse({"page": 1, "per_page": 5, "total_results": 0, "videos": []})
        if mode == "malformed":
            return Response("<html>Bad gateway</html>", media_type="text/html")
        return JSONResponse({"page": 1, "per_page": 5, "total_results": 1, "videos": [{
            "id": 4242, "width": 1280, "height": 720, "duration": 3,
            "url": "https://www.pexels.com/video/fake-4242/", "image": f"{self.base}/files/poster.jpg",
            "user": {"id": 7, "name": "Fake Photographer", "url": "https://www.pexels.com/@fake"},
            "video_files": [
                {"id": 1, "quality": "sd", "file_type": "video/mp4", "width": 320, "height": 180, "fps": 15,
                 "link": f"{self.base}/files/clip_small.mp4"},
                {"id": 2, "quality": "hd", "file_type": "video/mp4", "width": 1280, "height": 720, "fps": 15,
                 "link": f"{self.base}/files/clip.mp4"},
            ],
            "video_pictures": [],
        }]})

    async def pexels_photos(self, request: Request) -> Response:
        await self._record("pexels", request)
        if request.headers.get("authorization") != PEXELS_KEY:
            return JSONResponse({"error": "bad key"}, 401)
        return JSONResponse({"page": 1, "per_page": 5, "total_results": 0, "photos": []})

    async def pexels_file(self, request: Request) -> Response:
        await self._record("pexels", request)
        path = self.media_dir / request.path_params["name"]
        if not path.is_file():
            return JSONResponse({"error": "not found"}, 404)
        return FileResponse(path)

    def _ensure_clip(self) -> None:
        for name, size in (("clip.mp4", "1280x720"), ("clip_small.mp4", "320x180")):
            target = self.media_dir / name
            if not target.exists():
                subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={size}:r=15:d=3",
                                "-pix_fmt", "yuv420p", str(target)], check=True)

    # ---- a webhook receiver (for automated jobs) ---------------------------------------------

    async def webhook(self, request: Request) -> Response:
        await self._record("webhook", request)
        mode = self._take("webhook")
        failure = await self._failure("webhook", mode)
        return failure or JSONResponse({"ok": True})

    # ---- serving ---------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/chat/completions", self.chat_completions, methods=["POST"]),
            Route("/v1/text-to-speech/{voice_id}/with-timestamps", self.text_to_speech, methods=["POST"]),
            Route("/videos/search", self.pexels_videos),
            Route("/v1/search", self.pexels_photos),
            Route("/files/{name}", self.pexels_file),
            Route("/hooks/job", self.webhook, methods=["POST"]),
        ])

    def start(self) -> "FakeProviders":
        # The stock clips exist before any client asks, so no answer waits on ffmpeg.
        self._ensure_clip()
        self._server = ThreadedServer(self.app()).start()
        self.port = self._server.port
        return self

    def stop(self) -> None:
        self._server.stop()
        # The stock clips are made per instance; without this every test run left 0.8 MB in /tmp.
        shutil.rmtree(self.media_dir, ignore_errors=True)


_SPOKEN: dict[str, tuple[bytes, float]] = {}


def _speak_mp3(text: str) -> tuple[bytes, float]:
    """Real audio for the fake voice: espeak-ng, encoded to MP3 as ElevenLabs would send it."""
    if text not in _SPOKEN:
        with tempfile.TemporaryDirectory() as tmp:
            spoken = Path(tmp) / "s.wav"
            mp3 = Path(tmp) / "s.mp3"
            subprocess.run(["espeak-ng", "-w", str(spoken), text], check=True)
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(spoken), "-ar", "44100", "-b:a", "128k",
                            str(mp3)], check=True)
            seconds = float(subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(spoken)],
                capture_output=True, text=True, check=True).stdout)
            _SPOKEN[text] = (mp3.read_bytes(), seconds)
    return _SPOKEN[text]
