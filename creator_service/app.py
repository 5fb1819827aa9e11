"""The ASGI app: `create_app(settings)` builds it; `app` is the one uvicorn serves."""

from __future__ import annotations

import contextlib
import logging
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from . import __version__
from .auth import cookies
from .auth.access import Access
from .auth.identity import Identity
from .auth.limits import UserQuotas
from .auth.routes import auth_routes
from .auth.users import UserDirectory
from .brand_assets import upload_logo
from .brands import create_brand, list_brands
from .deliveries import Outbox
from .files import serve_video_file
from .http_security import Authentication, BodyLimit, SecurityHeaders
from .jobs.manager import JobManager
from .jobs.routes import job_routes
from .media.assets import MediaSource
from .media.backgrounds import MediaFinder
from .media.generated import GeneratedFootage
from .media.library import LocalLibrary
from .media.pexels import PexelsSource
from .planner.decks import DECKS
from .planner.template import TemplatePlanner
from .processes import ProcessSlots
from .providers.llm import Planner
from .providers.voice import EspeakSpeaker, PiperSpeaker, VoiceChain, VoiceProvider
from .references import list_references, upload_reference
from .rendering.manim_clips import warm_manim_workers
from .rendering.remotion import render_workers
from .review_routes import review_routes
from .services import Services
from .sessions import SessionRegistry
from .settings import Settings
from .store import SessionStore
from .video_types import VIDEO_TYPES, VideoTypes
from .web import web_routes
from .ws import creator_socket

logger = logging.getLogger(__name__)

# The openai and elevenlabs SDKs are imported only when their keys are set: together they are
# most of a second of every server start (python -X importtime), for clients nobody uses.


def build_planner(settings: Settings) -> Planner:
    if settings.openai.enabled:
        from .providers.openai_planner import OpenAIPlanner

        return OpenAIPlanner(settings.openai, DECKS)
    return TemplatePlanner(DECKS)


def build_piper(settings: Settings) -> PiperSpeaker:
    return PiperSpeaker(model_path=settings.piper_model, models=settings.piper_models,
                        cache_dir=settings.cache_dir / "piper", warm_dir=settings.cache_dir / "piper-warm")


def build_voice(settings: Settings, piper: PiperSpeaker) -> VoiceProvider:
    """ElevenLabs with a key (its failures are stage errors, not a silent switch of voice);
    otherwise Piper, then espeak-ng if Piper cannot run. CREATOR_VOICE picks one explicitly."""
    espeak = EspeakSpeaker(voice=settings.espeak_voice)
    if settings.voice == "elevenlabs" or (settings.voice == "auto" and settings.elevenlabs.enabled):
        from .providers.elevenlabs_voice import ElevenLabsSpeaker

        return ElevenLabsSpeaker(settings.elevenlabs)
    if settings.voice == "piper":
        return piper
    if settings.voice == "espeak":
        return espeak
    return VoiceChain([piper, espeak])


def build_media(settings: Settings) -> MediaFinder:
    sources: list[MediaSource] = []
    if settings.pexels.enabled:
        sources.append(PexelsSource(settings.pexels, settings.cache_dir / "pexels"))
    sources.append(LocalLibrary(settings.media_dir))
    sources.append(GeneratedFootage(settings.cache_dir / "generated"))
    return MediaFinder(sources)


def build_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    piper = build_piper(settings)
    return Services(
        settings=settings,
        planner=build_planner(settings),
        voice=build_voice(settings, piper),
        media=build_media(settings),
        slots=ProcessSlots(settings.max_render_processes),
        manim_workers=warm_manim_workers(min(2, settings.max_render_processes), settings.cache_dir / "manim-warm"),
        # Started by the first stage that speaks with Piper; never, with another voice.
        speech_workers=piper.warm,
        # Two: a long 1080p job is split between two browsers (rendering/remotion.py).
        remotion_workers=render_workers(2, settings.cache_dir / "remotion-workers"),
    )


