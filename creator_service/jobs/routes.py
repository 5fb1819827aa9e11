"""The spec's automated endpoints: POST /create… runs a whole pipeline with no review.

The body is the type's brief (validated by the very models Creator Mode uses), plus an optional
`callback_url` for a webhook when the job ends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..auth.access import Forbidden
from ..auth.http import current_user, forbidden, require_global_role, too_many, visible_video
from ..auth.limits import RateLimited
from ..brand_assets import check_brief_assets
from ..jsoninput import JsonInputError, parse_json
from ..models import FinalVideo
from ..payloads import FieldError, describe_validation_error
from ..review import Review
from ..sessions import SessionRegistry
from ..store import SessionRecord
from ..urls import PublicUrls, request_base_url
from ..video_types import VideoType, VideoTypes
from ..webhooks import UnsafeWebhook, check_callback_url
from .manager import JobManager, QueueFull

MAX_PAGE = 100


def _manager(request: Request) -> JobManager:
    return request.app.state.jobs  # type: ignore[no-any-return]


def _registry(request: Request) -> SessionRegistry:
    return request.app.state.sessions  # type: ignore[no-any-return]


def _base_url(request: Request) -> str:
    return request_base_url(request.app.state.services.settings.public_url, request)


def _invalid(fields: list[FieldError], summary: str) -> JSONResponse:
    return JSONResponse({"error": summary, "fields": [f.model_dump() for f in fields]}, status_code=422)


def create_endpoint(video_type: VideoType) -> Any:
    model = video_type.brief_model

    async def create(request: Request) -> Response:
        user = current_user(request)
        try:
            require_global_role(user, f"making a video ({request.url.path})")
        except Forbidden as exc:
            return forbidden(exc)
        raw = await request.body()  # capped at 1 MiB by the BodyLimit middleware
        try:
            body = parse_json(raw or b"null")
        except JsonInputError as exc:
            return JSONResponse({"error": f"body is not valid JSON: {exc}"}, status_code=400)
        if not isinstance(body, dict):
            return _invalid([FieldError(field="body", error="must be a JSON object")], "invalid body")
        callback_url = body.pop("callback_url", None)
        fields: list[FieldError] = []
        if callback_url is not None:
            allow_private = request.app.state.services.settings.webhook_allow_private
            try:
                await anyio.to_thread.run_sync(check_callback_url, callback_url, allow_private)
            except UnsafeWebhook as exc:
                fields.append(FieldError(field="callback_url", error=str(exc)))
        try:
            brief = model.model_validate(body)
        except ValidationError as exc:
            fields.extend(
                FieldError(field=f.field.removeprefix("body."), error=f.error)
                for f in describe_validation_error(exc, model, prefix="body")
            )
            brief = None
        if brief is not None:
            fields.extend(
                FieldError(field=f.field.removeprefix("payload."), error=f.error)
                for f in check_brief_assets(brief, request.app.state.services.settings.assets_root,
                                            user.name, user.role == "admin")
            )
        if fields or brief is None:
            return _invalid(fields, f"invalid {video_type.name} payload")
        try:
            request.app.state.identity.quotas.check_new_video(user.name)
        except RateLimited as exc:
            return too_many(exc)
        try:
            video_id = _manager(request).submit(video_type, brief, callback_url, _base_url(request), user.name)
        except QueueFull as exc:
            return JSONResponse({"error": str(exc)}, status_code=429,
                                headers={"Retry-After": str(exc.retry_after)})
        return JSONResponse(
            {"video_id": video_id, "status": "queued", "status_url": PublicUrls(_base_url(request), video_id).status},
            status_code=202,
        )

    return create


def _job_status(record: SessionRecord) -> str:
    """The first release's job status: queued, running, complete, failed or cancelled. A Creator
    session's status is its state."""
    if record.mode == "auto" and record.state in ("awaiting_review", "error"):
        return "running"  # between a stage's end and the policy's accept
    return record.state


