"""Stock footage and photos from Pexels, over its HTTP API with `httpx`.

Videos are searched first (orientation from the frame's aspect ratio), then photos; the file
that best covers the output size is downloaded once into a cache shared by all sessions, and
the search itself is remembered, so a second scene asking the same thing costs no request. The
photographer and the page URL are kept for attribution. Failures (timeouts, 401/403, 429 after
bounded retries that respect Retry-After, 5xx, answers that are not Pexels' JSON) raise
`MediaFailure`: the visuals stage turns that into a stage error the reviewer can retry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from ..models import MediaCredit
from ..processes import CancelToken, ProcessSlots
from ..settings import PexelsSettings
from .assets import MediaAsset, MediaRequest

logger = logging.getLogger(__name__)

LICENSE = "Pexels License (free to use; attribution appreciated)"
MAX_RETRY_WAIT = 20.0
RESULTS_PER_SEARCH = 5


class MediaFailure(Exception):
    """The stock media service failed; the message is for the reviewer."""


def best_video_file(video: dict[str, Any], width: int, height: int) -> dict[str, Any] | None:
    """The smallest MP4 that still covers the frame, else the largest there is."""
    files = [f for f in video.get("video_files", []) if f.get("file_type") == "video/mp4" and f.get("link")]
    if not files:
        return None
    covering = [f for f in files if (f.get("width") or 0) >= width and (f.get("height") or 0) >= height]
    if covering:
        return min(covering, key=lambda f: (f.get("width") or 0) * (f.get("height") or 0))
    return max(files, key=lambda f: (f.get("width") or 0) * (f.get("height") or 0))


def best_photo_source(photo: dict[str, Any], width: int) -> str | None:
    sources = photo.get("src", {})
    # large2x is about 1880 px wide: enough below 1080p; beyond that, the original.
    order = ("large2x", "original") if width <= 1280 else ("original", "large2x")
    return next((sources[name] for name in order if sources.get(name)), None)


class PexelsSource:
    name = "pexels"

    def __init__(self, settings: PexelsSettings, cache_dir: Path, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self._cache_dir = cache_dir
        self._client = httpx.Client(
            base_url=settings.base_url,
            headers={"Authorization": settings.api_key, "User-Agent": "CreatorStudio/0.1"},
            timeout=settings.timeout,
            transport=transport,
            follow_redirects=True,
        )

    def find(self, request: MediaRequest, *, cancel: CancelToken, slots: ProcessSlots) -> MediaAsset | None:
        fmt = request.fmt
        orientation = "portrait" if fmt.height > fmt.width else "landscape"
        key = hashlib.sha256(f"{request.query.lower()}|{orientation}|{fmt.width}".encode()).hexdigest()[:20]
        remembered = self._cache_dir / "searches" / f"{key}.json"
        if remembered.exists():
            cached = json.loads(remembered.read_text(encoding="utf-8"))
            path = Path(cached["path"])
            if path.exists():
                return MediaAsset(path=path, kind=cached["kind"], credit=MediaCredit(**cached["credit"]))
        asset = self._search_videos(request.query, orientation, fmt.width, fmt.height, cancel) or \
            self._search_photos(request.query, orientation, fmt.width, cancel)
        if asset is not None:
            remembered.parent.mkdir(parents=True, exist_ok=True)
            remembered.write_text(json.dumps({"path": str(asset.path), "kind": asset.kind,
                                              "credit": asset.credit.model_dump(mode="json")}))
        return asset

    # ---- searching -------------------------------------------------------------------------

    def _search_videos(self, query: str, orientation: str, width: int, height: int, cancel: CancelToken) -> MediaAsset | None:
        answer = self._get_json("/videos/search", {"query": query, "orientation": orientation,
                                                  "per_page": RESULTS_PER_SEARCH}, cancel)
        for video in _list(answer, "videos"):
            chosen = best_video_file(video, width, height)
            if chosen is None:
                continue
            path = self._download(chosen["link"], f"video-{video.get('id')}-{chosen.get('id')}.mp4", cancel)
            user = video.get("user") or {}
            return MediaAsset(path=path, kind="video", credit=MediaCredit(
                kind="pexels", description=f"Pexels video {video.get('id')} for {query!r}",
                author=user.get("name"), url=video.get("url") or user.get("url"), license=LICENSE,
            ))
        return None

    def _search_photos(self, query: str, orientation: str, width: int, cancel: CancelToken) -> MediaAsset | None:
        answer = self._get_json("/v1/search", {"query": query, "orientation": orientation,
                                              "per_page": RESULTS_PER_SEARCH}, cancel)
        for photo in _list(answer, "photos"):
            source = best_photo_source(photo, width)
            if source is None:
                continue
            suffix = ".png" if source.lower().split("?")[0].endswith(".png") else ".jpg"
            path = self._download(source, f"photo-{photo.get('id')}{suffix}", cancel)
            return MediaAsset(path=path, kind="photo", credit=MediaCredit(
                kind="pexels", description=f"Pexels photo {photo.get('id')} for {query!r}",
                author=photo.get("photographer"), url=photo.get("url") or photo.get("photographer_url"),
                license=LICENSE,
            ))
        return None

    # ---- HTTP, with bounded retries ----------------------------------------------------------

    def _request(
        self, method: str, url: str, cancel: CancelToken, save_to: Path | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One request, retried as Pexels asks; with `save_to`, the body streams to that file."""
        attempt = 0
        while True:
            cancel.raise_if_cancelled()
            try:
                response = self._client.send(self._client.build_request(method, url, **kwargs), stream=True)
                try:
                    if response.status_code < 400 and save_to is not None:
                        with open(save_to, "wb") as handle:
                            for chunk in response.iter_bytes(1 << 20):
                                handle.write(chunk)
                                cancel.raise_if_cancelled()
                    else:
                        response.read()
                finally:
                    response.close()
            except httpx.TimeoutException as exc:
                error: Exception = exc
                wait: float | None = 1.0
                message = f"Pexels timeout: no answer within {self.settings.timeout:.0f} s"
            except httpx.HTTPError as exc:
                raise MediaFailure(f"could not reach Pexels at {self.settings.base_url}: {exc}") from exc
            else:
                if response.status_code < 400:
                    return response
                error, wait, message = RuntimeError(response.status_code), _retry_wait(response), _describe(response)
            if wait is None or attempt >= self.settings.max_retries or wait > MAX_RETRY_WAIT:
                logger.warning("Pexels failed: %s", message)
                raise MediaFailure(message) from error
            attempt += 1
            logger.info("Pexels: retry %d in %.1f s (%s)", attempt, wait, message)
            if cancel.wait(wait):
                cancel.raise_if_cancelled()

    def _get_json(self, path: str, params: dict[str, Any], cancel: CancelToken) -> dict[str, Any]:
        response = self._request("GET", path, cancel, params=params)
        try:
            answer = response.json()
        except ValueError as exc:
            raise MediaFailure("Pexels answered with something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise MediaFailure("Pexels answered with JSON that is not a search result")
        return answer

    def _download(self, url: str, name: str, cancel: CancelToken) -> Path:
        target = self._cache_dir / "files" / name
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        # Sessions downloading the same file at once each write their own part; the last wins.
        partial = target.with_name(f".{name}.{uuid.uuid4().hex}.part")
        started = time.monotonic()
        try:
            self._request("GET", url, cancel, save_to=partial)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        logger.info("downloaded %s (%d bytes) in %.1f s", name, target.stat().st_size, time.monotonic() - started)
        return target


def _list(answer: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = answer.get(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MediaFailure(f"Pexels answered with a malformed '{key}' list")
    return items


def _retry_wait(response: httpx.Response) -> float | None:
    """How long Pexels asks us to wait, or None when retrying cannot help."""
    if response.status_code == 429 or response.status_code >= 500:
        retry_after = response.headers.get("retry-after")
        if retry_after and retry_after.replace(".", "", 1).isdigit():
            return float(retry_after)
        reset = response.headers.get("x-ratelimit-reset")
        if reset and reset.isdigit():
            return max(0.0, float(reset) - time.time())
        return 1.0
    return None


def _describe(response: httpx.Response) -> str:
    status = response.status_code
    if status in (401, 403):
        return f"Pexels rejected the API key ({status}): check PEXELS_API_KEY"
    if status == 429:
        return "Pexels rate limit (429): the hourly or monthly request quota is used up; regenerate later"
    if status >= 500:
        return f"Pexels server error ({status})"
    return f"Pexels answered {status} for {response.request.url.path}"
