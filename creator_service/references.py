"""References: the documents a video's claims are traced to (a label, a study, a leaflet).

`POST /assets/references` takes one document as the raw body: `text/plain`, `text/markdown` or
`application/pdf`. Its text is extracted (a PDF's text layer with pypdf; a scanned PDF has none
and is refused, since guessing its words would make every check built on them worthless), split
into sentences, and kept in the assets folder as `references/<id>.json` with the original file
beside it. A reference belongs to its uploader, as videos do; `references` in a brief names them.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import compliance
from .auth.access import Forbidden
from .auth.http import current_user, forbidden, require_global_role
from .files import resolve_inside
from .http_security import read_body

MAX_REFERENCE_BYTES = 10 * 1024 * 1024
MAX_TITLE = 120
REFERENCE_ID = re.compile(r"ref_[0-9a-f]{12}")
SUFFIXES = {"text/plain": ".txt", "text/markdown": ".md", "application/pdf": ".pdf"}


class Reference(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    owner: str
    title: str
    media_type: str
    sentences: list[str]
    created_at: str

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "sentences": self.sentences,
                "media_type": self.media_type, "created_at": self.created_at}

    @property
    def text(self) -> str:
        return "\n".join(self.sentences)


class ReferenceProblem(Exception):
    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status = status
        self.error = error


def media_type_of(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceProblem(422, f"the body is not UTF-8 text (byte {exc.start} cannot be read)") from None


_MARKDOWN = (
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE), ""),           # headings
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),                 # images: their alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),                  # links: their text
    (re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1"), r"\2"),   # emphasis and code
    (re.compile(r"^\s{0,3}>\s?", re.MULTILINE), ""),                # block quotes
    (re.compile(r"^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*$", re.MULTILINE), ""),  # table rules
)


def markdown_text(source: str) -> str:
    """Markdown as the plain sentences a reader sees (headings stay lines of their own)."""
    text = source
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return text.replace("|", " ")


def pdf_text(data: bytes) -> str:
    """A PDF's text layer, page by page; ReferenceProblem when it has none or cannot be read."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ReferenceProblem(422, "the PDF is encrypted; upload an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReferenceProblem(422, f"the body is not a PDF that can be read ({type(exc).__name__})") from None
    text = reflow("\n".join(pages))
    if len(re.findall(r"\w+", text)) < 3:
        raise ReferenceProblem(
            422, f"the PDF has no text layer ({len(pages)} page(s) of images, as a scan has): "
                 "its words cannot be checked; upload the document's text or a PDF made from it")
    return text


def reflow(text: str) -> str:
    """A PDF breaks lines where the page ends them, not where sentences end: a line that starts
    in lower case or with a figure continues the one before it."""
    return re.sub(r"(?<![.!?:])\n(?=[a-z0-9(])", " ", text)


def extract(data: bytes, media_type: str) -> str:
    if media_type == "application/pdf":
        return pdf_text(data)
    text = _decode(data)
    return markdown_text(text) if media_type == "text/markdown" else text


def title_of(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= MAX_TITLE else first[: MAX_TITLE - 1].rstrip() + "…"


@dataclass(frozen=True)
class ReferenceStore:
    """References in the assets folder: `references/<id>.json` and the original file."""

    assets_root: Path

    def get(self, reference_id: str) -> Reference | None:
        if not REFERENCE_ID.fullmatch(reference_id):
            return None
        path = resolve_inside(self.assets_root, f"references/{reference_id}.json")
        if path is None:
            return None
        return Reference.model_validate_json(path.read_text(encoding="utf-8"))

    def visible(self, reference_id: str, user: str, admin: bool) -> Reference | None:
        reference = self.get(reference_id)
        return reference if reference is not None and (admin or reference.owner == user) else None

    def many(self, reference_ids: list[str]) -> list[Reference]:
        """The brief's references in its order; FileNotFoundError for one removed since start."""
        found = []
        for reference_id in reference_ids:
            reference = self.get(reference_id)
            if reference is None:
                raise FileNotFoundError(f"the reference {reference_id!r} is no longer in the assets folder")
            found.append(reference)
        return found

    def list(self, user: str, admin: bool) -> list[Reference]:
        root = self.assets_root / "references"
        paths = sorted(root.glob("ref_*.json")) if root.is_dir() else []
        found = [self.get(path.stem) for path in paths]
        return [r for r in found if r is not None and (admin or r.owner == user)]

    def add(self, owner: str, data: bytes, media_type: str) -> Reference:
        text = extract(data, media_type)
        said = compliance.sentences(text)
        if not said:
            raise ReferenceProblem(422, "the document has no sentences to trace claims to")
        reference = Reference(
            id=f"ref_{secrets.token_hex(6)}", owner=owner, title=title_of(text), media_type=media_type,
            sentences=said, created_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        folder = self.assets_root / "references"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{reference.id}{SUFFIXES[media_type]}").write_bytes(data)
        # The JSON last: a reference is found only once its original is in place.
        partial = folder / f".{reference.id}.json.part"
        partial.write_text(json.dumps(reference.model_dump(mode="json"), indent=2), encoding="utf-8")
        partial.replace(folder / f"{reference.id}.json")
        return reference


async def _body(request: Request) -> bytes:
    data = await read_body(request, MAX_REFERENCE_BYTES)
    if data is None:
        raise ReferenceProblem(413, f"the reference is larger than {MAX_REFERENCE_BYTES:,} bytes")
    if not data:
        raise ReferenceProblem(422, "the body is empty: send the document itself")
    return data


async def upload_reference(request: Request) -> JSONResponse:
    """POST /assets/references: the document as the body; 201 {"id", "title", "sentences"}."""
    user = current_user(request)
    try:
        require_global_role(user, "uploading a reference")
    except Forbidden as exc:
        return forbidden(exc)
    media_type = media_type_of(request.headers.get("content-type", ""))
    if media_type not in SUFFIXES:
        return JSONResponse({"error": f"Content-Type must be one of {', '.join(SUFFIXES)}, "
                                      f"got {media_type or 'none'}"}, status_code=415)
    try:
        reference = ReferenceStore(request.app.state.services.settings.assets_root).add(
            user.name, await _body(request), media_type)
    except ReferenceProblem as exc:
        return JSONResponse({"error": exc.error}, status_code=exc.status)
    return JSONResponse(reference.public(), status_code=201)


async def list_references(request: Request) -> JSONResponse:
    user = current_user(request)
    found = ReferenceStore(request.app.state.services.settings.assets_root).list(user.name, user.role == "admin")
    return JSONResponse({"references": [r.public() for r in found]})
