"""Finding out who a request is from: a Bearer token (programs), or the studio's login cookie."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from . import cookies
from .access import Access
from .limits import UserQuotas
from .users import User, UserDirectory


@dataclass(frozen=True)
class Identity:
    users: UserDirectory
    access: Access
    quotas: UserQuotas
    cookie_secret: bytes
    # CREATOR_AUTH=off: everyone is this user (the first admin); for local development only.
    everyone: User | None = None

    def from_token(self, token: str) -> User | None:
        return self.users.authenticate(token.strip())

    def from_cookie(self, value: str) -> User | None:
        verified = cookies.verify(self.cookie_secret, value)
        if verified is None:
            return None
        name, fingerprint = verified
        user = self.users.get(name)
        if user is None or user.revoked_at is not None or user.token_fingerprint != fingerprint:
            return None  # revoked, or the token was rotated since the login
        return user

    def from_connection(self, connection: HTTPConnection) -> User | None:
        """The user behind this request or WebSocket handshake, if it says who it is."""
        if self.everyone is not None:
            return self.everyone
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token:
            return self.from_token(token)
        cookie = connection.cookies.get(cookies.COOKIE)
        return self.from_cookie(cookie) if cookie else None

    def login_cookie(self, user: User) -> str:
        return cookies.sign(self.cookie_secret, user.name, user.token_fingerprint)
