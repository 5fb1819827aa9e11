"""Users, their roles and their API tokens. Tokens are stored as SHA-256 hashes only: the token
itself is shown once, when it is made.

Roles: `admin` does everything and manages users; `producer` makes and runs videos; `reviewer`
sees, comments and approves, and has a discipline (medical, legal, regulatory, or any word);
`viewer` sees.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from ..store import SessionStore

logger = logging.getLogger(__name__)

Role = Literal["admin", "producer", "reviewer", "viewer"]
ROLES: tuple[str, ...] = get_args(Role)
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
TOKEN_PREFIX = "cs_"
ADMIN_TOKEN_FILE = "admin-token"


class UserError(ValueError):
    """A user could not be added or changed; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    full_name: str
    role: Role
    discipline: str | None
    # Shared with the user's webhook receivers: they check each body's HMAC with it.
    webhook_secret: str
    created_at: float
    revoked_at: float | None = None
    # A digest of the token's hash: the login cookie carries it, so a rotation ends old cookies.
    token_fingerprint: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def public(self) -> dict[str, object]:
        return {"user": self.name, "full_name": self.full_name, "role": self.role, "discipline": self.discipline}


@dataclass(frozen=True)
class Issued:
    user: User
    token: str


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class UserDirectory:
    """Users in the store's `users` table."""

    def __init__(self, store: SessionStore):
        self.store = store

    def add(self, name: str, full_name: str, role: str, discipline: str | None = None) -> Issued:
        if not NAME.fullmatch(name):
            raise UserError(f"user name {name!r} must be 1-64 lowercase letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if not full_name.strip():
            raise UserError("--full-name must not be empty")
        if role == "reviewer" and not discipline:
            raise UserError("a reviewer needs a --discipline (medical, legal, regulatory, or any word)")
        token = new_token()
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM users WHERE name=?", (name,)).fetchone():
                raise UserError(f"user {name!r} already exists")
            db.execute(
                "INSERT INTO users (name, full_name, role, discipline, token_hash, webhook_secret, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, full_name.strip(), role, discipline, hash_api_token(token), secrets.token_hex(32),
                 time.time()),
            )
        user = self.get(name)
        assert user is not None
        return Issued(user, token)

    def get(self, name: str) -> User | None:
        rows = self.store.query(f"SELECT {_USER_COLUMNS} FROM users WHERE name=?", (name,))
        return _user(rows[0]) if rows else None

    def list(self) -> list[User]:
        return [_user(row) for row in self.store.query(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]

    def count(self) -> int:
        return int(self.store.query("SELECT COUNT(*) FROM users")[0][0])

    def authenticate(self, token: str) -> User | None:
        """The active user whose token this is, or None. Compared by hash, in constant time."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_api_token(token)
        rows = self.store.query(f"SELECT {_USER_COLUMNS} FROM users WHERE token_hash=?", (digest,))
        if not rows or not hmac.compare_digest(str(rows[0][-1]), digest):
            return None
        user = _user(rows[0])
        return None if user.revoked_at is not None else user

    def revoke(self, name: str) -> None:
        with self.store.transaction() as db:
            if db.execute("UPDATE users SET revoked_at=? WHERE name=? AND revoked_at IS NULL",
                          (time.time(), name)).rowcount != 1:
                raise UserError(f"no active user {name!r}")

    def rotate(self, name: str) -> Issued:
        """A new token (and webhook secret); the old ones stop working at once."""
        token = new_token()
        with self.store.transaction() as db:
            if db.execute("UPDATE users SET token_hash=?, webhook_secret=?, revoked_at=NULL WHERE name=?",
                          (hash_api_token(token), secrets.token_hex(32), name)).rowcount != 1:
                raise UserError(f"no user {name!r}")
        user = self.get(name)
        assert user is not None
        return Issued(user, token)

    def ensure_first_admin(self, data_dir: Path) -> Path | None:
        """On a first start with no users: an admin, its token in `data_dir/admin-token` (0600).
        Returns the file's path if one was made. The token itself is never logged."""
        if self.count():
            return None
        issued = self.add("admin", "Administrator", "admin")
        path = data_dir / ADMIN_TOKEN_FILE
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(issued.token + "\n")
        os.chmod(path, 0o600)
        return path


_USER_COLUMNS = "name, full_name, role, discipline, webhook_secret, created_at, revoked_at, token_hash"


def _user(row: tuple[object, ...]) -> User:
    name, full_name, role, discipline, secret, created_at, revoked_at, token_hash = row
    return User(str(name), str(full_name), role, discipline, str(secret), float(created_at),  # type: ignore[arg-type]
                float(revoked_at) if revoked_at is not None else None,
                hashlib.sha256(str(token_hash).encode()).hexdigest()[:16])
