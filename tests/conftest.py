from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from .helpers import Server, running_server
from .inprocess import Studio


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server for the tests that only need a well-configured service."""
    with running_server(tmp_path_factory.mktemp("server") / "data") as running:
        yield running


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    """The service in this process over instant fake stages, on a fresh data folder. (The render
    tests' modules define a `studio` of their own: a real server.)"""
    running = Studio(tmp_path / "data").start()
    yield running
    running.stop()


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
