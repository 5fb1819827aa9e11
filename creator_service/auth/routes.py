"""Login for the studio, who am I, and sharing a video with other users."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..jsoninput import JsonInputError, parse_json
from . import cookies
from .access import MEMBER_ROLES
from .http import current_user, identity, visible_video


async def _json_object(request: Request) -> dict[str, Any] | JSONResponse:
    try:
        body = parse_json(await request.body() or b"null")
    except JsonInputError as exc:
        return JSONResponse({"error": f"body is not valid JSON: {exc}"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "the body must be a JSON object",
                             "fields": [{"field": "body", "error": "must be a JSON object"}]}, status_code=422)
    return body


def _invalid(field: str, error: str) -> JSONResponse:
    return JSONResponse({"error": f"{field} {error}", "fields": [{"field": field, "error": error}]}, status_code=422)


async def login(request: Request) -> Response:
    """POST /login {"token"}: the studio trades an API token for its HttpOnly login cookie."""
    body = await _json_object(request)
    if isinstance(body, JSONResponse):
        return body
    token = body.get("token")
    if not isinstance(token, str) or not token:
        return _invalid("token", "is required (your API token)")
    user = identity(request).from_token(token)
    if user is None:
        return JSONResponse({"error": "that token is not valid (revoked, rotated or mistyped)"}, status_code=401,
                            headers={"WWW-Authenticate": 'Bearer realm="creator-studio"'})
    response = JSONResponse(user.public())
    response.set_cookie(cookies.COOKIE, identity(request).login_cookie(user), max_age=cookies.MAX_AGE,
                        httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


async def logout(request: Request) -> Response:
    response = JSONResponse({"status": "logged out"})
    response.delete_cookie(cookies.COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def me(request: Request) -> Response:
    return JSONResponse(current_user(request).public())


async def list_members(request: Request) -> Response:
    record = visible_video(request)
    if isinstance(record, JSONResponse):
        return record
    return JSONResponse({"video_id": record.video_id, "owner": record.owner,
                         "members": identity(request).access.members(record.video_id)})


def _may_share(request: Request) -> Any:
    record = visible_video(request)
    if isinstance(record, JSONResponse):
        return record
    user = current_user(request)
    if not identity(request).access.may_share(user, record):
        return JSONResponse({"error": f"sharing a video needs its owner or the admin role; you are a {user.role}",
                             "needs": "owner"}, status_code=403)
    return record


async def add_member(request: Request) -> Response:
    """POST /videos/{id}/members {"user", "role"}: the owner or an admin shares the video."""
    record = _may_share(request)
    if isinstance(record, JSONResponse):
        return record
    body = await _json_object(request)
    if isinstance(body, JSONResponse):
        return body
    unknown = sorted(set(body) - {"user", "role"})
    if unknown:
        return _invalid(unknown[0], "is not a known field; allowed fields are: user, role")
    name, role = body.get("user"), body.get("role")
    if not isinstance(name, str) or identity(request).users.get(name) is None:
        return _invalid("user", f"must name an existing user, got {name!r}")
    if role not in MEMBER_ROLES:
        return _invalid("role", f"must be one of {', '.join(MEMBER_ROLES)}, got {role!r}")
    if name == record.owner:
        return _invalid("user", "is the video's owner already")
    identity(request).access.add_member(record.video_id, name, role, current_user(request).name)
    return JSONResponse({"video_id": record.video_id, "user": name, "role": role}, status_code=201)


async def remove_member(request: Request) -> Response:
    """DELETE /videos/{id}/members?user=NAME (or a JSON body {"user"})."""
    record = _may_share(request)
    if isinstance(record, JSONResponse):
        return record
    name = request.query_params.get("user")
    if name is None:
        body = await _json_object(request)
        if isinstance(body, JSONResponse):
            return body
        name = body.get("user")
    if not isinstance(name, str) or not identity(request).access.remove_member(record.video_id, name):
        return _invalid("user", f"is not a member of this video, got {name!r}")
    return JSONResponse({"video_id": record.video_id, "removed": name})


def auth_routes() -> list[Route]:
    return [
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/me", me, methods=["GET"]),
        Route("/videos/{video_id}/members", list_members, methods=["GET"]),
        Route("/videos/{video_id}/members", add_member, methods=["POST"]),
        Route("/videos/{video_id}/members", remove_member, methods=["DELETE"]),
    ]
