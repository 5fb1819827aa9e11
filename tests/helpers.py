"""Shared test helpers: a real uvicorn server on a free loopback port, and a real WebSocket client."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from creator_service.client import EXAMPLE_PAYLOADS
from creator_service.devserver import REPO, Server, running_server

__all__ = ["REPO", "Server", "running_server"]


class Creator:
    """A WebSocket client speaking the Creator Mode protocol, with timeouts on every read."""

    def __init__(self, url: str, token: str | None = None, **headers: str) -> None:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._connection = connect(url, max_size=2**22, open_timeout=10, additional_headers=headers)
        self.ws: ClientConnection = self._connection.__enter__()
        self.progress_seen: list[dict[str, Any]] = []
        self.presence_seen: list[dict[str, Any]] = []

    def __enter__(self) -> "Creator":
        return self

    def __exit__(self, *exc: object) -> None:
        self._connection.__exit__(None, None, None)

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def send_raw(self, data: str | bytes) -> None:
        self.ws.send(data)

    def recv(self, timeout: float = 30) -> dict[str, Any]:
        return json.loads(self.ws.recv(timeout=timeout))

    def next_event(self, timeout: float = 120) -> dict[str, Any]:
        """The next event that is not a progress report or a presence update (those are kept in
        progress_seen and presence_seen)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.recv(timeout=max(0.1, deadline - time.monotonic()))
            if event.get("status") == "stage_progress":
                self.progress_seen.append(event)
                continue
            if event.get("status") == "presence":
                self.presence_seen.append(event)
                continue
            return event

    def next_refusal(self, timeout: float = 10) -> dict[str, Any]:
        """The next protocol error (not a stage error), past whatever the session says meanwhile."""
        while True:
            event = self.next_event(timeout)
            if event["status"] == "error" and "stage" not in event:
                return event

    def start(self, video_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.send({"action": "start", "video_type": video_type, "payload": payload})
        started = self.next_event()
        assert started["status"] == "session_started", started
        self.stage_order: list[str] = started["stage_order"]
        return started

    def wait_completed(self, stage: str, timeout: float = 180) -> dict[str, Any]:
        running = self.next_event(timeout)
        assert running["status"] == "stage_running" and running["stage"] == stage, running
        done = self.next_event(timeout)
        assert done.get("status") == "completed" and done["stage"] == stage, done
        return done

    def accept(self) -> None:
        self.send({"action": "accept"})

    def advance_to(self, stage: str, timeout: float = 300) -> dict[str, dict[str, Any]]:
        """Accept every stage before `stage` as it completes; `stage` runs next."""
        completed = {}
        for earlier in self.stage_order[: self.stage_order.index(stage)]:
            completed[earlier] = self.wait_completed(earlier, timeout=timeout)
            self.accept()
        return completed


# The spec's client's own social_media example (already at low quality: fast to render).
SOCIAL_BRIEF: dict[str, Any] = dict(EXAMPLE_PAYLOADS["social_media"])


def processes_mentioning(marker: str) -> list[int]:
    """PIDs working for `marker` (a video id): our children carry it in their command line, or,
    for a warm Manim worker handed its jobs, in the folder it works in."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            cwd = ""
        if marker in cmdline or marker in cwd:
            found.append(int(entry.name))
    return found


def wait_for_render_processes(video_id: str, timeout: float = 30) -> None:
    """Until a child process working for `video_id` runs (a render has really begun)."""
    deadline = time.monotonic() + timeout
    while not processes_mentioning(video_id):
        assert time.monotonic() < deadline, f"no render process for {video_id} started"
        time.sleep(0.1)


def ffprobe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout)
