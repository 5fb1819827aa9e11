"""The `/ws/creator` endpoint: JSON frames in, actions to a session, the session's events out.

It translates and nothing more. A connection attaches to one session at a time (`start` makes a
new one, `resume` finds one again); the session belongs to the server and outlives the
connection. Every event goes through one outbox drained by one sender task, so events leave in
the order they were made. Bad input gets a clear error and the connection stays open; `stop` is
answered, then the socket closes with 1000; a dropped connection just detaches.

Before any of that: a page from a foreign origin is refused before the socket is accepted (HTTP
403), and the connection must say who it is, with an `Authorization: Bearer` header, the studio's
login cookie, or `{"action": "auth", "token"}` as its first message within `AUTH_TIMEOUT`
seconds; otherwise it gets `unauthorized` and is closed with 4401.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Callable

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import protocol
from .auth.access import Forbidden
from .auth.http import require_global_role
from .auth.identity import Identity
from .auth.limits import ActionBucket, RateLimited
from .auth.users import User
from .brand_assets import check_brief_assets
from .events import FINAL_EVENTS, ApprovalSigned, CommentAdded, CommentResolved, EngineEvent
from .payloads import FieldError
from .pipeline import Pipeline
from .protocol import (
    AcceptAction,
    ApproveAction,
    AuthAction,
    AutoAction,
    BranchAction,
    ChooseAction,
    CommentAction,
    ErrorCode,
    ForkAction,
    GotoAction,
    JoinAction,
    ProtocolError,
    RegenerateAction,
    ResolveAction,
    ResumeAction,
    SkipAction,
    StartAction,
    StopAction,
)
from .review import Review, ReviewError
from .services import Services
from .sessions import SessionRegistry
from .settings import Settings
from .urls import PublicUrls, request_base_url
from .video_types import StageOrderError
from .webhooks import UnsafeWebhook, check_callback_url

logger = logging.getLogger(__name__)

SESSION_NOT_FOUND = "no session with this video_id and resume_token can be resumed"
AUTH_TIMEOUT = 10.0
CLOSE_UNAUTHORIZED = 4401


@dataclass(frozen=True)
class Close:
    """Put in the outbox: close the socket with this code once everything before it is sent."""

    code: int = 1000


_CLOSE = Close()


class CreatorConnection:
    """One client connection, and the session it is attached to, if any."""

    def __init__(self, services: Services, registry: SessionRegistry, identity: Identity,
                 outbox: asyncio.Queue[Any], base_url: str, user: User) -> None:
        self.services = services
        self.registry = registry
        self.identity = identity
        self.outbox = outbox
        self.base_url = base_url
        self.user = user
        self.bucket = ActionBucket(services.settings.actions_per_second)
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
            self._take_turn()
            action = protocol.parse_client_message(text)
            await self.dispatch(action)
        except ProtocolError as exc:
            self.send(exc.to_event())

    def _take_turn(self) -> None:
        """Every frame counts against the connection's rate, a malformed one too."""
        try:
            self.bucket.take()
        except RateLimited as exc:
            raise ProtocolError(ErrorCode.RATE_LIMITED, f"too many messages: {exc}; wait and send again",
                                retry_after=exc.retry_after) from None

    def handle_binary(self) -> None:
        try:
            self._take_turn()
        except ProtocolError as exc:
            self.send(exc.to_event())
            return
        self.send(
            protocol.protocol_error(
                ErrorCode.BINARY_FRAME,
                "binary frames are not supported; send JSON text frames with an 'action' field",
            )
        )

    async def dispatch(self, action: Any) -> None:
        if isinstance(action, AuthAction):
            raise ProtocolError(ErrorCode.ACTION_NOT_ALLOWED,
                                f"action 'auth' is not allowed: this connection is already authenticated as "
                                f"{self.user.name}")
        if isinstance(action, StopAction):
            if self.pipeline is None:
                self.send(protocol.stopped(None))
                self.finished = True
                self.outbox.put_nowait(_CLOSE)
            else:
                self._require_runner(self.pipeline, "action 'stop'")
                await self.pipeline.stop_session(self.user.name)
            return
        if isinstance(action, StartAction):
            await self._start(action)
            return
        if isinstance(action, ResumeAction):
            self._resume(action)
            return
        if isinstance(action, JoinAction):
            self._join(action)
            return
        pipeline = self.pipeline
        if pipeline is None:
            raise ProtocolError(
                ErrorCode.NOT_STARTED,
                f"action '{action.name}' needs a session; send 'start' with a video_type, or 'resume'",
            )
        if isinstance(action, (CommentAction, ResolveAction, ApproveAction)):
            self._review(pipeline, action)
            return
        self._require_runner(pipeline, f"action '{action.name}'")
        self._check_running_quota(pipeline)
        if isinstance(action, AcceptAction):
            await pipeline.accept_stage(self.user.name, action.acknowledge_warnings)
        elif isinstance(action, RegenerateAction):
            await pipeline.regenerate_stage(action.feedback, self.user.name, action.scenes)
        elif isinstance(action, AutoAction):
            await pipeline.hand_to_auto(self.user.name)
        elif isinstance(action, SkipAction):
            await pipeline.skip_stage(self.user.name)
        elif isinstance(action, GotoAction):
            await pipeline.goto_stage(action.stage, self.user.name)
        elif isinstance(action, BranchAction):
            await pipeline.branch_stage(action.variants, self.user.name)
        elif isinstance(action, ChooseAction):
            await pipeline.choose_version(action.version, self.user.name)
        elif isinstance(action, ForkAction):
            self._fork(pipeline)

    def _fork(self, pipeline: Pipeline) -> None:
        if pipeline.state not in ("awaiting_review", "error", "complete"):
            raise ProtocolError(ErrorCode.ACTION_NOT_ALLOWED,
                                f"action 'fork' is not allowed now: stage '{pipeline.session.current_stage}' is"
                                " running; fork when no stage runs")
        try:
            require_global_role(self.user, "action 'fork'")
        except Forbidden as exc:
            raise ProtocolError(ErrorCode.FORBIDDEN, str(exc), needs=exc.needs) from None
        forked = self.registry.fork(pipeline, self.user.name)
        self.send({"status": "forked", "video_id": forked.pipeline.session.video_id,
                   "resume_token": forked.resume_token, "from": pipeline.session.video_id})

    def _review(self, pipeline: Pipeline, action: CommentAction | ResolveAction | ApproveAction) -> None:
        """Comments and signatures: stored and audited, then sent to everyone attached."""
        session, review = pipeline.session, Review(self.registry.store)
        try:
            if isinstance(action, ApproveAction):
                self.identity.access.require_reviewer(self.user, session, "action 'approve'")
                if pipeline.state != "awaiting_review":
                    raise ProtocolError(ErrorCode.ACTION_NOT_ALLOWED,
                                        "action 'approve' is not allowed now: no version is awaiting review")
                signature = review.sign(session, self.user, action.decision, action.note)
                pipeline.announce(ApprovalSigned(session.video_id, signature))
                return
            self.identity.access.require_commenter(self.user, session, f"action '{action.name}'")
            if isinstance(action, CommentAction):
                comment = review.comment(session, self.user.name, action.stage, action.version, action.text,
                                         action.scene, action.at, action.reply_to)
                pipeline.announce(CommentAdded(session.video_id, comment))
            else:
                review.resolve(session.video_id, action.comment_id, self.user.name)
                pipeline.announce(CommentResolved(session.video_id, action.comment_id, self.user.name))
        except Forbidden as exc:
            raise ProtocolError(ErrorCode.FORBIDDEN, str(exc), needs=exc.needs) from None
        except ReviewError as exc:
            raise ProtocolError(ErrorCode.INVALID_FIELD, f"field '{exc.field}' {exc}",
                                [FieldError(field=exc.field, error=str(exc))]) from None

    def _join(self, action: JoinAction) -> None:
        """A member attaches to a video's session: no resume token, their membership is enough."""
        self._refuse_second_session("join")
        record = self.registry.store.get(action.video_id)
        pipeline = self.registry.get(action.video_id) if record is not None else None
        if record is None or pipeline is None or self.identity.access.role_on(self.user, record) is None \
                or pipeline.state in ("stopped", "expired"):
            raise ProtocolError(ErrorCode.SESSION_NOT_FOUND, "no session with this video_id can be joined")
        self._attach_and_replay(pipeline, "session_joined")

    def _require_runner(self, pipeline: Pipeline, action: str) -> None:
        try:
            self.identity.access.require_runner(self.user, pipeline.session, action)
        except Forbidden as exc:
            raise ProtocolError(ErrorCode.FORBIDDEN, str(exc), needs=exc.needs) from None

    def _check_running_quota(self, pipeline: Pipeline) -> None:
        owner = pipeline.session.owner
        if owner is None or pipeline.state not in ("awaiting_review", "error"):
            return  # nothing would start running (the machine refuses, or says why)
        try:
            self.identity.quotas.check_running(owner, excluding=pipeline.session.video_id)
        except RateLimited as exc:
            raise ProtocolError(ErrorCode.RATE_LIMITED, str(exc), retry_after=exc.retry_after) from None

    def _refuse_second_session(self, action: str) -> None:
        if self.pipeline is not None:
            raise ProtocolError(
                ErrorCode.ALREADY_STARTED,
                f"action '{action}' is not allowed: this connection already has session "
                f"{self.pipeline.session.video_id}; open a new connection for another video",
            )

    async def _start(self, action: StartAction) -> None:
        self._refuse_second_session("start")
        try:
            require_global_role(self.user, "action 'start'")
            self.identity.quotas.check_new_video(self.user.name)
        except Forbidden as exc:
            raise ProtocolError(ErrorCode.FORBIDDEN, str(exc), needs=exc.needs) from None
        except RateLimited as exc:
            raise ProtocolError(ErrorCode.RATE_LIMITED, str(exc), retry_after=exc.retry_after) from None
        video_type = self.registry.video_types[action.video_type]
        if not video_type.available:
            raise ProtocolError(
                ErrorCode.VIDEO_TYPE_UNAVAILABLE,
                f"video_type '{action.video_type}' is valid but its pipeline is not built yet",
            )
        problems = check_brief_assets(action.brief, self.services.settings.assets_root,
                                      self.user.name, self.user.role == "admin")
        if problems:
            raise ProtocolError(
                ErrorCode.INVALID_PAYLOAD,
                f"invalid {action.video_type} payload: " + "; ".join(f"{p.field} {p.error}" for p in problems),
                problems,
            )
        order = video_type.stage_order
        if action.stage_order is not None:
            try:
                order = video_type.check_order(action.stage_order)
            except StageOrderError as exc:
                raise ProtocolError(ErrorCode.INVALID_STAGE_ORDER, f"invalid stage_order: {exc}",
                                    [FieldError(field="stage_order", error=str(exc))]) from None
        if action.callback_url is not None:
            allow_private = self.services.settings.webhook_allow_private
            try:
                await anyio.to_thread.run_sync(check_callback_url, action.callback_url, allow_private)
            except UnsafeWebhook as exc:
                raise ProtocolError(ErrorCode.INVALID_FIELD, f"field 'callback_url' {exc}",
                                    [FieldError(field="callback_url", error=str(exc))]) from None
        if action.approvals is not None:
            for stage, disciplines in action.approvals.items():
                if stage not in order or not disciplines or not all(d.strip() for d in disciplines):
                    error = (f"stage {stage!r} must be one of {', '.join(order)} and list the disciplines that"
                             " must approve it")
                    raise ProtocolError(ErrorCode.INVALID_FIELD, f"field 'approvals' {error}",
                                        [FieldError(field="approvals", error=error)])
        opened = self.registry.open(video_type, action.brief, mode="creator", owner=self.user.name,
                                    base_url=self.base_url, stage_order=order, callback_url=action.callback_url,
                                    approvals=action.approvals)
        session = opened.pipeline.session
        assert opened.resume_token is not None
        logger.info("session %s started: %s", session.video_id, video_type.name)
        self.send(protocol.session_started(
            session.video_id, video_type.name, session.stage_order, session.current_stage, opened.resume_token
        ))
        self._attach(opened.pipeline)
        await opened.pipeline.begin()

    def _resume(self, action: ResumeAction) -> None:
        self._refuse_second_session("resume")
        pipeline = self.registry.resume(action.video_id, action.resume_token)
        # A session this user may not see answers exactly like one that does not exist.
        if pipeline is None or self.identity.access.role_on(self.user, pipeline.session) is None:
            raise ProtocolError(ErrorCode.SESSION_NOT_FOUND, SESSION_NOT_FOUND)
        self._attach_and_replay(pipeline, "session_resumed")

    def _attach_and_replay(self, pipeline: Pipeline, status: str) -> None:
        session = pipeline.session
        self.pipeline = pipeline
        state = "running" if pipeline.state == "idle" else pipeline.state
        answer = protocol.session_resumed(
            session.video_id, session.video_type, session.stage_order,
            None if pipeline.state == "complete" else session.current_stage, state,
            versions=session.stage_versions, accepted=session.accepted_versions,
        )
        self.send({**answer, "status": status})
        for event in pipeline.replay():
            self.on_event(event)
        self._attach(pipeline)
        self.registry.store.audit(session.video_id, self.user.name, "join",
                                  {"via": status.removeprefix("session_"), "state": state})
        logger.info("session %s: %s (%s, %d attached)", session.video_id, status, pipeline.state,
                    self.registry.attached(session.video_id))

    def _attach(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._unsubscribe = pipeline.subscribe(self.on_event)
        self.registry.attach(pipeline, self.user)

    def detach(self) -> None:
        if self.pipeline is not None and self._unsubscribe is not None:
            self._unsubscribe()
            self.registry.detach(self.pipeline, self.user)
            self._unsubscribe = None


async def _send_events(websocket: WebSocket, outbox: asyncio.Queue[Any]) -> None:
    try:
        while True:
            event = await outbox.get()
            if isinstance(event, Close):
                await websocket.close(code=event.code)
                return
            await websocket.send_json(event)
    except (WebSocketDisconnect, RuntimeError, OSError) as exc:
        # The client is gone; the receive loop sees the disconnect and cleans up.
        logger.info("could not send to a closed connection: %s", type(exc).__name__)


def origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    """Cross-site WebSocket hijacking: a page may open the socket only from an allowed origin. A
    request with no Origin header comes from a program, not a page, and is allowed."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    allowed = settings.allowed_origins or (request_base_url(settings.public_url, websocket),)
    return origin.rstrip("/").lower() in {entry.lower() for entry in allowed}


async def _authenticate(websocket: WebSocket, identity: Identity, outbox: asyncio.Queue[Any]) -> User | None:
    """The user behind the handshake, or the one named by an `auth` first message within
    AUTH_TIMEOUT; None after telling the client why (the caller then closes with 4401)."""
    user = identity.from_connection(websocket)
    if user is not None:
        return user
    try:
        message = await asyncio.wait_for(websocket.receive(), AUTH_TIMEOUT)
    except asyncio.TimeoutError:
        why = f"not authenticated within {AUTH_TIMEOUT:g} s"
    else:
        why = "send {\"action\": \"auth\", \"token\": ...} first, or an Authorization: Bearer header"
        if message["type"] == "websocket.disconnect":
            return None
        if message.get("text") is not None:
            try:
                action = protocol.parse_client_message(message["text"])
            except ProtocolError:
                action = None
            if isinstance(action, AuthAction):
                user = identity.from_token(action.token)
                if user is not None:
                    outbox.put_nowait(protocol.authenticated(user.public()))
                    return user
                why = "that token is not valid (revoked, rotated or mistyped)"
    outbox.put_nowait(protocol.protocol_error(ErrorCode.UNAUTHORIZED, f"unauthorized: {why}"))
    outbox.put_nowait(Close(CLOSE_UNAUTHORIZED))
    return None


async def creator_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    registry: SessionRegistry = websocket.app.state.sessions
    identity: Identity = websocket.app.state.identity
    if not origin_allowed(websocket, services.settings):
        logger.warning("refused a WebSocket from origin %s", websocket.headers.get("origin"))
        await websocket.close(code=1008)  # before accept: the handshake is answered 403
        return
    await websocket.accept()
    outbox: asyncio.Queue[Any] = asyncio.Queue()
    sender = asyncio.create_task(_send_events(websocket, outbox))
    user = await _authenticate(websocket, identity, outbox)
    if user is None:
        await asyncio.wait({sender}, timeout=10)
        return
    connection = CreatorConnection(
        services, registry, identity, outbox, request_base_url(services.settings.public_url, websocket), user
    )
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
