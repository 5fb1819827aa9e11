"""The durable store: every session, every stage attempt and every decision, in SQLite.

One file under the data folder, nothing to install or start. Each change the engine makes is
one transaction (the session's row, the attempt it touched and the decision that caused it), so
a crash, even `kill -9`, leaves the old state or the new one, never half of each. The journal is
WAL with `synchronous=NORMAL`: a killed server loses nothing that was committed; only a power cut
can lose the last moments.

The schema carries a version (`PRAGMA user_version`). `MIGRATIONS` upgrades a data folder made by
any earlier release in place, in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

from .models import Animations, FinalVideo, ScenePlan, Script, StageOutput, Visuals, Voiceover
from .session import AttemptStatus, CreatorSession, Mode, StageAttempt

OUTPUT_TYPES: dict[str, type[StageOutput]] = {
    model.__name__: model for model in (ScenePlan, Script, Visuals, Animations, Voiceover, FinalVideo)
}

# Where a session is. The first four are the engine's own states; the rest are how it ended.
State = Literal[
    "queued", "running", "awaiting_review", "error", "complete", "stopped", "expired", "failed", "cancelled"
]
UNFINISHED: tuple[str, ...] = ("queued", "running", "awaiting_review", "error")
FINISHED: tuple[str, ...] = ("complete", "stopped", "expired", "failed", "cancelled")

DecisionAction = Literal["start", "accept", "regenerate", "stop", "auto", "cancel", "expire", "skip", "goto",
                         "choose", "fork", "branch"]

SCHEMA_VERSION = 3


@dataclass(frozen=True)
class SessionRecord:
    video_id: str
    video_type: str
    mode: Mode
    payload: dict[str, Any]
    stage_order: list[str]
    stage_index: int
    state: str
    accepted: dict[str, int]
    feedback: str | None
    error: str | None
    resume_token_hash: str | None
    auto_accept: bool
    callback_url: str | None
    base_url: str | None
    created_at: float
    updated_at: float
    last_seen_at: float
    owner: str | None
    skipped: list[str]
    approvals: dict[str, list[str]]

    @property
    def current_stage(self) -> str | None:
        if self.state == "complete" or self.stage_index >= len(self.stage_order):
            return None
        return self.stage_order[self.stage_index]


@dataclass(frozen=True)
class Decision:
    action: DecisionAction
    stage: str | None
    version: int | None
    feedback: str | None = None
    # The user who decided; None for the server's own decisions (expiry, the automatic policy).
    actor: str | None = None


# ---- schema and migrations -----------------------------------------------------------------

# The first release's schema (automated jobs only), kept as it was so that migrations from it
# are tested against the real thing.
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS jobs (
    video_id      TEXT PRIMARY KEY,
    video_type    TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,
    current_stage TEXT,
    stage_index   INTEGER NOT NULL DEFAULT 0,
    versions      TEXT NOT NULL DEFAULT '{}',
    error         TEXT,
    callback_url  TEXT,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (created_at DESC);
CREATE TABLE IF NOT EXISTS stage_outputs (
    video_id    TEXT NOT NULL REFERENCES jobs (video_id),
    stage       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    output_type TEXT NOT NULL,
    output      TEXT NOT NULL,
    finished_at REAL NOT NULL,
    PRIMARY KEY (video_id, stage)
);
"""

SCHEMA_V2 = """
CREATE TABLE sessions (
    video_id          TEXT PRIMARY KEY,
    video_type        TEXT NOT NULL,
    mode              TEXT NOT NULL CHECK (mode IN ('creator', 'auto')),
    payload           TEXT NOT NULL,
    stage_order       TEXT NOT NULL,
    stage_index       INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL,
    accepted          TEXT NOT NULL DEFAULT '{}',
    feedback          TEXT,
    error             TEXT,
    resume_token_hash TEXT,
    auto_accept       INTEGER NOT NULL DEFAULT 0,
    callback_url      TEXT,
    base_url          TEXT,
    created_at        REAL NOT NULL,
    updated_at        REAL NOT NULL,
    last_seen_at      REAL NOT NULL
);
CREATE INDEX sessions_by_age ON sessions (created_at DESC);
CREATE INDEX sessions_by_state ON sessions (state);
CREATE TABLE attempts (
    video_id    TEXT NOT NULL REFERENCES sessions (video_id),
    stage       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    feedback    TEXT,
    status      TEXT NOT NULL,
    error       TEXT,
    output_type TEXT,
    output      TEXT,
    started_at  REAL NOT NULL,
    finished_at REAL,
    PRIMARY KEY (video_id, stage, version)
);
CREATE TABLE decisions (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id TEXT NOT NULL REFERENCES sessions (video_id),
    action   TEXT NOT NULL,
    stage    TEXT,
    version  INTEGER,
    feedback TEXT,
    at       REAL NOT NULL
);
CREATE INDEX decisions_by_video ON decisions (video_id, id);
"""

