"""Stopping a session mid-render ends its child processes within seconds; dropping the
connection does not: the session belongs to the server and goes on."""

from __future__ import annotations

import time
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosedOK

from .helpers import SOCIAL_BRIEF, Creator, Server, processes_mentioning, wait_for_render_processes

# A high-quality render runs long enough (tens of seconds) to be caught in the middle.
HIGH_QUALITY = {**SOCIAL_BRIEF, "quality": "high"}
CHILDREN_GONE_WITHIN = 5.0


def start_visuals(client: Creator) -> dict[str, Any]:
    """Start a video and wait until its visuals stage has render processes; its session_started."""
    started = client.start("social_media", HIGH_QUALITY)
    video_id = started["video_id"]
    client.advance_to("visuals")
    assert client.next_event()["stage"] == "visuals"
    wait_for_render_processes(video_id)
    return started


def wait_until_gone(video_id: str) -> float:
    started = time.monotonic()
    while processes_mentioning(video_id):
        if time.monotonic() - started > CHILDREN_GONE_WITHIN:
            pytest.fail(f"render processes still alive: {processes_mentioning(video_id)}")
        time.sleep(0.05)
    return time.monotonic() - started


def test_stop_mid_render_ends_the_render_processes(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        video_id = start_visuals(client)["video_id"]
        client.send({"action": "stop"})
        assert client.next_event() == {"status": "stopped", "video_id": video_id}
        with pytest.raises(ConnectionClosedOK):
            client.ws.recv(timeout=10)
        wait_until_gone(video_id)


def test_a_dropped_connection_leaves_the_render_running_until_a_resumed_client_stops_it(server: Server) -> None:
    client = Creator(server.ws_url, server.token)
    started = start_visuals(client)
    video_id = started["video_id"]
    client.ws.close()
    time.sleep(1.0)
    assert processes_mentioning(video_id), "dropping the connection cancelled the render"
    with Creator(server.ws_url, server.token) as again:
        again.send({"action": "resume", "video_id": video_id, "resume_token": started["resume_token"]})
        resumed = again.next_event()
        assert resumed["status"] == "session_resumed" and resumed["state"] == "running"
        assert again.next_event() == {"status": "stage_running", "stage": "visuals", "version": 1,
                                      "message": "Executing visuals..."}
        again.send({"action": "stop"})
        assert again.next_event() == {"status": "stopped", "video_id": video_id}
        wait_until_gone(video_id)
