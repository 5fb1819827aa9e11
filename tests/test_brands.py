"""Brand kits: uploaded as a form, each part checked for what it claims to be, owned by their
uploader, and named by briefs."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from creator_service.brands import BrandProblem, font_family, logo_suffix, parse_colour

from .helpers import Creator
from .inprocess import Studio

FONT = Path("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf")


def png(size: tuple[int, int] = (120, 48), colour: str = "#FF00FF") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def form(**overrides: Any) -> tuple[dict[str, str], dict[str, tuple[str, bytes, str]]]:
    fields = {"name": "Acme Pharma", "primary": "#1a73e8", "secondary": "#5F6368", "accent": "#fbbc04"}
    files = {"font": ("brand.ttf", FONT.read_bytes(), "font/ttf"), "logo": ("logo.png", png(), "image/png")}
    for key, value in overrides.items():
        if key in files:
            if value is None:
                del files[key]
            else:
                files[key] = value
        elif value is None:
            del fields[key]
        else:
            fields[key] = value
    return fields, files


def post(studio: Studio, token: str | None = None, **overrides: Any) -> httpx.Response:
    fields, files = form(**overrides)
    headers = {"Authorization": f"Bearer {token}"} if token else studio.headers
    return httpx.post(f"{studio.http}/brands", data=fields, files=files, headers=headers, timeout=10)


def test_a_kit_is_created_listed_and_belongs_to_its_uploader(studio: Studio) -> None:
    response = post(studio)
    assert response.status_code == 201, response.text
    kit = response.json()
    assert kit["id"].startswith("brand_") and kit["font_family"] == "Noto Serif"
    assert (kit["primary"], kit["secondary"], kit["accent"]) == ("#1A73E8", "#5F6368", "#FBBC04")
    assert kit["logo"].endswith(".png") and kit["font"].endswith(".ttf")
    listed = httpx.get(f"{studio.http}/brands", headers=studio.headers, timeout=10).json()["brands"]
    assert [k["id"] for k in listed] == [kit["id"]]
    # Another producer sees none of it, and cannot name it in a brief.
    other = studio.add_user("pat", "producer")
    assert httpx.get(f"{studio.http}/brands", headers={"Authorization": f"Bearer {other}"},
                     timeout=10).json()["brands"] == []
    mine = post(studio, other).json()
    with studio.connect() as admin:
        started = admin.start("social_media", {"drug_name": "Metformin", "indication": "type 2 diabetes",
                                               "brand": mine["id"]})
        assert started["status"] == "session_started"  # an admin may use anyone's kit
    with Creator(studio.ws_url, other) as client:
        client.send({"action": "start", "video_type": "social_media",
                     "payload": {"drug_name": "M", "indication": "D", "brand": kit["id"]}})
        error = client.next_event()
        assert error["code"] == "invalid_payload" and error["fields"][0]["field"] == "payload.brand"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"primary": "blue-ish"}, "primary"),
        ({"accent": "#12345"}, "accent"),
        ({"secondary": None}, "secondary"),
        ({"name": "  "}, "name"),
        ({"font": ("f.ttf", b"not a font at all", "font/ttf")}, "font"),
        # A PNG signature on bytes that are not a PNG: first-byte sniffing would accept it.
        ({"logo": ("l.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "image/png")}, "logo"),
        ({"logo": ("l.png", png()[:60], "image/png")}, "logo"),  # truncated
        ({"logo": ("l.gif", b"GIF89a" + b"\x00" * 40, "image/gif")}, "logo"),
        ({"logo": None}, "logo"),
    ],
)
def test_a_bad_part_is_422_naming_its_field(studio: Studio, overrides: dict[str, Any], field: str) -> None:
    response = post(studio, **overrides)
    assert response.status_code == 422, response.text
    assert response.json()["fields"][0]["field"] == field
    assert httpx.get(f"{studio.http}/brands", headers=studio.headers, timeout=10).json()["brands"] == []


def test_a_brief_naming_an_unknown_kit_is_refused_by_field(studio: Studio) -> None:
    with studio.connect() as client:
        client.send({"action": "start", "video_type": "moa",
                     "payload": {"drug_name": "A", "condition": "B", "brand": "brand_000000000000"}})
        error = client.next_event()
        assert error["code"] == "invalid_payload" and "payload.brand" in error["error"]
        client.send({"action": "start", "video_type": "moa",
                     "payload": {"drug_name": "A", "condition": "B", "brand": "../etc"}})
        assert client.next_event()["fields"][0]["field"] == "payload.brand"


def test_the_checks_themselves() -> None:
    assert parse_colour("primary", "#abc") == "#AABBCC"
    assert font_family(FONT.read_bytes()) == ("Noto Serif", ".ttf")
    assert logo_suffix(png()) == ".png"
    with pytest.raises(BrandProblem, match="too small"):
        logo_suffix(png((4, 4)))
    with pytest.raises(BrandProblem):
        font_family(b"OTTO" + b"\x00" * 100)