# The first release had one fixed stage order per engine; a migration must not depend on
# today's registry, which may change.
V1_STAGE_ORDERS = {
    "manim": ["scenes", "script", "visuals", "tts", "render"],
    "remotion": ["scenes", "script", "visuals", "animations", "tts", "render"],
}
V1_ENGINES = {"product_ad": "remotion", "compliance_video": "remotion", "moa": "manim", "doctor_ad": "manim",
              "social_media": "manim"}


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # Statement by statement: executescript() would COMMIT first and break the migration's
    # single transaction.
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        # A trigger's body holds semicolons of its own: run a statement once it is whole.
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                db.execute(pending)
            pending = ""


def _create_v1(db: sqlite3.Connection) -> None:
    _run_script(db, SCHEMA_V1)


def _v1_to_v2(db: sqlite3.Connection) -> None:
    """Jobs become sessions of mode 'auto'; each stored output an accepted, completed attempt."""
    _run_script(db, SCHEMA_V2)
    jobs = db.execute(
        "SELECT video_id, video_type, payload, status, current_stage, stage_index, versions, error,"
        " callback_url, created_at, updated_at FROM jobs"
    ).fetchall()
    for (video_id, video_type, payload, status, _current, stage_index, versions, error, callback_url,
         created_at, updated_at) in jobs:
        outputs = {
            stage: (version, kind, output, finished_at)
            for stage, version, kind, output, finished_at in db.execute(
                "SELECT stage, version, output_type, output, finished_at FROM stage_outputs WHERE video_id=?",
                (video_id,),
            )
        }
        order = V1_STAGE_ORDERS[V1_ENGINES.get(video_type, "manim")]
        db.execute(
            "INSERT INTO sessions (video_id, video_type, mode, payload, stage_order, stage_index, state, accepted,"
            " error, auto_accept, callback_url, created_at, updated_at, last_seen_at)"
            " VALUES (?, ?, 'auto', ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            (video_id, video_type, payload, json.dumps(order), stage_index, status,
             json.dumps({stage: row[0] for stage, row in outputs.items()}), error, callback_url,
             created_at, updated_at, updated_at),
        )
        started: dict[str, int] = json.loads(versions)
        for stage in order:
            stored = outputs.get(stage)
            last = max(started.get(stage, 0), stored[0] if stored else 0)
            for version in range(1, last + 1):
                if stored and stored[0] == version:
                    db.execute(
                        "INSERT INTO attempts VALUES (?, ?, ?, NULL, 'completed', NULL, ?, ?, ?, ?)",
                        (video_id, stage, version, stored[1], stored[2], stored[3], stored[3]),
                    )
                else:  # started and never finished: the old release kept nothing of it
                    db.execute(
                        "INSERT INTO attempts VALUES (?, ?, ?, NULL, 'cancelled', NULL, NULL, NULL, ?, ?)",
                        (video_id, stage, version, updated_at, updated_at),
                    )
    db.execute("DROP TABLE stage_outputs")
    db.execute("DROP TABLE jobs")


