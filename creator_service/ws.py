"""The `/ws/creator` endpoint: JSON frames in, actions to a session, the session's events out.

It translates and nothing more. A connection attaches to one session at a time (`start` makes a
new one, `resume` finds one again); the session belongs to the server and outlives the
connection. Every event goes through one outbox drained by one sender task, so events leave in
the order they were made. Bad input gets a clear error and the connection stays open; `stop` is
answered, then the socket closes with 1000; a dropped connection just detaches.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from starlette.websockets import WebSocket, WebSocketDisconnect

from . import protocol
from .brand_assets import check_brief_assets
from .events import FINAL_EVENTS, EngineEvent
from .pipeline import Pipeline
from .protocol import (
    AcceptAction,
    AutoAction,
    ErrorCode,
    ProtocolError,
    RegenerateAction,
    ResumeAction,
    StartAction,
    StopAction,
)
from .services import Services
from .sessions import SessionRegistry
from .urls import PublicUrls, request_base_url

logger = logging.getLogger(__name__)

_CLOSE = object()
SESSION_NOT_FOUND = "no session with this video_id and resume_token can be resumed"


class CreatorConnection:
    """One client connection, and the session it is attached to, if any."""

    def __init__(self, services: Services, registry: SessionRegistry, outbox: asyncio.Queue[Any],
                 base_url: str) -> None:
        self.services = services
        self.registry = registry
        self.outbox = outbox
        self.base_url = base_url
        self.pipeline: Pipeline | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.finished = False

    def send(self, message: dict[str, Any]) -> None:
        self.outbox.put_nowait(message)

    def on_event(self, event: EngineEvent) -> None:
        pipeline = self.pipeline
        assert pipeline is not None
        urls = PublicUrls(self.base_url, pipeline.session.video_id)
        self.send(protocol.wire_event(event, urls, pipeline.session.video_dir))
        if isinstance(event, FINAL_EVENTS):
            # The session is over for everyone attached: each connection closes after saying so.
            self.finished = True
            self.outbox.put_nowait(_CLOSE)

    async def handle_text(self, text: str) -> None:
        try:
            action = protocol.parse_client_message(text)
            await self.dispatch(action)
        except ProtocolError as exc:
            self.send(exc.to_event())

    def handle_binary(self) -> None:
        self.send(
            protocol.protocol_error(
                ErrorCode.BINARY_FRAME,
                "binary frames are not supported; send JSON text frames with an 'action' field",
            )
        )

    async def dispatch(self, action: Any) -> None:
        if isinstance(action, StopAction):
            if self.pipeline is None:
                self.send(protocol.stopped(None))
                self.finished = True
                self.outbox.put_nowait(_CLOSE)
            else:
                await self.pipeline.stop_session()
            return
        if isinstance(action, StartAction):
            await self._start(action)
            return
        if isinstance(action, ResumeAction):
            self._resume(action)
            return
        pipeline = self.pipeline
        if pipeline is None:
            raise ProtocolError(
                ErrorCode.NOT_STARTED,
                f"action '{action.name}' needs a session; send 'start' with a video_type, or 'resume'",
            )
        if isinstance(action, AcceptAction):
            await pipeline.accept_stage()
        elif isinstance(action, RegenerateAction):
            await pipeline.regenerate_stage(action.feedback)
        elif isinstance(action, AutoAction):
            await pipeline.hand_to_auto()

    def _refuse_second_session(self, action: str) -> None:
        if self.pipeline is not None:
            raise ProtocolError(
                ErrorCode.ALREADY_STARTED,
                f"action '{action}' is not allowed: this connection already has session "
                f"{self.pipeline.session.video_id}; open a new connection for another video",
            )

    async def _start(self, action: StartAction) -> None:
        self._refuse_second_session("start")
        video_type = self.registry.video_types[action.video_type]
        if not video_type.available:
            raise ProtocolError(
                ErrorCode.VIDEO_TYPE_UNAVAILABLE,
                f"video_type '{action.video_type}' is valid but its pipeline is not built yet",
            )
        problems = check_brief_assets(action.brief, self.services.settings.assets_root)
        if problems:
            raise ProtocolError(
                ErrorCode.INVALID_PAYLOAD,
                f"invalid {action.video_type} payload: " + "; ".join(f"{p.field} {p.error}" for p in problems),
                problems,
            )
        opened = self.registry.open(video_type, action.brief, mode="creator", base_url=self.base_url)
        session = opened.pipeline.session
        assert opened.resume_token is not None
        self._attach(opened.pipeline)
        logger.info("session %s started: %s", session.video_id, video_type.name)
        self.send(protocol.session_started(
            session.video_id, video_type.name, session.stage_order, session.current_stage, opened.resume_token
        ))
        await opened.pipeline.begin()

    def _resume(self, action: ResumeAction) -> None:
        self._refuse_second_session("resume")
        pipeline = self.registry.resume(action.video_id, action.resume_token)
        if pipeline is None:
            raise ProtocolError(ErrorCode.SESSION_NOT_FOUND, SESSION_NOT_FOUND)
        session = pipeline.session
        self._attach(pipeline)
        logger.info("session %s resumed (%s, %d attached)", session.video_id, pipeline.state,
                    self.registry.attached(session.video_id))
        state = "running" if pipeline.state == "idle" else pipeline.state
        self.send(protocol.session_resumed(
            session.video_id, session.video_type, session.stage_order,
            None if pipeline.state == "complete" else session.current_stage, state,
            versions=session.stage_versions, accepted=session.accepted_versions,
        ))
        for event in pipeline.replay():
            self.on_event(event)

    def _attach(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._unsubscribe = pipeline.subscribe(self.on_event)
        self.registry.attach(pipeline)

    def detach(self) -> None:
        if self.pipeline is not None and self._unsubscribe is not None:
            self._unsubscribe()
            self.registry.detach(self.pipeline)
            self._unsubscribe = None


async def _send_events(websocket: WebSocket, outbox: asyncio.Queue[Any]) -> None:
    try:
        while True:
            event = await outbox.get()
            if event is _CLOSE:
                await websocket.close(code=1000)
                return
            await websocket.send_json(event)
    except (WebSocketDisconnect, RuntimeError, OSError) as exc:
        # The client is gone; the receive loop sees the disconnect and cleans up.
        logger.info("could not send to a closed connection: %s", type(exc).__name__)


async def creator_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    registry: SessionRegistry = websocket.app.state.sessions
    await websocket.accept()
    outbox: asyncio.Queue[Any] = asyncio.Queue()
    connection = CreatorConnection(
        services, registry, outbox, request_base_url(services.settings.public_url, websocket)
    )
    sender = asyncio.create_task(_send_events(websocket, outbox))
    try:
        while not connection.finished:
            # When the session ends for another reason (a stop from another connection, expiry),
            # the sender closes the socket and this receive sees the client's close.
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("text") is not None:
                await connection.handle_text(message["text"])
            else:
                connection.handle_binary()
        if connection.finished:
            await asyncio.wait_for(sender, timeout=10)
    except (WebSocketDisconnect, RuntimeError, asyncio.TimeoutError) as exc:
        logger.info("connection ended: %s", type(exc).__name__)
    finally:
        connection.detach()
        if not sender.done():
            sender.cancel()
