"""Brand kits: a name, three colours, a font and a logo, uploaded once and named by any brief.

`POST /brands` takes a multipart form (name, primary, secondary, accent, font, logo). Each part
is checked for what it claims to be: the colours parse as colours, the font is read with
fontTools (its family name comes from its own name table), the logo is decoded with Pillow in
full, not judged by its first bytes. A bad part is a 422 naming the field. A kit is kept in the
assets folder (`brands/<id>/`: `brand.json`, the font, the logo) and belongs to its uploader;
`GET /brands` lists the caller's kits (an admin sees all).

How a kit is used: its colours replace the palette's primary, secondary (the muted text) and
accent, in Manim, Remotion and the captions; its font is registered with Pango for Manim, loaded
by Remotion as a web font and handed to libass for burned captions; its logo sits in the corner
of every scene, as doctor_ad's logo does.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from .auth.access import Forbidden
from .auth.http import current_user, forbidden, require_global_role
from .files import resolve_inside

MAX_BRAND_BYTES = 12 * 1024 * 1024
MAX_NAME = 80
BRAND_ID = re.compile(r"brand_[0-9a-f]{12}")
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
LOGO_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}


class BrandKit(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    owner: str
    primary: str
    secondary: str
    accent: str
    font_family: str
    # Paths inside the assets folder.
    font: str
    logo: str
    created_at: str

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class BrandProblem(Exception):
    def __init__(self, field: str, error: str):
        super().__init__(f"{field}: {error}")
        self.field = field
        self.error = error


def parse_colour(field: str, value: str) -> str:
    """'#1A2B3C', '1a2b3c' or '#abc' as '#1A2B3C'."""
    match = _HEX.fullmatch(value.strip())
    if match is None:
        raise BrandProblem(field, f"must be a colour such as '#1A73E8', got {value.strip()[:40]!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits.upper()}"


def font_family(data: bytes) -> tuple[str, str]:
    """(family name, file suffix) of a TrueType or OpenType font; BrandProblem if it is not one."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(io.BytesIO(data), lazy=False)
        names = font["name"]
        family = names.getDebugName(16) or names.getDebugName(1)
        cmap = font.getBestCmap() or {}
        suffix = ".otf" if "CFF " in font or "CFF2" in font else ".ttf"
    except (TTLibError, KeyError, AssertionError, ValueError, TypeError, IndexError, struct.error) as exc:
        raise BrandProblem("font", f"is not a TrueType or OpenType font that can be read ({type(exc).__name__})") from exc
    if not family:
        raise BrandProblem("font", "has no family name in its name table")
    if not all(ord(letter) in cmap for letter in "AZaz09"):
        raise BrandProblem("font", "has no glyphs for Latin letters and digits")
    return family.strip(), suffix


def logo_suffix(data: bytes) -> str:
    """The logo's file suffix after decoding it in full with Pillow; BrandProblem if it is not
    a PNG, JPEG or WebP image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.load()
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BrandProblem("logo", f"is not an image that can be read ({type(exc).__name__})") from exc
    if kind not in LOGO_FORMATS:
        raise BrandProblem("logo", f"must be PNG, JPEG or WebP, got {kind}")
    if width < 16 or height < 16:
        raise BrandProblem("logo", f"is too small ({width}x{height}); at least 16x16 pixels")
    return LOGO_FORMATS[kind]


@dataclass(frozen=True)
class BrandStore:
    """Kits in the assets folder, one folder each."""

    assets_root: Path

    def folder(self, brand_id: str) -> Path:
        return self.assets_root / "brands" / brand_id

    def get(self, brand_id: str) -> BrandKit | None:
        if not BRAND_ID.fullmatch(brand_id):
            return None
        path = resolve_inside(self.assets_root, f"brands/{brand_id}/brand.json")
        if path is None:
            return None
        return BrandKit.model_validate_json(path.read_text(encoding="utf-8"))

    def font_of(self, brand_id: str | None) -> tuple[str, Path] | None:
        """(family, file) of a kit's font; None without a kit. StageFailure-worthy gaps (a kit
        or file removed since the brief was accepted) raise FileNotFoundError."""
        if not brand_id:
            return None
        kit = self.get(brand_id)
        path = resolve_inside(self.assets_root, kit.font) if kit else None
        if kit is None or path is None:
            raise FileNotFoundError(f"the brand kit {brand_id!r} or its font is no longer in the assets folder")
        return kit.font_family, path.resolve()

    def renderer_font(self, brand_id: str | None) -> dict[str, str] | None:
        """{"family", "path"} of a kit's font, as renderers take it (None: DejaVu Sans)."""
        font = self.font_of(brand_id)
        return {"family": font[0], "path": str(font[1])} if font else None

    def visible(self, brand_id: str, user: str, admin: bool) -> BrandKit | None:
        kit = self.get(brand_id)
        return kit if kit is not None and (admin or kit.owner == user) else None

    def list(self, user: str, admin: bool) -> list[BrandKit]:
        root = self.assets_root / "brands"
        kits = [self.get(path.name) for path in sorted(root.iterdir())] if root.is_dir() else []
        return [kit for kit in kits if kit is not None and (admin or kit.owner == user)]

    def add(self, owner: str, name: str, colours: dict[str, str], font: bytes, logo: bytes) -> BrandKit:
        family, font_suffix = font_family(font)
        logo_ext = logo_suffix(logo)
        brand_id = f"brand_{secrets.token_hex(6)}"
        folder = self.folder(brand_id)
        folder.mkdir(parents=True)
        (folder / f"font{font_suffix}").write_bytes(font)
        (folder / f"logo{logo_ext}").write_bytes(logo)
        kit = BrandKit(
            id=brand_id, name=name, owner=owner, font_family=family,
            font=f"brands/{brand_id}/font{font_suffix}", logo=f"brands/{brand_id}/logo{logo_ext}",
            created_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), **colours,
        )
        # brand.json last: a kit is listed only once all its files are in place.
        partial = folder / "brand.json.part"
        partial.write_text(json.dumps(kit.public(), indent=2), encoding="utf-8")
        partial.replace(folder / "brand.json")
        return kit