SCHEMA_V3 = """
CREATE TABLE users (
    name           TEXT PRIMARY KEY,
    full_name      TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'producer', 'reviewer', 'viewer')),
    discipline     TEXT,
    token_hash     TEXT NOT NULL UNIQUE,
    webhook_secret TEXT NOT NULL,
    created_at     REAL NOT NULL,
    revoked_at     REAL
);
CREATE TABLE members (
    video_id TEXT NOT NULL REFERENCES sessions (video_id),
    user     TEXT NOT NULL REFERENCES users (name),
    role     TEXT NOT NULL CHECK (role IN ('producer', 'reviewer', 'viewer')),
    added_by TEXT NOT NULL,
    added_at REAL NOT NULL,
    PRIMARY KEY (video_id, user)
);
CREATE INDEX members_by_user ON members (user);
CREATE TABLE deliveries (
    delivery_id TEXT PRIMARY KEY,
    video_id    TEXT NOT NULL,
    owner       TEXT,
    url         TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     REAL NOT NULL,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);
ALTER TABLE sessions ADD COLUMN owner TEXT;
ALTER TABLE decisions ADD COLUMN actor TEXT;
ALTER TABLE attempts ADD COLUMN inputs TEXT;
ALTER TABLE attempts ADD COLUMN scenes TEXT;
ALTER TABLE sessions ADD COLUMN skipped TEXT NOT NULL DEFAULT '[]';
CREATE INDEX sessions_by_owner ON sessions (owner, created_at DESC);
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    video_id  TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    at        REAL NOT NULL,
    actor     TEXT,
    event     TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    UNIQUE (video_id, seq)
);
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE comments (
    id          TEXT PRIMARY KEY,
    video_id    TEXT NOT NULL,
    author      TEXT NOT NULL,
    stage       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    scene       INTEGER,
    at_seconds  REAL,
    text        TEXT NOT NULL,
    reply_to    TEXT,
    created_at  REAL NOT NULL,
    resolved_by TEXT,
    resolved_at REAL
);
CREATE INDEX comments_by_video ON comments (video_id, created_at);
CREATE TABLE approvals (
    id         TEXT PRIMARY KEY,
    video_id   TEXT NOT NULL,
    stage      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    signer     TEXT NOT NULL,
    full_name  TEXT NOT NULL,
    discipline TEXT,
    decision   TEXT NOT NULL,
    meaning    TEXT NOT NULL,
    note       TEXT,
    sha256     TEXT NOT NULL,
    signed_at  REAL NOT NULL
);
CREATE INDEX approvals_by_version ON approvals (video_id, stage, version);
ALTER TABLE sessions ADD COLUMN approvals TEXT NOT NULL DEFAULT '{}'
"""


def _v2_to_v3(db: sqlite3.Connection) -> None:
    """Users, and who may see which video. Videos made before there were users have no owner:
    only admins see them."""
    _run_script(db, SCHEMA_V3)


# Version N is reached from N - 1 by MIGRATIONS[N].
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _create_v1, 2: _v1_to_v2, 3: _v2_to_v3}


def _current_version(db: sqlite3.Connection) -> int:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version == 0 and db.execute("SELECT 1 FROM sqlite_master WHERE name='jobs'").fetchone():
        return 1  # the first release set no version
    return version


# ---- the store ----------------------------------------------------------------------------


