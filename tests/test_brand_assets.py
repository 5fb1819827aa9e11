"""Logos: uploaded over HTTP, named by briefs only inside the assets folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from creator_service.client import EXAMPLE_PAYLOADS

from .helpers import Creator, Server


def png_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "l.png"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=64x32",
                    "-frames:v", "1", str(path)], check=True)
    return path.read_bytes()


def test_a_png_upload_returns_its_asset_path(server: Server, tmp_path: Path) -> None:
    data = png_bytes(tmp_path)
    response = httpx.post(f"{server.http}/assets/logos", content=data, timeout=10, headers=server.headers)
    assert response.status_code == 201
    logo = response.json()["logo"]
    assert logo.startswith("logos/") and logo.endswith(".png")
    # The same image uploaded twice is one asset.
    assert httpx.post(f"{server.http}/assets/logos", content=data, timeout=10, headers=server.headers).json()["logo"] == logo


def test_uploads_that_are_not_images_are_refused(server: Server) -> None:
    response = httpx.post(f"{server.http}/assets/logos", content=b"<svg onload=alert(1)>", timeout=10, headers=server.headers)
    assert response.status_code == 415 and "PNG, JPEG or WebP" in response.json()["error"]


def test_uploads_over_5_mb_are_refused(server: Server) -> None:
    response = httpx.post(f"{server.http}/assets/logos", content=b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024),
                          timeout=30, headers=server.headers)
    assert response.status_code == 413


def test_a_brief_naming_a_missing_logo_is_refused_at_start(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        client.send({"action": "start", "video_type": "doctor_ad",
                     "payload": {**EXAMPLE_PAYLOADS["doctor_ad"], "logo": "logos/nothere.png"}})
        error = client.recv()
        assert error["code"] == "invalid_payload"
        assert error["fields"][0]["field"] == "payload.logo" and "POST /assets/logos" in error["fields"][0]["error"]


def test_a_brief_cannot_name_a_server_path(server: Server) -> None:
    with Creator(server.ws_url, server.token) as client:
        for bad in ("/etc/passwd.png", "../../secret.png", "logos/../../x.png"):
            client.send({"action": "start", "video_type": "doctor_ad",
                         "payload": {**EXAMPLE_PAYLOADS["doctor_ad"], "logo": bad}})
            error = client.recv()
            assert error["code"] == "invalid_payload" and error["fields"][0]["field"] == "payload.logo", bad
