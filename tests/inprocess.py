"""The service in this process: real uvicorn, real store and socket, fake stages (instant)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from creator_service.app import create_app
from creator_service.devserver import ThreadedServer

from .fake_stages import FakeStages, fake_settings
from .helpers import Creator


class Studio:
    """The service in this process (real uvicorn, real store) over fake stages; restartable."""

    def __init__(self, data_dir: Path, real_stages: frozenset[str] = frozenset(), **settings: Any) -> None:
        self.data_dir = data_dir
        self.fakes = FakeStages()
        self.real_stages = real_stages
        self.settings = settings
        self.server: ThreadedServer | None = None

    def start(self) -> "Studio":
        self.app = create_app(fake_settings(self.data_dir, **self.settings), self.fakes.registry(self.real_stages))
        self.server = ThreadedServer(self.app).start()
        self.server.use_admin_token(self.data_dir)
        return self

    def restart(self) -> None:
        assert self.server is not None
        self.server.stop()
        self.start()

    @property
    def ws_url(self) -> str:
        assert self.server is not None
        return self.server.ws_url

    @property
    def http(self) -> str:
        assert self.server is not None
        return self.server.http

    @property
    def headers(self) -> dict[str, str]:
        assert self.server is not None
        return self.server.headers

    @property
    def token(self) -> str | None:
        assert self.server is not None
        return self.server.token

    def connect(self) -> Creator:
        return Creator(self.ws_url, self.token)

    def stop(self) -> None:
        self.fakes.release_all()
        assert self.server is not None
        self.server.stop()

    def add_user(self, name: str, role: str, discipline: str | None = None) -> str:
        """A user in this server's store; their API token."""
        return str(self.app.state.identity.users.add(name, name.title(), role, discipline).token)
