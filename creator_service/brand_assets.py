"""Brand assets (logos): uploaded over HTTP or placed in the assets folder by an admin.

A brief names a logo by its path inside the assets folder (`logos/ab12cd34.png`), never by an
arbitrary server path; anything that would leave the folder is refused like a missing file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse

from .auth.access import Forbidden
from .auth.http import current_user, forbidden, require_global_role
from .brands import BrandStore
from .files import resolve_inside
from .http_security import read_body
from .payloads import Brief, FieldError
from .references import ReferenceStore

MAX_LOGO_BYTES = 5 * 1024 * 1024
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".webp": (b"RIFF",),
}


def image_suffix(data: bytes) -> str | None:
    for suffix, signatures in _SIGNATURES.items():
        if any(data.startswith(signature) for signature in signatures):
            if suffix == ".webp" and data[8:12] != b"WEBP":
                continue
            return suffix
    return None


def resolve_logo(assets_root: Path, logo: str) -> Path | None:
    path = resolve_inside(assets_root, logo)
    if path is None:
        return None
    with open(path, "rb") as handle:
        head = handle.read(16)
    return path if image_suffix(head) else None


def check_brief_assets(brief: Brief, assets_root: Path, user: str, admin: bool) -> list[FieldError]:
    """Field errors for assets a brief names that are not usable: a logo that is not an image
    in the assets folder, a brand kit or a reference that does not exist or is not the caller's."""
    problems = []
    logo = getattr(brief, "logo", None)
    if logo and resolve_logo(assets_root, logo) is None:
        problems.append(FieldError(
            field="payload.logo",
            error=f"no image {logo!r} in the assets folder; upload it with POST /assets/logos "
                  "and use the path it returns",
        ))
    if brief.brand and BrandStore(assets_root).visible(brief.brand, user, admin) is None:
        problems.append(FieldError(field="payload.brand",
                                   error=f"no brand kit {brief.brand!r} of yours; create one with POST /brands"))
    store = ReferenceStore(assets_root)
    for n, reference in enumerate(brief.references or []):
        if store.visible(reference, user, admin) is None:
            problems.append(FieldError(field=f"payload.references.{n}",
                                       error=f"no reference {reference!r} of yours; upload it with "
                                             "POST /assets/references"))
    return problems


async def upload_logo(request: Request) -> JSONResponse:
    """POST /assets/logos with the image as the body (PNG, JPEG or WebP, at most 5 MB)."""
    try:
        require_global_role(current_user(request), "uploading a logo")
    except Forbidden as exc:
        return forbidden(exc)
    data = await read_body(request, MAX_LOGO_BYTES)
    if data is None:
        return JSONResponse({"error": f"logo is larger than {MAX_LOGO_BYTES:,} bytes"}, status_code=413)
    suffix = image_suffix(bytes(data[:16]))
    if suffix is None:
        return JSONResponse({"error": "the body must be a PNG, JPEG or WebP image"}, status_code=415)
    assets_root: Path = request.app.state.services.settings.assets_root
    relative = f"logos/{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    target = assets_root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    return JSONResponse({"logo": relative, "bytes": len(data)}, status_code=201)
