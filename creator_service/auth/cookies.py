"""The studio's login cookie: the user's name, when it was issued and a fingerprint of their
token, signed with HMAC-SHA256 under a secret kept in the data folder. HttpOnly (no script reads
it), SameSite=Strict (no other site's page sends it), and it ends when the token is rotated or
revoked, or after `MAX_AGE` seconds."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

COOKIE = "creator_login"
MAX_AGE = 12 * 3600
SECRET_FILE = "cookie-secret"


def load_secret(data_dir: Path) -> bytes:
    """The signing secret, made once (mode 0600) on the first start."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def sign(secret: bytes, name: str, fingerprint: str, now: float | None = None) -> str:
    payload = f"{name}|{int(now or time.time())}|{fingerprint}"
    mac = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=") + "." + mac


def verify(secret: bytes, value: str, now: float | None = None) -> tuple[str, str] | None:
    """(user name, token fingerprint) if the cookie is ours, whole and fresh; else None."""
    encoded, _, mac = value.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    expected = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        return None
    name, issued, fingerprint = (payload.split("|") + ["", "", ""])[:3]
    if not issued.isdigit() or (now or time.time()) - int(issued) > MAX_AGE:
        return None
    return name, fingerprint
