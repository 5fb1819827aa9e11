"""The spec's automated endpoints: POST /create… runs a whole pipeline with no review.

The body is the type's brief (validated by the very models Creator Mode uses), plus an optional
`callback_url` for a webhook when the job ends.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import anyio
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..brand_assets import check_brief_assets
from ..files import VIDEO_ID
from ..payloads import BRIEF_MODELS, FieldError, describe_validation_error
from ..protocol import MAX_MESSAGE_BYTES
from ..video_types import VIDEO_TYPES
from .manager import JobManager, QueueFull
from .store import JobRecord

ENDPOINTS = {
    "/create": "product_ad",
    "/create-compliance": "compliance_video",
    "/create-moa": "moa",
    "/create-doctor": "doctor_ad",
    "/create-sm": "social_media",
}
MAX_PAGE = 100


def _manager(request: Request) -> JobManager:
    return request.app.state.jobs  # type: ignore[no-any-return]


def _base_url(request: Request) -> str:
    public = request.app.state.services.settings.public_url
    return public or str(request.base_url).rstrip("/")


def _invalid(fields: list[FieldError], summary: str) -> JSONResponse:
    return JSONResponse({"error": summary, "fields": [f.model_dump() for f in fields]}, status_code=422)


def create_endpoint(video_type: str) -> Any:
    model = BRIEF_MODELS[video_type]

    async def create(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_MESSAGE_BYTES:
            return JSONResponse({"error": f"body is over {MAX_MESSAGE_BYTES:,} bytes"}, status_code=413)
        try:
            body = json.loads(raw or b"null")
        except json.JSONDecodeError as exc:
            return JSONResponse({"error": f"body is not valid JSON: {exc.msg}"}, status_code=400)
        if not isinstance(body, dict):
            return _invalid([FieldError(field="body", error="must be a JSON object")], "invalid body")
        callback_url = body.pop("callback_url", None)
        fields: list[FieldError] = []
        if callback_url is not None and not _is_http_url(callback_url):
            fields.append(FieldError(field="callback_url", error="must be an http:// or https:// URL"))
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
                for f in check_brief_assets(brief, request.app.state.services.settings.assets_root)
            )
        if fields or brief is None:
            return _invalid(fields, f"invalid {video_type} payload")
        try:
            video_id = await _manager(request).submit(video_type, brief, callback_url)
        except QueueFull as exc:
            return JSONResponse({"error": str(exc)}, status_code=429,
                                headers={"Retry-After": str(exc.retry_after)})
        return JSONResponse(
            {"video_id": video_id, "status": "queued", "status_url": f"{_base_url(request)}/videos/{video_id}"},
            status_code=202,
        )

    return create


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 2000:
        return False
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


async def _describe(request: Request, record: JobRecord, with_stages: bool) -> dict[str, Any]:
    manager = _manager(request)
    stored = await anyio.to_thread.run_sync(manager.store.outputs, record.video_id)
    order = VIDEO_TYPES[record.video_type].stage_order
    base = _base_url(request)
    done = sum(1 for stage in order if stage in stored)
    description: dict[str, Any] = {
        "video_id": record.video_id,
        "video_type": record.video_type,
        "status": record.status,
        "current_stage": None if record.status in ("complete",) else record.current_stage or order[0],
        "progress": {"current": done, "total": len(order)},
        "error": record.error,
        "video_url": f"{base}/videos/{record.video_id}/video" if record.status == "complete" else None,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }
    if with_stages:
        def urls(relative: str) -> str:
            return f"{base}/videos/{record.video_id}/files/{relative}"

        description["stages"] = {
            stage: {"version": stored[stage][0], "data": stored[stage][1].client_data(urls)}
            for stage in order if stage in stored
        }
    return description


async def list_videos(request: Request) -> Response:
    try:
        limit = min(MAX_PAGE, max(1, int(request.query_params.get("limit", "20"))))
        offset = max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        return JSONResponse({"error": "limit and offset must be integers"}, status_code=400)
    records, total = await anyio.to_thread.run_sync(_manager(request).store.page, limit, offset)
    videos = [await _describe(request, record, with_stages=False) for record in records]
    following = offset + limit if offset + limit < total else None
    return JSONResponse({"videos": videos, "total": total, "limit": limit, "offset": offset,
                         "next_offset": following})


async def _record_or_404(request: Request) -> JobRecord | Response:
    video_id = request.path_params["video_id"]
    record = await anyio.to_thread.run_sync(_manager(request).store.get, video_id) if VIDEO_ID.fullmatch(video_id) else None
    if record is None:
        return JSONResponse(
            {"error": f"no automated job {video_id!r} (Creator Mode sessions are not stored)"}, status_code=404
        )
    return record


async def get_video(request: Request) -> Response:
    record = await _record_or_404(request)
    if isinstance(record, Response):
        return record
    return JSONResponse(await _describe(request, record, with_stages=True))


async def get_video_file(request: Request) -> Response:
    record = await _record_or_404(request)
    if isinstance(record, Response):
        return record
    if record.status != "complete":
        return JSONResponse({"error": f"the video is not ready: the job is {record.status}"}, status_code=409)
    stored = await anyio.to_thread.run_sync(_manager(request).store.outputs, record.video_id)
    path: Path | None = _manager(request).final_video(record.video_id, stored)
    if path is None or not path.is_file():
        return JSONResponse({"error": "the final video file is missing"}, status_code=410)
    # FileResponse answers Range requests (206), so players can seek.
    return FileResponse(path, media_type="video/mp4", filename=f"{record.video_id}.mp4",
                        content_disposition_type="inline")


async def delete_video(request: Request) -> Response:
    record = await _record_or_404(request)
    if isinstance(record, Response):
        return record
    if not await _manager(request).cancel(record.video_id):
        return JSONResponse({"error": f"the job already ended: it is {record.status}", "status": record.status},
                            status_code=409)
    return JSONResponse({"video_id": record.video_id, "status": "cancelled"})


def job_routes() -> list[Route]:
    routes = [Route(path, create_endpoint(video_type), methods=["POST"]) for path, video_type in ENDPOINTS.items()]
    routes += [
        Route("/videos", list_videos, methods=["GET"]),
        Route("/videos/{video_id}", get_video, methods=["GET"]),
        Route("/videos/{video_id}", delete_video, methods=["DELETE"]),
        Route("/videos/{video_id}/video", get_video_file, methods=["GET"]),
    ]
    return routes
