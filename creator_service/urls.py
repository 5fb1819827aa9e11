"""Every public URL the service hands out, built in one place.

The base is `CREATOR_PUBLIC_URL` when set (a proxy or a load balancer knows the outside name),
otherwise the scheme and Host of the request being answered. It is never the address the server
binds to: behind a proxy, or on a port chosen at start, that name means nothing to the client.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection


def request_base_url(public_url: str, connection: HTTPConnection) -> str:
    """The base URL for answers to this request or WebSocket."""
    if public_url:
        return public_url.rstrip("/")
    scheme = {"ws": "http", "wss": "https"}.get(connection.url.scheme, connection.url.scheme)
    return f"{scheme}://{connection.url.netloc}"


class PublicUrls:
    """The URLs of one video's resources, under one base."""

    def __init__(self, base_url: str, video_id: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.video_id = video_id

    def file(self, relative: str) -> str:
        return f"{self.base_url}/videos/{self.video_id}/files/{relative}"

    @property
    def status(self) -> str:
        return f"{self.base_url}/videos/{self.video_id}"

    @property
    def video(self) -> str:
        return f"{self.base_url}/videos/{self.video_id}/video"
