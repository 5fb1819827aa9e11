"""Team review: comments on the exact moment, approvals that are signatures, and the approval
policy that gates `accept`.

A comment stays with the stage version it was made on. An approval is a signature in the sense
21 CFR Part 11 §11.50 describes: the signer's full and user name, their discipline, the meaning of
the decision, the UTC time, and the SHA-256 of what was signed (the stage output and its files).
We claim no compliance; see the README. Every comment, resolution and signature is appended to
the audit chain in the same transaction as its row.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from .models import StageOutput
from .session import CreatorSession
from .store import SessionStore, append_audit

Decision = Literal["approved", "approved_with_changes", "rejected"]
MEANINGS: dict[str, str] = {
    "approved": "I approve this version for release as it is.",
    "approved_with_changes": "I approve this version on condition that the changes in my note are made.",
    "rejected": "I reject this version; it must not be released.",
}
COMMENT_LIMIT = 4000


class ReviewError(ValueError):
    """A comment or approval that cannot be taken; `field` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def utc(at: float) -> str:
    return datetime.fromtimestamp(at, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def content_sha256(output: StageOutput, video_dir: Path) -> str:
    """What a signature covers: the output as stored, and every file it names, byte for byte."""
    digest = hashlib.sha256(output.model_dump_json().encode())
    for relative in sorted(_paths(output.model_dump(mode="json"))):
        path = video_dir / relative
        if path.is_file():
            digest.update(relative.encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _paths(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_paths(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_paths(v) for v in value)) if value else set()
    if isinstance(value, str) and "/" in value and not value.startswith(("/", "http")) and ".." not in value:
        return {value}
    return set()


class Review:
    def __init__(self, store: SessionStore):
        self.store = store

    # ---- comments -----------------------------------------------------------------------

    def comment(self, session: CreatorSession, author: str, stage: str, version: int, text: str,
                scene: int | None, at: float | None, reply_to: str | None) -> dict[str, Any]:
        if stage not in session.stage_order:
            raise ReviewError("stage", f"must be one of this video's stages: {', '.join(session.stage_order)}")
        made = {a.version for a in session.versions_of(stage) if a.status == "completed"}
        if version not in made:
            raise ReviewError("version", f"{stage} has no completed version {version}"
                                         f" (it has {', '.join(map(str, sorted(made))) or 'none'})")
        text = text.strip()
        if not text or len(text) > COMMENT_LIMIT:
            raise ReviewError("text", f"must be 1 to {COMMENT_LIMIT:,} characters")
        plan = session.accepted.get("scenes") or session.stage_outputs.get("scenes")
        count = len(getattr(plan, "scenes", []))
        if scene is not None and not 0 <= scene < count:
            raise ReviewError("scene", f"scene {scene} is out of range: this video has {count} scenes")
        if at is not None and not 0 <= at <= 24 * 3600:
            raise ReviewError("at", "must be seconds into the clip, audio or video, from 0")
        if reply_to is not None and not self.store.query(
                "SELECT 1 FROM comments WHERE id=? AND video_id=?", (reply_to, session.video_id)):
            raise ReviewError("reply_to", f"no comment {reply_to!r} on this video")
        comment = {"id": f"cmt_{secrets.token_hex(6)}", "author": author, "stage": stage, "version": version,
                   "scene": scene, "at": at, "text": text, "reply_to": reply_to, "created_at": utc(time.time())}
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO comments (id, video_id, author, stage, version, scene, at_seconds, text, reply_to,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (comment["id"], session.video_id, author, stage, version, scene, at, text, reply_to, time.time()),
            )
            append_audit(db, session.video_id, author, "comment", comment)
        return comment

    def resolve(self, video_id: str, comment_id: str, by: str) -> dict[str, Any]:
        with self.store.transaction() as db:
            changed = db.execute(
                "UPDATE comments SET resolved_by=?, resolved_at=? WHERE id=? AND video_id=? AND resolved_by IS NULL",
                (by, time.time(), comment_id, video_id)).rowcount
            if not changed:
                raise ReviewError("comment_id", f"no open comment {comment_id!r} on this video")
            append_audit(db, video_id, by, "resolve", {"comment_id": comment_id})
        return {"id": comment_id, "resolved_by": by}

    def comments(self, video_id: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT id, author, stage, version, scene, at_seconds, text, reply_to, created_at, resolved_by, resolved_at"
            " FROM comments WHERE video_id=? ORDER BY created_at", (video_id,))
        return [{"id": i, "author": a, "stage": s, "version": v, "scene": sc, "at": at, "text": t, "reply_to": r,
                 "created_at": utc(c), "resolved": rb is not None, "resolved_by": rb}
                for i, a, s, v, sc, at, t, r, c, rb, _ in rows]

    # ---- approvals ----------------------------------------------------------------------

    def sign(self, session: CreatorSession, user: Any, decision: str, note: str | None) -> dict[str, Any]:
        stage = session.current_stage
        version = session.output_versions.get(stage)
        output = session.stage_outputs.get(stage)
        if version is None or output is None:
            raise ReviewError("decision", f"stage {stage!r} has no version to sign")
        signed_at = time.time()
        signature = {
            "id": f"apr_{secrets.token_hex(6)}", "video_id": session.video_id, "stage": stage, "version": version,
            "user": user.name, "full_name": user.full_name, "discipline": user.discipline, "decision": decision,
            "meaning": MEANINGS[decision], "note": note, "signed_at": utc(signed_at),
            "sha256": content_sha256(output, session.video_dir),
        }
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO approvals (id, video_id, stage, version, signer, full_name, discipline, decision, meaning,"
                " note, sha256, signed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (signature["id"], session.video_id, stage, version, user.name, user.full_name, user.discipline,
                 decision, signature["meaning"], note, signature["sha256"], signed_at),
            )
            append_audit(db, session.video_id, user.name, "approval", signature, signed_at)
        return signature

    def signatures(self, video_id: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT id, stage, version, signer, full_name, discipline, decision, meaning, note, sha256, signed_at"
            " FROM approvals WHERE video_id=? ORDER BY signed_at", (video_id,))
        return [{"id": i, "video_id": video_id, "stage": s, "version": v, "user": u, "full_name": f, "discipline": d,
                 "decision": dec, "meaning": m, "note": n, "sha256": h, "signed_at": utc(t)}
                for i, s, v, u, f, d, dec, m, n, h, t in rows]

    def gate(self, session: CreatorSession, stage: str, version: int) -> tuple[list[str], list[dict[str, Any]]]:
        """(disciplines still missing, rejections) for this version under the session's policy."""
        required = session.approvals.get(stage, [])
        signed = [s for s in self.signatures(session.video_id) if s["stage"] == stage and s["version"] == version]
        rejections = [s for s in signed if s["decision"] == "rejected"]
        approved = {s["discipline"] for s in signed if s["decision"] != "rejected"}
        return [d for d in required if d not in approved], rejections


def load_policy(path: Path | None) -> dict[str, dict[str, list[str]]]:
    """CREATOR_APPROVAL_POLICY: {video_type: {stage: [disciplines]}}."""
    if path is None:
        return {}
    policy = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(policy, dict):
        raise ValueError(f"{path} must hold a JSON object of video type -> stage -> disciplines")
    return policy
