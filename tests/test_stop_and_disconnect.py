"""Stopping or dropping a session mid-render ends its child processes within seconds."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosedOK

from .helpers import SOCIAL_BRIEF, Creator, Server, processes_mentioning

# A high-quality render runs long enough (tens of seconds) to be caught in the middle.
HIGH_QUALITY = {**SOCIAL_BRIEF, "quality": "high"}
CHILDREN_GONE_WITHIN = 5.0


def start_visuals(client: Creator) -> str:
    video_id = client.start("social_media", HIGH_QUALITY)["video_id"]
    client.advance_to("visuals")
    assert client.next_event()["stage"] == "visuals"
    deadline = time.monotonic() + 30
    while not processes_mentioning(video_id):
        assert time.monotonic() < deadline, "the visuals stage started no render process"
        time.sleep(0.1)
    return video_id


def wait_until_gone(video_id: str) -> float:
    started = time.monotonic()
    while processes_mentioning(video_id):
        if time.monotonic() - started > CHILDREN_GONE_WITHIN:
            pytest.fail(f"render processes still alive: {processes_mentioning(video_id)}")
        time.sleep(0.05)
    return time.monotonic() - started


def test_stop_mid_render_ends_the_render_processes(server: Server) -> None:
    with Creator(server.ws_url) as client:
        video_id = start_visuals(client)
        client.send({"action": "stop"})
        assert client.next_event() == {"status": "stopped", "video_id": video_id}
        with pytest.raises(ConnectionClosedOK):
            client.ws.recv(timeout=10)
        wait_until_gone(video_id)


def test_dropped_connection_mid_render_ends_the_render_processes(server: Server) -> None:
    client = Creator(server.ws_url)
    video_id = start_visuals(client)
    client.ws.close()
    wait_until_gone(video_id)
    # And the server is still well: a new session starts at once.
    with Creator(server.ws_url) as again:
        assert again.start("social_media", SOCIAL_BRIEF)["status"] == "session_started"
