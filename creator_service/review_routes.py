"""What a review team reads over HTTP: comments, the audit trail, and the review package, the one
ZIP a team attaches to its MLR submission."""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import audit
from .auth.http import visible_video
from .models import FinalVideo, Script, Visuals
from .review import Review
from .store import SessionRecord, SessionStore


def _store(request: Request) -> SessionStore:
    return request.app.state.store  # type: ignore[no-any-return]


async def list_comments(request: Request) -> Response:
    record = visible_video(request)
    if isinstance(record, Response):
        return record
    return JSONResponse({"video_id": record.video_id, "comments": Review(_store(request)).comments(record.video_id)})


async def audit_trail(request: Request) -> Response:
    record = visible_video(request)
    if isinstance(record, Response):
        return record
    store = _store(request)
    if request.query_params.get("format") == "csv":
        return PlainTextResponse(audit.as_csv(store, record.video_id), media_type="text/csv",
                                 headers={"Content-Disposition": f'attachment; filename="{record.video_id}-audit.csv"'})
    verdict = audit.verify(store, record.video_id)
    return JSONResponse({"video_id": record.video_id, "intact": verdict.intact, "broken_at": verdict.broken_at,
                         "entries": audit.as_json(store, record.video_id)})


async def review_package(request: Request) -> Response:
    record = visible_video(request)
    if isinstance(record, Response):
        return record
    data_dir: Path = request.app.state.services.settings.data_dir
    path = await anyio.to_thread.run_sync(build_package, _store(request), record, data_dir)
    return FileResponse(path, media_type="application/zip", filename=f"{record.video_id}-review-package.zip")


def build_package(store: SessionStore, record: SessionRecord, data_dir: Path) -> Path:
    """The package, written under the video's folder: the final MP4, a still and the accepted
    narration per scene, captions, sources and licences, every approval and comment, the audit
    trail, and a manifest with the SHA-256 of every file in it."""
    video_dir = data_dir / record.video_id
    accepted = {a.stage: a.output for a in store.attempts(record.video_id)
                if a.output is not None and record.accepted.get(a.stage) == a.version}
    files: dict[str, bytes | Path] = {}
    final = accepted.get("render")
    if isinstance(final, FinalVideo):
        files[f"{record.video_id}.mp4"] = video_dir / final.path
        for caption in sorted((video_dir / final.path).parent.glob("*")):
            if caption.suffix in (".vtt", ".srt", ".ass"):
                files[f"captions/{caption.name}"] = caption
    visuals = accepted.get("visuals")
    sources: list[dict[str, Any]] = []
    if isinstance(visuals, Visuals):
        for clip in visuals.clips:
            still = video_dir / clip.thumbnail
            if still.is_file():
                files[f"stills/scene_{clip.scene_index + 1:02d}{still.suffix}"] = still
            sources += [{"scene": clip.scene_index, **s.model_dump(mode="json")} for s in clip.sources]
    script = accepted.get("script")
    if isinstance(script, Script):
        files["script.txt"] = "\n\n".join(f"Scene {s.scene_index + 1}: {s.title}\n{s.text}" for s in script.scenes
                                          ).encode()
        files["script.json"] = script.model_dump_json(indent=2).encode()
    review = Review(store)
    files["sources.json"] = json.dumps(sources, indent=2).encode()
    files["approvals.json"] = json.dumps(review.signatures(record.video_id), indent=2).encode()
    files["comments.json"] = json.dumps(review.comments(record.video_id), indent=2).encode()
    files["audit.json"] = json.dumps(audit.as_json(store, record.video_id), indent=2).encode()
    files["audit.csv"] = audit.as_csv(store, record.video_id).encode()
    manifest = {
        "video_id": record.video_id, "video_type": record.video_type, "state": record.state,
        "brief": record.payload, "accepted_versions": record.accepted, "made_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                               time.gmtime()),
        "audit_intact": audit.verify(store, record.video_id).intact,
        "files": {name: hashlib.sha256(content if isinstance(content, bytes) else content.read_bytes()).hexdigest()
                  for name, content in files.items()},
    }
    target = video_dir / "review-package" / f"package-{time.strftime('%Y%m%d-%H%M%S')}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2))
        for name, content in files.items():
            if isinstance(content, bytes):
                package.writestr(name, content)
            else:
                # The MP4 is already compressed: stored as it is.
                package.write(content, name, compress_type=zipfile.ZIP_STORED if content.suffix == ".mp4" else None)
    return target


def review_routes() -> list[Route]:
    return [
        Route("/videos/{video_id}/comments", list_comments, methods=["GET"]),
        Route("/videos/{video_id}/audit", audit_trail, methods=["GET"]),
        Route("/videos/{video_id}/review-package", review_package, methods=["GET"]),
    ]
