"""The HTTP side of access: the caller, the video they ask for (or a 404), and refusals."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..session import VIDEO_ID
from ..store import SessionRecord
from .access import Forbidden
from .identity import Identity
from .limits import RateLimited
from .users import User


def identity(request: Request) -> Identity:
    return request.app.state.identity  # type: ignore[no-any-return]


def current_user(request: Request) -> User:
    """The authenticated user (the Authentication middleware let only such requests through)."""
    user = request.scope.get("state", {}).get("user")
    assert isinstance(user, User), "route reached without authentication"
    return user


def visible_video(request: Request, video_id: str | None = None) -> SessionRecord | JSONResponse:
    """The video named in the path, if the caller may see it; otherwise the same 404 as for a video
    that does not exist, so ids cannot be probed."""
    video_id = video_id or request.path_params["video_id"]
    record = request.app.state.store.get(video_id) if VIDEO_ID.fullmatch(video_id) else None
    if record is None or identity(request).access.role_on(current_user(request), record) is None:
        return JSONResponse({"error": f"no video {video_id!r}"}, status_code=404)
    return record


def forbidden(exc: Forbidden) -> JSONResponse:
    return JSONResponse({"error": str(exc), "needs": exc.needs}, status_code=403)


def require_global_role(user: User, action: str, allowed: tuple[str, ...] = ("admin", "producer")) -> None:
    if user.role not in allowed:
        raise Forbidden(action, allowed[-1], user.role)


def too_many(exc: RateLimited) -> JSONResponse:
    return JSONResponse({"error": str(exc), "retry_after": exc.retry_after}, status_code=429,
                        headers={"Retry-After": exc.retry_after_header})