def brand_palette(base: dict[str, str], kit: BrandKit) -> dict[str, str]:
    """A palette with the kit's colours: primary and accent as they are, secondary as the
    muted text; the background, text and warning colours stay the palette's own."""
    return {**base, "primary": kit.primary, "accent": kit.accent, "muted": kit.secondary}


def remotion_font(font: dict[str, str] | None) -> dict[str, str] | None:
    """The font for a Remotion composition: its family and the file as a data URL, so the
    bundle needs no file server (Chromium loads it as a web font before the frame renders)."""
    if font is None:
        return None
    path = Path(font["path"])
    kind = "font/otf" if path.suffix == ".otf" else "font/ttf"
    return {"family": font["family"], "url": f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"}


def _problem(field: str, error: str) -> JSONResponse:
    return JSONResponse({"error": f"{field} {error}", "fields": [{"field": field, "error": error}]}, status_code=422)


async def _file(form: Any, field: str) -> bytes:
    part = form.get(field)
    if not isinstance(part, UploadFile):
        raise BrandProblem(field, "is required, as a file part of the form")
    data = await part.read()
    if not data:
        raise BrandProblem(field, "is empty")
    return bytes(data)


async def create_brand(request: Request) -> JSONResponse:
    """POST /brands (multipart/form-data): name, primary, secondary, accent, font, logo."""
    user = current_user(request)
    try:
        require_global_role(user, "creating a brand kit")
    except Forbidden as exc:
        return forbidden(exc)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BRAND_BYTES:
        return JSONResponse({"error": f"the form is larger than {MAX_BRAND_BYTES:,} bytes"}, status_code=413)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return JSONResponse({"error": "POST /brands takes multipart/form-data"}, status_code=415)
    try:
        async with request.form(max_files=2, max_fields=8, max_part_size=MAX_BRAND_BYTES) as form:
            name = form.get("name")
            if not isinstance(name, str) or not name.strip():
                raise BrandProblem("name", "is required")
            if len(name.strip()) > MAX_NAME:
                raise BrandProblem("name", f"must be at most {MAX_NAME} characters")
            colours = {}
            for field in ("primary", "secondary", "accent"):
                value = form.get(field)
                if not isinstance(value, str):
                    raise BrandProblem(field, "is required, as a colour such as '#1A73E8'")
                colours[field] = parse_colour(field, value)
            font, logo = await _file(form, "font"), await _file(form, "logo")
            kit = BrandStore(request.app.state.services.settings.assets_root).add(
                user.name, name.strip(), colours, font, logo)
    except BrandProblem as exc:
        return _problem(exc.field, exc.error)
    except HTTPException as exc:  # the multipart parser's (too many parts, a part too large, bad boundary)
        return JSONResponse({"error": f"the form could not be read: {exc.detail}"}, status_code=exc.status_code)
    return JSONResponse(kit.public(), status_code=201)


async def list_brands(request: Request) -> JSONResponse:
    user = current_user(request)
    kits = BrandStore(request.app.state.services.settings.assets_root).list(user.name, user.role == "admin")
    return JSONResponse({"brands": [kit.public() for kit in kits]})
