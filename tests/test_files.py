"""A video's files are served read-only, and nothing outside its folder can be reached."""

from __future__ import annotations

import http.client
import os
from pathlib import Path

import pytest

from creator_service.files import resolve_video_file

from .helpers import Creator, Server

VIDEO_ID = "vid_0123456789ab"  # the placeholder in the paths below, replaced by a real video's id


@pytest.fixture(scope="module")
def video_id(server: Server) -> str:
    """A real session (its files are served only to those who may see it)."""
    with Creator(server.ws_url, server.token) as client:
        video_id = client.start("moa", {"drug_name": "Aspirin", "condition": "cardiovascular disease"})["video_id"]
        client.send({"action": "stop"})
    return str(video_id)


@pytest.fixture
def video_tree(server: Server, video_id: str) -> Path:
    video_dir = server.data_dir / video_id
    (video_dir / "render" / "v1").mkdir(parents=True, exist_ok=True)
    (video_dir / "render" / "v1" / "final.mp4").write_bytes(b"\x00" * 4096)
    secret = server.data_dir.parent / "secret.txt"
    secret.write_text("top secret")
    link = video_dir / "render" / "v1" / "escape.txt"
    if not link.is_symlink():
        os.symlink(secret, link)
    dir_link = video_dir / "outside"
    if not dir_link.is_symlink():
        os.symlink(server.data_dir.parent, dir_link)
    return video_dir


def raw_get(server: Server, path: str) -> tuple[int, bytes, dict[str, str]]:
    """A GET sent exactly as written: no client-side clean-up of '..' segments."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    connection.putheader("Authorization", f"Bearer {server.token}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    headers = {k.lower(): v for k, v in response.getheaders()}
    connection.close()
    return response.status, body, headers


def test_a_file_inside_the_video_folder_is_served(server: Server, video_tree: Path) -> None:
    status, body, headers = raw_get(server, f"/videos/{video_tree.name}/files/render/v1/final.mp4")
    assert status == 200 and len(body) == 4096
    assert headers["content-type"] == "video/mp4"


@pytest.mark.parametrize(
    "path",
    [
        f"/videos/{VIDEO_ID}/files/../../secret.txt",
        f"/videos/{VIDEO_ID}/files/render/../../secret.txt",
        f"/videos/{VIDEO_ID}/files/%2e%2e/%2e%2e/secret.txt",
        f"/videos/{VIDEO_ID}/files/render%2f..%2f..%2f..%2fsecret.txt",
        f"/videos/{VIDEO_ID}/files//etc/passwd",
        f"/videos/{VIDEO_ID}/files/%2fetc%2fpasswd",
        f"/videos/{VIDEO_ID}/files/render/v1/escape.txt",
        f"/videos/{VIDEO_ID}/files/outside/secret.txt",
        f"/videos/{VIDEO_ID}/files/render\\..\\..\\secret.txt",
        "/videos/..%2fsecret.txt/files/x",
        "/videos/vid_0123456789ab/files/render/v1/missing.mp4",
        "/videos/not-a-video-id/files/render/v1/final.mp4",
    ],
)
def test_escapes_and_missing_files_are_404(server: Server, video_tree: Path, path: str) -> None:
    status, body, _ = raw_get(server, path.replace(VIDEO_ID, video_tree.name))
    assert status == 404, (path, status, body[:80])
    assert b"top secret" not in body and b"root:" not in body


def test_range_requests_let_players_seek(server: Server, video_tree: Path) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", f"/videos/{video_tree.name}/files/render/v1/final.mp4",
                       headers={"Range": "bytes=100-199", **server.headers})
    response = connection.getresponse()
    assert response.status == 206 and len(response.read()) == 100
    assert response.getheader("content-range") == "bytes 100-199/4096"


def test_resolver_refuses_escapes_directly(tmp_path: Path) -> None:
    video = tmp_path / VIDEO_ID
    video.mkdir()
    (video / "ok.txt").write_text("ok")
    assert resolve_video_file(tmp_path, VIDEO_ID, "ok.txt") == video / "ok.txt"
    for bad in ("", "/ok.txt", "../ok.txt", "./ok.txt", "a//b", "ok.txt/..", "x\x00"):
        assert resolve_video_file(tmp_path, VIDEO_ID, bad) is None, bad
    assert resolve_video_file(tmp_path, "vid_../../etc", "ok.txt") is None
