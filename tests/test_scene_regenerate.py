"""One scene at a time, on real renders: only the chosen scenes are redone; every other scene of
the new version is byte for byte the previous version's (the very file: no rendering)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from .helpers import SOCIAL_BRIEF, Creator, Server, assert_broadcast_loudness, ffprobe

pytestmark = pytest.mark.render


def local(server: Server, url: str) -> Path:
    video_id, relative = url.split("/videos/", 1)[1].split("/files/", 1)
    return server.data_dir / video_id / relative


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def regenerate_scene(client: Creator, stage: str, scene: int, feedback: str) -> dict[str, Any]:
    client.send({"action": "regenerate", "scenes": [scene], "feedback": feedback})
    return client.wait_completed(stage, timeout=300)


def test_regenerating_one_scene_keeps_every_other_scene_byte_for_byte(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        client.start("social_media", SOCIAL_BRIEF)
        client.advance_to("script")
        first = client.wait_completed("script")["data"]["script"]["scenes"]
        second = regenerate_scene(client, "script", 2, "shorter")["data"]["script"]["scenes"]
        assert [s for i, s in enumerate(second) if i != 2] == [s for i, s in enumerate(first) if i != 2]
        assert second[2]["text"] != first[2]["text"]  # "shorter" applied to scene 2 only
        client.accept()

        v1 = client.wait_completed("visuals", timeout=300)["data"]["clips"]
        v2 = regenerate_scene(client, "visuals", 2, "make it pop")["data"]["clips"]
        for before, after in zip(v1, v2):
            if after["scene_index"] == 2:
                assert "/visuals/v2/" in after["url"]  # made again
            else:
                assert after["url"] == before["url"]  # the very file: nothing rendered
                assert digest(local(server, after["url"])) == digest(local(server, before["url"]))
                assert digest(local(server, after["thumbnail_url"])) == digest(local(server, before["thumbnail_url"]))
        assert local(server, v2[2]["url"]).is_file()
        client.accept()

        t1 = client.wait_completed("tts", timeout=300)["data"]["tracks"]
        t2 = regenerate_scene(client, "tts", 0, "slower")["data"]["tracks"]
        assert [t["url"] for t in t2[1:]] == [t["url"] for t in t1[1:]]
        assert "/tts/v2/" in t2[0]["url"] and t2[0]["duration"] > t1[0]["duration"]  # slower, scene 0 only
        client.accept()

        client.wait_completed("render", timeout=300)
        client.accept()
        done = client.next_event(timeout=60)
        assert done["status"] == "pipeline_complete"
        streams = {s["codec_type"] for s in ffprobe(Path(done["video_path"]))["streams"]}
        assert streams == {"video", "audio"}
        assert_broadcast_loudness(Path(done["video_path"]))
