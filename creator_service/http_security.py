"""What every HTTP request passes through: authentication, a cap on its body, security headers.

Pure ASGI middleware (no buffering of responses), so file downloads and Range requests stream
as before.
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

from starlette.requests import HTTPConnection, Request

from .auth.identity import Identity

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_JSON_BYTES = 1024 * 1024
# Routes with their own, larger cap (they check it themselves, with their own message).
OWN_BODY_CAPS = {"/assets/logos": 5 * 1024 * 1024, "/brands": 12 * 1024 * 1024,
                 "/assets/references": 10 * 1024 * 1024}

# Reachable without a token: the health check, what the brief form is built from, the studio's
# own files, and the login that turns a token into the studio's cookie.
PUBLIC = {("GET", "/health"), ("GET", "/video-types"), ("GET", "/"), ("POST", "/login"), ("POST", "/logout")}
PUBLIC_PREFIXES = ("/static/",)

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
     b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": data})


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in SECURITY_HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes | None:
    """A route's whole body, or None as soon as it is over `limit` bytes (declared or streamed):
    for the routes with their own cap (OWN_BODY_CAPS)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            return None
    return bytes(data)


class BodyLimit:
    """413 for a body over its route's cap: at once from Content-Length, or as soon as a streamed
    body passes it."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = OWN_BODY_CAPS.get(scope["path"])
        if cap is not None:  # the route enforces its own cap
            await self.app(scope, receive, send)
            return
        message = f"the request body is over the limit of {MAX_JSON_BYTES:,} bytes (1 MiB) for JSON"
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_JSON_BYTES:
            await _send_json(send, 413, {"error": message}, [])
            return
        seen = 0
        started = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal seen
            event = await receive()
            if event["type"] == "http.request":
                seen += len(event.get("body", b""))
                if seen > MAX_JSON_BYTES:
                    raise BodyTooLarge()
            return event

        async def tracking_send(event: dict[str, Any]) -> None:
            nonlocal started
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_json(send, 413, {"error": message}, [])


class Authentication:
    """Every route but the public ones needs a user: a Bearer token or the studio's cookie.
    A missing or bad one gets 401 with `WWW-Authenticate: Bearer`. The user is left in
    `request.state.user`. WebSockets authenticate in `ws.py` (browsers may send the token as
    their first message)."""

    def __init__(self, app: ASGIApp, identity: Identity):
        self.app = app
        self.identity = identity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        public = (method if method != "HEAD" else "GET", path) in PUBLIC or path.startswith(PUBLIC_PREFIXES)
        user = self.identity.from_connection(HTTPConnection(scope))
        scope.setdefault("state", {})["user"] = user
        if user is None and not public:
            await _send_json(send, 401, {"error": "a valid API token is needed: send 'Authorization: Bearer <token>'"
                                                  " (python -m creator_service.users makes one)"},
                             [(b"www-authenticate", b'Bearer realm="creator-studio"')])
            return
        await self.app(scope, receive, send)
