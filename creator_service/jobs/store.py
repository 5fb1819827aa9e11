"""Durable state of automated jobs: SQLite under the data folder (nothing to install or start).

Every change is one transaction, so a crash (even `kill -9`) leaves either the old record or the
new one, never half of it. Each stage's output is stored as JSON the moment the stage completes;
that is what lets a job resume from its last completed stage after a restart.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..models import Animations, FinalVideo, ScenePlan, Script, StageOutput, Visuals, Voiceover

OUTPUT_TYPES: dict[str, type] = {
    model.__name__: model for model in (ScenePlan, Script, Visuals, Animations, Voiceover, FinalVideo)
}
STATUSES = ("queued", "running", "complete", "failed", "cancelled")
UNFINISHED = ("queued", "running")

SCHEMA = """
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


@dataclass(frozen=True)
class JobRecord:
    video_id: str
    video_type: str
    payload: dict[str, Any]
    status: str
    current_stage: str | None
    stage_index: int
    versions: dict[str, int]
    error: str | None
    callback_url: str | None
    created_at: float
    updated_at: float


class JobStore:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per operation: simple and safe from any thread. WAL lets readers
        # (status requests) run while a job writes.
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            with db:  # one transaction: committed on success, rolled back on any error
                yield db
        finally:
            db.close()

    def create(self, video_id: str, video_type: str, payload: dict[str, Any], callback_url: str | None) -> None:
        now = time.time()
        with self._connect() as db:
            db.execute(
                "INSERT INTO jobs (video_id, video_type, payload, status, created_at, updated_at, callback_url)"
                " VALUES (?, ?, ?, 'queued', ?, ?, ?)",
                (video_id, video_type, json.dumps(payload), now, now, callback_url),
            )

    def mark_running(self, video_id: str, stage: str, stage_index: int, versions: dict[str, int]) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE jobs SET status='running', current_stage=?, stage_index=?, versions=?, updated_at=?"
                " WHERE video_id=? AND status IN ('queued', 'running')",
                (stage, stage_index, json.dumps(versions), time.time(), video_id),
            )

    def save_output(self, video_id: str, stage: str, version: int, output: StageOutput, next_index: int) -> None:
        """A completed stage's output and the job's progress past it, in one transaction."""
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO stage_outputs VALUES (?, ?, ?, ?, ?, ?)",
                (video_id, stage, version, type(output).__name__, output.model_dump_json(), time.time()),
            )
            db.execute("UPDATE jobs SET stage_index=?, updated_at=? WHERE video_id=?",
                       (next_index, time.time(), video_id))

    def finish(self, video_id: str, status: str, error: str | None = None) -> bool:
        """Set a final status; False if the job had already finished (e.g. cancelled meanwhile)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE jobs SET status=?, error=?, updated_at=? WHERE video_id=? AND status IN ('queued', 'running')",
                (status, error, time.time(), video_id),
            )
            return cursor.rowcount == 1

    def get(self, video_id: str) -> JobRecord | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE video_id=?", (video_id,)).fetchone()
        return _record(row) if row else None

    def page(self, limit: int, offset: int) -> tuple[list[JobRecord], int]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY created_at DESC, video_id LIMIT ? OFFSET ?",
                              (limit, offset)).fetchall()
            total = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        return [_record(row) for row in rows], int(total)

    def unfinished(self) -> list[JobRecord]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at").fetchall()
        return [_record(row) for row in rows]

    def outputs(self, video_id: str) -> dict[str, tuple[int, StageOutput]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT stage, version, output_type, output FROM stage_outputs WHERE video_id=?", (video_id,)
            ).fetchall()
        return {stage: (version, OUTPUT_TYPES[kind].model_validate_json(text)) for stage, version, kind, text in rows}


def _record(row: tuple[Any, ...]) -> JobRecord:
    (video_id, video_type, payload, status, current_stage, stage_index, versions, error, callback_url,
     created_at, updated_at) = row
    return JobRecord(video_id, video_type, json.loads(payload), status, current_stage, int(stage_index),
                     json.loads(versions), error, callback_url, float(created_at), float(updated_at))
