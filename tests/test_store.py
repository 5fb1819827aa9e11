"""The SQLite store: whole transactions, a schema version, and in-place upgrades of old data dirs."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from creator_service.payloads import BRIEF_MODELS
from creator_service.session import CreatorSession, StageAttempt
from creator_service.store import SCHEMA_V1, SCHEMA_VERSION, Decision, SessionStore

from .fake_stages import OUTPUTS
from .helpers import REPO


def a_session(tmp_path: Path, video_id: str = "vid_aaaaaaaaaaaa") -> CreatorSession:
    return CreatorSession(video_id=video_id, video_type="moa",
                          payload=BRIEF_MODELS["moa"].model_validate({"drug_name": "A", "condition": "B"}),
                          stage_order=["scenes", "script", "visuals", "tts", "render"], video_dir=tmp_path / video_id)


def test_a_new_store_has_the_current_schema_version(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "creator.db")
    assert store.schema_version == SCHEMA_VERSION
    assert int(sqlite3.connect(tmp_path / "creator.db").execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "creator.db")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer than this release"):
        SessionStore(tmp_path / "creator.db")


def test_session_attempt_and_decision_are_written_together(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "creator.db")
    session = a_session(tmp_path)
    attempt = StageAttempt(stage="scenes", version=1, feedback="shorter")
    store.save(session, "running", attempt=attempt)
    attempt.finish("completed", output=OUTPUTS["scenes"](_context_for(session)))
    store.save(session, "awaiting_review", attempt=attempt, decision=Decision("regenerate", "scenes", 1, "shorter"))
    record = store.get(session.video_id)
    assert record is not None and record.state == "awaiting_review" and record.mode == "creator"
    [stored] = store.attempts(session.video_id)
    assert (stored.stage, stored.version, stored.status, stored.feedback) == ("scenes", 1, "completed", "shorter")
    assert stored.output == attempt.output
    assert [d["action"] for d in store.decisions(session.video_id)] == ["regenerate"]


def test_the_store_never_holds_a_half_written_session(tmp_path: Path) -> None:
    """A writer killed mid-transaction leaves the store readable and the record whole."""
    script = (
        "import sys, os, signal\n"
        "from pathlib import Path\n"
        "from creator_service.store import SessionStore\n"
        "from tests.test_store import a_session\n"
        "path = Path(sys.argv[1])\n"
        "store = SessionStore(path)\n"
        "store.save(a_session(path.parent), 'queued')\n"
        "with store.transaction() as db:\n"
        "    db.execute(\"UPDATE sessions SET state='complete'\")\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    path = tmp_path / "creator.db"
    subprocess.run([sys.executable, "-c", script, str(path)], cwd=REPO, check=False)
    record = SessionStore(path).get("vid_aaaaaaaaaaaa")
    assert record is not None and record.state == "queued"


def test_a_first_release_data_dir_upgrades_in_place_and_keeps_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "creator.db"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA_V1)
    payload = json.dumps({"drug_name": "A", "condition": "B"})
    scenes = OUTPUTS["scenes"](_context_for(a_session(tmp_path)))
    script = OUTPUTS["script"](_context_for(a_session(tmp_path)))
    # A finished job, and one that a crash interrupted during its second visuals attempt.
    old.execute("INSERT INTO jobs VALUES ('vid_000000000001', 'moa', ?, 'complete', 'render', 5, ?, NULL, NULL, 1, 2)",
                (payload, json.dumps({"scenes": 1})))
    old.execute("INSERT INTO jobs VALUES ('vid_000000000002', 'moa', ?, 'running', 'visuals', 2, ?, NULL,"
                " 'http://example.test/hook', 3, 4)", (payload, json.dumps({"scenes": 1, "script": 1, "visuals": 2})))
    for video_id in ("vid_000000000001", "vid_000000000002"):
        old.execute("INSERT INTO stage_outputs VALUES (?, 'scenes', 1, 'ScenePlan', ?, 5)",
                    (video_id, scenes.model_dump_json()))
        old.execute("INSERT INTO stage_outputs VALUES (?, 'script', 1, 'Script', ?, 6)",
                    (video_id, script.model_dump_json()))
    old.commit()
    old.close()

    store = SessionStore(path)

    assert store.schema_version == SCHEMA_VERSION
    finished, running = store.get("vid_000000000001"), store.get("vid_000000000002")
    assert finished is not None and running is not None
    assert (finished.mode, finished.state, finished.auto_accept) == ("auto", "complete", True)
    assert (running.state, running.stage_index, running.current_stage) == ("running", 2, "visuals")
    assert running.callback_url == "http://example.test/hook" and running.accepted == {"scenes": 1, "script": 1}
    attempts = {(a.stage, a.version): a for a in store.attempts("vid_000000000002")}
    assert attempts[("scenes", 1)].status == "completed" and attempts[("scenes", 1)].output == scenes
    assert {key: a.status for key, a in attempts.items() if key[0] == "visuals"} == {
        ("visuals", 1): "cancelled", ("visuals", 2): "cancelled"}
    assert [r.video_id for r in store.unfinished()] == ["vid_000000000002"]
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "jobs" not in tables and "stage_outputs" not in tables


def _context_for(session: CreatorSession) -> object:
    class Context:
        video_type = session.video_type
        version = 1
        feedback = None

    return Context()