async def providers(request: Request) -> JSONResponse:
    """What each stage uses now. Never the keys: only whether one is set."""
    services: Services = request.app.state.services
    settings = services.settings
    llm: dict[str, Any] = {"provider": "built-in"}
    if settings.openai.enabled:
        llm = {"provider": "openai", "model": settings.openai.model,
               "base_url": settings.openai.base_url or "https://api.openai.com/v1", "api_key_set": True}
    voice: dict[str, Any] = {"provider": services.voice.engine, "voice": services.voice.voice}
    if services.voice.engine == "elevenlabs":
        voice.update(model=settings.elevenlabs.model, api_key_set=True,
                     base_url=settings.elevenlabs.base_url or "https://api.elevenlabs.io")
    media: dict[str, Any] = {"sources": [source.name for source in services.media.sources]}
    if settings.pexels.enabled:
        media.update(pexels_base_url=settings.pexels.base_url, api_key_set=True)
    if settings.media_dir:
        media["library"] = str(settings.media_dir)
    return JSONResponse({"llm": llm, "voice": voice, "media": media})


async def health(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "video_types": {name: vt.available for name, vt in request.app.state.sessions.video_types.items()},
            "planner": services.planner.name,
            "voice": services.voice.engine,
            "render_processes": services.slots.capacity,
        }
    )


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Sessions and jobs start with the server (resuming what a previous run left running) and
    stop with it; what they were doing stays in the store for the next start."""
    await app.state.outbox.start()
    await app.state.sessions.start()
    await app.state.jobs.start()
    try:
        yield
    finally:
        await app.state.jobs.stop()
        await app.state.sessions.stop()
        await app.state.outbox.stop()
        for warm in (app.state.services.manim_workers, app.state.services.speech_workers):
            if warm is not None:
                warm.close()
        if app.state.services.remotion_workers is not None:
            app.state.services.remotion_workers.close()
        app.state.store.close()


def build_identity(settings: Settings, store: SessionStore) -> Identity:
    """Users and their rights. On a first start with no users, an admin whose token is written to
    `CREATOR_DATA_DIR/admin-token` (mode 0600); the log says where, never what."""
    users = UserDirectory(store)
    made = users.ensure_first_admin(settings.data_dir)
    if made is not None:
        logger.warning("first start: created the user 'admin'; its API token is in %s (mode 0600)", made.resolve())
    everyone = None
    if settings.auth == "off":
        everyone = users.get("admin") or next(u for u in users.list() if u.is_admin)
        logger.warning("!" * 78)
        logger.warning("CREATOR_AUTH=off: NO AUTHENTICATION. Anyone who reaches this port acts as '%s'.",
                       everyone.name)
        logger.warning("This is for local development only. Never run it like this where others can connect.")
        logger.warning("!" * 78)
    quotas = UserQuotas(store, settings.videos_per_hour, settings.running_sessions_per_user)
    return Identity(users, Access(store), quotas, cookies.load_secret(settings.data_dir), everyone)


def create_app(settings: Settings | None = None, video_types: VideoTypes = VIDEO_TYPES) -> Starlette:
    """The service. `video_types` is the registry it serves; tests pass instant stand-ins."""
    settings = settings or Settings.from_env()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # transitions logs every callback at INFO; our own log says what matters.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    services = build_services(settings)
    store = SessionStore(settings.data_dir / "creator.db")
    identity = build_identity(settings, store)
    app = Starlette(
        lifespan=lifespan,
        routes=[
            *job_routes(video_types),
            *auth_routes(),
            *review_routes(),
            *web_routes(),
            Route("/health", health),
            Route("/providers", providers),
            Route("/videos/{video_id}/files/{path:path}", serve_video_file),
            Route("/assets/logos", upload_logo, methods=["POST"]),
            Route("/brands", create_brand, methods=["POST"]),
            Route("/brands", list_brands, methods=["GET"]),
            Route("/assets/references", upload_reference, methods=["POST"]),
            Route("/assets/references", list_references, methods=["GET"]),
            WebSocketRoute("/ws/creator", creator_socket),
        ],
        # Outermost first: headers on every answer, then the body cap, then who is asking.
        middleware=[Middleware(SecurityHeaders), Middleware(BodyLimit), Middleware(Authentication, identity=identity)],
    )
    app.state.services = services
    app.state.store = store
    app.state.identity = identity
    app.state.outbox = Outbox(store, identity.users, settings)
    app.state.sessions = SessionRegistry(services, store, video_types, settings.session_idle_hours, app.state.outbox)
    app.state.jobs = JobManager(app.state.sessions, app.state.outbox, settings.max_jobs, settings.max_queue)
    return app


def __getattr__(name: str) -> Any:
    # `uvicorn creator_service.app:app` builds the app on first use, so importing this module
    # (in tests, or for create_app) never reads the environment or creates the data folder.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
