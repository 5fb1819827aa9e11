"""Serving a video's files read-only, with no way out of its folder.

A request names a video id and a relative path. Anything that could reach outside
`<data_dir>/<video_id>/` (`..`, absolute paths, backslashes, symlinks anywhere on the way)
gets a 404, the same answer as a file that does not exist, so nothing is revealed.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from .auth.http import visible_video
from .session import VIDEO_ID


def resolve_video_file(data_dir: Path, video_id: str, relative: str) -> Path | None:
    if not VIDEO_ID.fullmatch(video_id):
        return None
    return resolve_inside(data_dir / video_id, relative)


def resolve_inside(base: Path, relative: str) -> Path | None:
    """`base/relative` if it is a regular file reached without `..`, absolute paths or symlinks."""
    if not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative:
        return None
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    if base.is_symlink() or not base.is_dir():
        return None
    current = base
    for part in parts:
        current = current / part
        if current.is_symlink():
            return None
    if not current.is_file():
        return None
    # Belt and braces: whatever the checks above missed, the real path must stay inside.
    if not current.resolve().is_relative_to(base.resolve()):
        return None
    return current


def file_url(base_url: str, video_id: str, relative: str) -> str:
    return f"{base_url}/videos/{video_id}/files/{relative}"


async def serve_video_file(request: Request) -> Response:
    if isinstance(visible_video(request), Response):
        return JSONResponse({"error": "file not found"}, status_code=404)
    data_dir: Path = request.app.state.services.settings.data_dir
    path = resolve_video_file(
        data_dir, request.path_params["video_id"], request.path_params["path"]
    )
    if path is None:
        return JSONResponse({"error": "file not found"}, status_code=404)
    # Reviewers look at versions side by side: a file never changes once written.
    return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})
