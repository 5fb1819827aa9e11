"""The review studio in the browser: static files at `/`, and what its brief form is built from."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .payloads import field_schema
from .video_types import OPTIONAL_STAGES

STATIC_DIR = Path(__file__).resolve().parent / "static"


async def video_types(request: Request) -> JSONResponse:
    """Each type's brief, field by field (required, defaults, choices, limits) and its stages."""
    return JSONResponse({
        "video_types": [
            {
                "name": name,
                "label": video_type.label,
                "engine": video_type.engine,
                "stage_order": video_type.stage_order,
                "optional_stages": sorted(s for s in video_type.stage_order if s in OPTIONAL_STAGES),
                "fields": field_schema(video_type.brief_model),
            }
            for name, video_type in request.app.state.sessions.video_types.items()
        ]
    })


async def index(request: Request) -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


def web_routes() -> list[Route | Mount]:
    return [
        Route("/", index),
        Route("/video-types", video_types),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