def _describe(request: Request, record: SessionRecord, with_stages: bool) -> dict[str, Any]:
    store = _registry(request).store
    urls = PublicUrls(_base_url(request), record.video_id)
    order = record.stage_order
    description: dict[str, Any] = {
        "video_id": record.video_id,
        "video_type": record.video_type,
        "mode": record.mode,
        "state": record.state,
        "stage_order": list(order),
        "status": _job_status(record),
        "current_stage": record.current_stage,
        "progress": {"current": len(record.accepted), "total": len(order)},
        "error": record.error,
        "video_url": urls.video if record.state == "complete" else None,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }
    if with_stages:
        attempts = store.attempts(record.video_id)
        stages: dict[str, Any] = {}
        for stage in order:
            versions = [a for a in attempts if a.stage == stage]
            if not versions:
                continue
            accepted = record.accepted.get(stage)
            stages[stage] = {
                "accepted_version": accepted,
                "versions": [
                    {"version": a.version, "status": a.status, "feedback": a.feedback, "error": a.error,
                     "started_at": a.started_at, "finished_at": a.finished_at,
                     "data": a.output.client_data(urls.file) if a.output is not None else None}
                    for a in sorted(versions, key=lambda a: a.version)
                ],
            }
            # The first release's shape: the accepted version's data, for clients written against it.
            chosen = next((a for a in versions if a.version == accepted and a.output is not None), None)
            if chosen is not None:
                stages[stage].update(version=chosen.version, data=chosen.output.client_data(urls.file))  # type: ignore[union-attr]
        description["stages"] = stages
        description["forks"] = [json.loads(detail)["into"] for (detail,) in store.query(
            "SELECT detail FROM audit WHERE video_id=? AND event='forked' ORDER BY seq", (record.video_id,))]
        description["approvals_policy"] = record.approvals
        description["approvals"] = Review(store).signatures(record.video_id)
        description["webhooks"] = [{k: d[k] for k in ("delivery_id", "url", "status", "attempts")}
                                   for d in request.app.state.outbox.for_video(record.video_id)]
    return description


async def list_videos(request: Request) -> Response:
    try:
        limit = min(MAX_PAGE, max(1, int(request.query_params.get("limit", "20"))))
        offset = max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        return JSONResponse({"error": "limit and offset must be integers"}, status_code=400)
    user = current_user(request)
    records, total = _registry(request).store.page(limit, offset, visible_to=None if user.is_admin else user.name)
    videos = [_describe(request, record, with_stages=False) for record in records]
    following = offset + limit if offset + limit < total else None
    return JSONResponse({"videos": videos, "total": total, "limit": limit, "offset": offset,
                         "next_offset": following})


async def get_video(request: Request) -> Response:
    record = visible_video(request)
    if isinstance(record, Response):
        return record
    return JSONResponse(_describe(request, record, with_stages=True))


async def get_video_file(request: Request) -> Response:
    record = visible_video(request)
    if isinstance(record, Response):
        return record
    if record.state != "complete":
        return JSONResponse({"error": f"the video is not ready: it is {record.state}"}, status_code=409)
    path = _final_video(request, record)
    if path is None or not path.is_file():
        return JSONResponse({"error": "the final video file is missing"}, status_code=410)
    # FileResponse answers Range requests (206), so players can seek.
    return FileResponse(path, media_type="video/mp4", filename=f"{record.video_id}.mp4",
                        content_disposition_type="inline")


async def delete_video(request: Request) -> Response:
    record = visible_video(request)
    if isinstance(record, Response):
        return record
    try:
        request.app.state.identity.access.require_runner(current_user(request), record, "cancelling a video")
    except Forbidden as exc:
        return forbidden(exc)
    if not await _manager(request).cancel(record.video_id, current_user(request).name):
        return JSONResponse({"error": f"the video already ended: it is {record.state}", "status": record.state},
                            status_code=409)
    return JSONResponse({"video_id": record.video_id, "status": "cancelled"})


def _final_video(request: Request, record: SessionRecord) -> Path | None:
    version = record.accepted.get("render")
    attempt = next((a for a in _registry(request).store.attempts(record.video_id)
                    if a.stage == "render" and a.version == version), None)
    if attempt is None or not isinstance(attempt.output, FinalVideo):
        return None
    return request.app.state.services.settings.data_dir / record.video_id / attempt.output.path


def job_routes(video_types: VideoTypes) -> list[Route]:
    routes = [Route(vt.endpoint, create_endpoint(vt), methods=["POST"]) for vt in video_types.values()]
    routes += [
        Route("/videos", list_videos, methods=["GET"]),
        Route("/videos/{video_id}", get_video, methods=["GET"]),
        Route("/videos/{video_id}", delete_video, methods=["DELETE"]),
        Route("/videos/{video_id}/video", get_video_file, methods=["GET"]),
    ]
    return routes