class SessionStore:
    """All reads and writes of sessions. Safe to call from any thread (one connection, locked)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._closed = False
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._db.close()

    def transaction(self) -> "_Transaction":
        """`with store.transaction() as db:` one transaction, for modules that own their tables'
        queries (users, members); the schema and its migrations stay here."""
        return _Transaction(self._db, self._lock)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return _current_version(self._db)

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        with self.transaction() as db:
            current = _current_version(db)
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema version {current}, newer than this release's {SCHEMA_VERSION}"
                )
            for version in range(current + 1, target + 1):
                MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version={max(current, target)}")

    # ---- writes ---------------------------------------------------------------------------

    def save(self, session: CreatorSession, state: str, *, attempt: StageAttempt | None = None,
             decision: Decision | None = None, error: str | None = None) -> None:
        """The session as it is now, the attempt that changed and the decision that changed it,
        in one transaction."""
        now = time.time()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sessions (video_id, video_type, mode, payload, stage_order, stage_index, state,"
                " accepted, feedback, error, resume_token_hash, auto_accept, callback_url, base_url, created_at,"
                " updated_at, last_seen_at, owner, skipped, approvals)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (video_id) DO UPDATE SET stage_index=excluded.stage_index, skipped=excluded.skipped,"
                " state=excluded.state, accepted=excluded.accepted, feedback=excluded.feedback,"
                " error=excluded.error, auto_accept=excluded.auto_accept, updated_at=excluded.updated_at",
                (session.video_id, session.video_type, session.mode,
                 session.payload.model_dump_json(exclude_none=True), json.dumps(session.stage_order),
                 session.stage_index, state, json.dumps(session.accepted_versions), session.user_feedback, error,
                 session.resume_token_hash, int(session.auto_accept), session.callback_url, session.base_url,
                 session.created_at, now, now, session.owner, json.dumps(session.skipped),
                 json.dumps(session.approvals)),
            )
            if attempt is not None:
                output = attempt.output
                append_audit(db, session.video_id, None, f"attempt_{attempt.status}", {
                    "stage": attempt.stage, "version": attempt.version, "feedback": attempt.feedback,
                    "scenes": attempt.scenes, "error": attempt.error,
                    "output_sha256": hashlib.sha256(output.model_dump_json().encode()).hexdigest() if output else None,
                }, now)
                db.execute(
                    "INSERT OR REPLACE INTO attempts (video_id, stage, version, feedback, status, error, output_type,"
                    " output, started_at, finished_at, inputs, scenes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (session.video_id, attempt.stage, attempt.version, attempt.feedback, attempt.status,
                     attempt.error, type(output).__name__ if output is not None else None,
                     output.model_dump_json() if output is not None else None,
                     attempt.started_at, attempt.finished_at, attempt.inputs,
                     json.dumps(attempt.scenes) if attempt.scenes is not None else None),
                )
            if decision is not None:
                _insert_decision(db, session.video_id, decision, now)

    def set_state(self, video_id: str, state: str, *, error: str | None = None,
                  only_from: tuple[str, ...] = UNFINISHED, decision: Decision | None = None) -> bool:
        """Move a session to `state` if it is in one of `only_from`; False if it was not."""
        now = time.time()
        with self.transaction() as db:
            placeholders = ", ".join("?" for _ in only_from)
            cursor = db.execute(
                f"UPDATE sessions SET state=?, error=?, updated_at=? WHERE video_id=? AND state IN ({placeholders})",
                (state, error, now, video_id, *only_from),
            )
            changed = cursor.rowcount == 1
            if changed and decision is not None:
                _insert_decision(db, video_id, decision, now)
            return changed

    def audit(self, video_id: str, actor: str | None, event: str, detail: dict[str, Any]) -> None:
        """An audit entry for an event that changes no other row (someone joined)."""
        with self.transaction() as db:
            append_audit(db, video_id, actor, event, detail)

    def touch(self, video_id: str) -> None:
        """Someone attached to or left the session: its idle clock starts again."""
        if self._closed:
            return  # a connection closing after the server stopped: no clock is running
        with self.transaction() as db:
            db.execute("UPDATE sessions SET last_seen_at=? WHERE video_id=?", (time.time(), video_id))

    def mark_interrupted(self, video_id: str) -> None:
        """Attempts a dead server left 'running' end as cancelled: their children died with it."""
        with self.transaction() as db:
            db.execute(
                "UPDATE attempts SET status='cancelled', finished_at=? WHERE video_id=? AND status='running'",
                (time.time(), video_id),
            )

    # ---- reads ----------------------------------------------------------------------------

    def get(self, video_id: str) -> SessionRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM sessions WHERE video_id=?", (video_id,)).fetchone()
        return _record(row) if row else None

    def page(self, limit: int, offset: int, visible_to: str | None = None) -> tuple[list[SessionRecord], int]:
        """Newest first; with `visible_to`, only that user's own videos and those shared with them."""
        where, params = "", ()
        if visible_to is not None:
            where = " WHERE owner=? OR video_id IN (SELECT video_id FROM members WHERE user=?)"
            params = (visible_to, visible_to)
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM sessions{where} ORDER BY created_at DESC, video_id LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
            total = self._db.execute(f"SELECT COUNT(*) FROM sessions{where}", params).fetchone()[0]
        return [_record(row) for row in rows], int(total)

    def count_owned(self, owner: str, *, since: float = 0.0, states: tuple[str, ...] | None = None,
                    excluding: str | None = None) -> int:
        """How many of `owner`'s videos were made since `since` (and are in `states`): for rate limits."""
        sql = "SELECT COUNT(*) FROM sessions WHERE owner=? AND created_at >= ? AND video_id != ?"
        params: tuple[Any, ...] = (owner, since, excluding or "")
        if states is not None:
            sql += f" AND state IN ({', '.join('?' for _ in states)})"
            params += states
        with self._lock:
            return int(self._db.execute(sql, params).fetchone()[0])

    def unfinished(self) -> list[SessionRecord]:
        placeholders = ", ".join("?" for _ in UNFINISHED)
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM sessions WHERE state IN ({placeholders}) ORDER BY created_at", UNFINISHED
            ).fetchall()
        return [_record(row) for row in rows]

    def idle_since(self, cutoff: float) -> list[str]:
        """Creator sessions, not finished, that nobody has attached to since `cutoff`."""
        placeholders = ", ".join("?" for _ in UNFINISHED)
        with self._lock:
            rows = self._db.execute(
                f"SELECT video_id FROM sessions WHERE mode='creator' AND last_seen_at < ?"
                f" AND state IN ({placeholders})", (cutoff, *UNFINISHED),
            ).fetchall()
        return [row[0] for row in rows]

    def attempts(self, video_id: str) -> list[StageAttempt]:
        with self._lock:
            rows = self._db.execute(
                "SELECT stage, version, feedback, status, error, output_type, output, started_at, finished_at, inputs,"
                " scenes"
                " FROM attempts WHERE video_id=? ORDER BY started_at, stage, version", (video_id,),
            ).fetchall()
        return [_attempt(row) for row in rows]

    def decisions(self, video_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT action, stage, version, feedback, actor, at FROM decisions WHERE video_id=? ORDER BY id",
                (video_id,),
            ).fetchall()
        return [dict(zip(("action", "stage", "version", "feedback", "actor", "at"), row)) for row in rows]


