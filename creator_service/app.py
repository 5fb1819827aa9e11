"""The ASGI app: `create_app(settings)` builds it; `app` is the one uvicorn serves."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from . import __version__
from .brand_assets import upload_logo
from .files import serve_video_file
from .media.backgrounds import MediaFinder
from .media.generated import GeneratedFootage
from .media.library import LocalLibrary
from .planner.decks import DECKS
from .planner.template import TemplatePlanner
from .processes import ProcessSlots
from .providers.voice import EspeakSpeaker, PiperSpeaker, VoiceChain, VoiceProvider
from .services import Services
from .settings import Settings
from .video_types import VIDEO_TYPES
from .ws import creator_socket


def build_voice(settings: Settings) -> VoiceProvider:
    piper = PiperSpeaker(model_path=settings.piper_model)
    espeak = EspeakSpeaker(voice=settings.espeak_voice)
    if settings.voice == "piper":
        return piper
    if settings.voice == "espeak":
        return espeak
    return VoiceChain([piper, espeak])


def build_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Services(
        settings=settings,
        planner=TemplatePlanner(DECKS),
        voice=build_voice(settings),
        media=MediaFinder([LocalLibrary(settings.media_dir), GeneratedFootage(settings.cache_dir / "generated")]),
        slots=ProcessSlots(settings.max_render_processes),
    )


async def health(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "video_types": {name: vt.available for name, vt in VIDEO_TYPES.items()},
            "planner": services.planner.name,
            "voice": services.voice.engine,
            "render_processes": services.slots.capacity,
        }
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # transitions logs every callback at INFO; our own log says what matters.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/videos/{video_id}/files/{path:path}", serve_video_file),
            Route("/assets/logos", upload_logo, methods=["POST"]),
            WebSocketRoute("/ws/creator", creator_socket),
        ]
    )
    app.state.services = build_services(settings)
    return app


def __getattr__(name: str) -> Any:
    # `uvicorn creator_service.app:app` builds the app on first use, so importing this module
    # (in tests, or for create_app) never reads the environment or creates the data folder.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
