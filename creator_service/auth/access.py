"""Who may see and run which video: the owner, the members it is shared with, and admins.

A video belongs to the user who made it. Its owner or an admin shares it with others as
`producer` (runs it: accept, regenerate, stop, …), `reviewer` (sees, comments, approves) or
`viewer` (sees). A video someone may not see does not exist for them (404), so ids cannot be
probed; an action their role does not allow is refused naming the role it needs (403).
"""

from __future__ import annotations

import time
from typing import Literal, Protocol, get_args

from ..store import SessionStore
from .users import User

MemberRole = Literal["producer", "reviewer", "viewer"]
MEMBER_ROLES: tuple[str, ...] = get_args(MemberRole)
# What someone is on one video: admin (anyone with that role), its owner, or a member's role.
VideoRole = Literal["admin", "owner", "producer", "reviewer", "viewer"]
RUNS_VIDEOS: tuple[str, ...] = ("admin", "owner", "producer")


class Owned(Protocol):
    """A stored record or a live session: anything that says which video and whose."""

    @property
    def video_id(self) -> str: ...

    @property
    def owner(self) -> str | None: ...


class Forbidden(Exception):
    """The user may see the video, but their role does not allow this action."""

    def __init__(self, action: str, needs: str, has: str):
        super().__init__(f"{action} needs the {needs} role; you are {_article(has)} {has}")
        self.needs = needs


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"


class Access:
    def __init__(self, store: SessionStore):
        self.store = store

    def role_on(self, user: User, record: Owned) -> VideoRole | None:
        """The user's role on this video; None if they may not see it."""
        if user.is_admin:
            return "admin"
        if record.owner == user.name:
            return "owner"
        rows = self.store.query("SELECT role FROM members WHERE video_id=? AND user=?", (record.video_id, user.name))
        return rows[0][0] if rows else None  # type: ignore[no-any-return]

    def require_runner(self, user: User, record: Owned, action: str) -> None:
        role = self.role_on(user, record)
        if role not in RUNS_VIDEOS:
            raise Forbidden(action, "producer", role or user.role)

    def require_reviewer(self, user: User, record: Owned, action: str) -> None:
        """Signing is a reviewer's (or an admin's): the producers who run a video do not approve it."""
        role = self.role_on(user, record)
        if role not in ("admin", "reviewer"):
            raise Forbidden(action, "reviewer", role or user.role)

    def require_commenter(self, user: User, record: Owned, action: str) -> None:
        role = self.role_on(user, record)
        if role not in ("admin", "owner", "producer", "reviewer"):
            raise Forbidden(action, "reviewer", role or user.role)

    def may_share(self, user: User, record: Owned) -> bool:
        return user.is_admin or record.owner == user.name

    # ---- members -----------------------------------------------------------------------

    def members(self, video_id: str) -> list[dict[str, object]]:
        rows = self.store.query(
            "SELECT m.user, u.full_name, m.role, u.discipline, m.added_by, m.added_at FROM members m"
            " JOIN users u ON u.name = m.user WHERE m.video_id=? ORDER BY m.added_at", (video_id,))
        return [dict(zip(("user", "full_name", "role", "discipline", "added_by", "added_at"), row)) for row in rows]

    def add_member(self, video_id: str, user: str, role: str, added_by: str) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO members (video_id, user, role, added_by, added_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (video_id, user) DO UPDATE SET role=excluded.role, added_by=excluded.added_by",
                (video_id, user, role, added_by, time.time()),
            )

    def remove_member(self, video_id: str, user: str) -> bool:
        with self.store.transaction() as db:
            return db.execute("DELETE FROM members WHERE video_id=? AND user=?", (video_id, user)).rowcount == 1