def _insert_decision(db: sqlite3.Connection, video_id: str, decision: Decision, at: float) -> None:
    db.execute(
        "INSERT INTO decisions (video_id, action, stage, version, feedback, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (video_id, decision.action, decision.stage, decision.version, decision.feedback, decision.actor, at),
    )
    append_audit(db, video_id, decision.actor, decision.action,
                 {"stage": decision.stage, "version": decision.version, "feedback": decision.feedback}, at)


GENESIS = "0" * 64


def audit_hash(video_id: str, seq: int, at: float, actor: str | None, event: str, detail: str, prev: str) -> str:
    """The hash an audit entry carries: of its own fields and the hash of the entry before it."""
    canonical = json.dumps([video_id, seq, round(at, 6), actor, event, detail, prev], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def append_audit(db: sqlite3.Connection, video_id: str, actor: str | None, event: str, detail: dict[str, Any],
                 at: float | None = None) -> None:
    """Append one entry to the video's audit chain, in the caller's transaction."""
    at = round(at if at is not None else time.time(), 6)
    last = db.execute("SELECT seq, hash FROM audit WHERE video_id=? ORDER BY seq DESC LIMIT 1", (video_id,)).fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    text = json.dumps(detail, sort_keys=True, separators=(",", ":"))
    db.execute(
        "INSERT INTO audit (video_id, seq, at, actor, event, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (video_id, seq, at, actor, event, text, prev, audit_hash(video_id, seq, at, actor, event, text, prev)),
    )


class _Transaction:
    """`with store._transaction() as db:` one BEGIN IMMEDIATE … COMMIT, rolled back on error."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock):
        self._db = db
        self._lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, kind: object, *rest: object) -> None:
        try:
            self._db.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            self._lock.release()


_COLUMNS = ("video_id, video_type, mode, payload, stage_order, stage_index, state, accepted, feedback, error,"
            " resume_token_hash, auto_accept, callback_url, base_url, created_at, updated_at, last_seen_at, owner,"
            " skipped, approvals")


def _record(row: tuple[Any, ...]) -> SessionRecord:
    (video_id, video_type, mode, payload, stage_order, stage_index, state, accepted, feedback, error,
     token_hash, auto_accept, callback_url, base_url, created_at, updated_at, last_seen_at, owner,
     skipped, approvals) = row
    return SessionRecord(video_id, video_type, mode, json.loads(payload), json.loads(stage_order), int(stage_index),
                         state, json.loads(accepted), feedback, error, token_hash, bool(auto_accept), callback_url,
                         base_url, float(created_at), float(updated_at), float(last_seen_at), owner,
                         json.loads(skipped), json.loads(approvals))


def _attempt(row: tuple[Any, ...]) -> StageAttempt:
    stage, version, feedback, status, error, kind, output, started_at, finished_at, inputs, scenes = row
    status_: AttemptStatus = status
    return StageAttempt(
        stage=stage, version=int(version), feedback=feedback, status=status_, error=error,
        output=OUTPUT_TYPES[kind].model_validate_json(output) if kind and output else None,
        started_at=float(started_at), finished_at=float(finished_at) if finished_at is not None else None,
        inputs=inputs, scenes=json.loads(scenes) if scenes else None,
    )

