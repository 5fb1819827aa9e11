"""The `/ws/creator` endpoint: JSON frames in, actions to the session's pipeline, events out.

It translates and nothing more. One connection is one session. Every event goes through one
outbox drained by one sender task, so events leave in the order they were made. Bad input
gets a clear error and the connection stays open; `stop` is answered, then the socket closes
with 1000; a dropped connection cancels whatever the session was running.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from . import protocol
from .brand_assets import check_brief_assets
from .files import file_url
from .pipeline import Pipeline
from .protocol import (
    AcceptAction,
    ClientAction,
    ErrorCode,
    ProtocolError,
    RegenerateAction,
    StartAction,
    StopAction,
)
from .services import Services
from .session import CreatorSession, new_video_id
from .video_types import VIDEO_TYPES

logger = logging.getLogger(__name__)

_CLOSE = object()


class CreatorConnection:
    """One client's session: what `start` created, and how each later action reaches it."""

    def __init__(self, services: Services, outbox: asyncio.Queue[Any], base_url: str) -> None:
        self.services = services
        self.outbox = outbox
        self.base_url = base_url
        self.pipeline: Pipeline | None = None
        self.finished = False

    def emit(self, event: dict[str, Any]) -> None:
        self.outbox.put_nowait(event)

    async def handle_text(self, text: str) -> None:
        try:
            action = protocol.parse_client_message(text)
            await self.dispatch(action)
        except ProtocolError as exc:
            self.emit(exc.to_event())

    def handle_binary(self) -> None:
        self.emit(
            protocol.protocol_error(
                ErrorCode.BINARY_FRAME,
                "binary frames are not supported; send JSON text frames with an 'action' field",
            )
        )

    async def dispatch(self, action: ClientAction) -> None:
        if isinstance(action, StopAction):
            if self.pipeline is None:
                self.emit(protocol.stopped(None))
            else:
                await self.pipeline.stop_session()
            self.finished = True
            return
        if isinstance(action, StartAction):
            await self._start(action)
            return
        if self.pipeline is None:
            raise ProtocolError(
                ErrorCode.NOT_STARTED,
                f"action '{action.name}' needs a session; send 'start' with a video_type first",
            )
        if isinstance(action, AcceptAction):
            await self.pipeline.accept_stage()
        elif isinstance(action, RegenerateAction):
            await self.pipeline.regenerate_stage(action.feedback)

    async def _start(self, action: StartAction) -> None:
        if self.pipeline is not None:
            raise ProtocolError(
                ErrorCode.ALREADY_STARTED,
                f"action 'start' is not allowed: this connection already has session "
                f"{self.pipeline.session.video_id}; open a new connection for another video",
            )
        video_type = VIDEO_TYPES[action.video_type]
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
        video_id = new_video_id()
        video_dir = self.services.settings.data_dir / video_id
        video_dir.mkdir(parents=True, exist_ok=False)
        session = CreatorSession(
            video_id=video_id,
            video_type=video_type.name,
            payload=action.brief,
            stage_order=video_type.stage_order,
            video_dir=video_dir,
        )
        self.pipeline = Pipeline(
            session,
            video_type,
            self.services,
            self.emit,
            lambda relative: file_url(self.base_url, video_id, relative),
        )
        logger.info("session %s started: %s", video_id, video_type.name)
        self.emit(
            protocol.session_started(
                video_id, video_type.name, session.stage_order, session.current_stage
            )
        )
        await self.pipeline.begin()

    async def close(self) -> None:
        if self.pipeline is not None:
            await self.pipeline.shutdown()


def http_base_url(websocket: WebSocket, public_url: str) -> str:
    if public_url:
        return public_url
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return f"{scheme}://{websocket.url.netloc}"


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
    await websocket.accept()
    outbox: asyncio.Queue[Any] = asyncio.Queue()
    connection = CreatorConnection(
        services, outbox, http_base_url(websocket, services.settings.public_url)
    )
    sender = asyncio.create_task(_send_events(websocket, outbox))
    try:
        while not connection.finished:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("text") is not None:
                await connection.handle_text(message["text"])
            else:
                connection.handle_binary()
        if connection.finished:
            outbox.put_nowait(_CLOSE)
            await asyncio.wait_for(sender, timeout=10)
    except (WebSocketDisconnect, RuntimeError, asyncio.TimeoutError) as exc:
        logger.info("connection ended: %s", type(exc).__name__)
    finally:
        await connection.close()
        if not sender.done():
            sender.cancel()
