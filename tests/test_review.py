"""Review as a team: join and presence, roles, comments on a version, approvals as signatures,
the hash-chained audit trail and the review package. Over real sockets with real users, on the
in-process server with instant fake stages."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from .helpers import REPO, Creator
from .inprocess import Studio

MOA = {"drug_name": "Aspirin", "condition": "cardiovascular disease"}


def share(studio: Studio, video_id: str, user: str, role: str) -> None:
    response = httpx.post(f"{studio.http}/videos/{video_id}/members", json={"user": user, "role": role},
                          headers=studio.headers, timeout=10)
    assert response.status_code == 201, response.text


def member(studio: Studio, video_id: str, name: str, role: str, discipline: str | None = None) -> str:
    token = studio.add_user(name, "reviewer" if discipline else "producer" if role == "producer" else "viewer",
                            discipline)
    share(studio, video_id, name, role)
    return token


def join(client: Creator, video_id: str) -> dict[str, Any]:
    client.send({"action": "join", "video_id": video_id})
    return client.next_event(timeout=10)


def next_status(client: Creator, status: str) -> dict[str, Any]:
    while True:
        event = client.recv(timeout=10)
        if event["status"] == status:
            return event



def test_members_join_without_a_token_and_everyone_sees_who_is_here(studio: Studio) -> None:
    with studio.connect() as owner:
        video_id = owner.start("moa", MOA)["video_id"]
        first = owner.wait_completed("scenes", timeout=10)
        lena = member(studio, video_id, "lena", "reviewer", "medical")
        vic = member(studio, video_id, "vic", "viewer")
        with Creator(studio.ws_url, lena) as reviewer, Creator(studio.ws_url, vic) as viewer:
            joined = join(reviewer, video_id)
            assert joined["status"] == "session_joined" and joined["state"] == "awaiting_review"
            assert reviewer.next_event(timeout=10) == first  # the version under review, replayed
            join(viewer, video_id)
            assert viewer.next_event(timeout=10) == first
            people = next_status(owner, "presence")
            while len(people["people"]) < 3:
                people = next_status(owner, "presence")
            assert {(p["user"], p["role"], p["discipline"]) for p in people["people"]} == {
                ("admin", "admin", None), ("lena", "reviewer", "medical"), ("vic", "viewer", None)}
            assert people["people"][1]["full_name"] == "Lena"
            # Three connections, one session: every event reaches all of them.
            owner.accept()
            for client in (owner, reviewer, viewer):
                assert client.wait_completed("script", timeout=10)["version"] == 1
        left = next_status(owner, "presence")
        while len(left["people"]) > 1:
            left = next_status(owner, "presence")
        assert [p["user"] for p in left["people"]] == ["admin"]


def test_someone_who_is_not_a_member_cannot_join(studio: Studio) -> None:
    with studio.connect() as owner:
        video_id = owner.start("moa", MOA)["video_id"]
    stranger = studio.add_user("mallory", "producer")
    with Creator(studio.ws_url, stranger) as client:
        refused = join(client, video_id)
        assert refused["code"] == "session_not_found"
        assert join(client, "vid_000000000000") == refused


def test_each_role_is_refused_what_it_may_not_do(studio: Studio) -> None:
    with studio.connect() as owner:
        video_id = owner.start("moa", MOA)["video_id"]
        owner.wait_completed("scenes", timeout=10)
        viewer = member(studio, video_id, "vic", "viewer")
        reviewer = member(studio, video_id, "rita", "reviewer", "legal")
        with Creator(studio.ws_url, viewer) as client:
            join(client, video_id)
            client.next_event(timeout=10)
            for action, needs in (({"action": "accept"}, "producer"), ({"action": "approve", "decision": "approved"},
                                  "reviewer"), ({"action": "comment", "stage": "scenes", "version": 1, "text": "x"},
                                  "reviewer")):
                client.send(action)
                refused = client.next_refusal()
                assert refused["code"] == "forbidden" and refused["needs"] == needs, (action, refused)
        with Creator(studio.ws_url, reviewer) as client:
            join(client, video_id)
            client.next_event(timeout=10)
            client.send({"action": "regenerate"})
            assert client.next_refusal()["needs"] == "producer"
        producer = member(studio, video_id, "paula", "producer")
        with Creator(studio.ws_url, producer) as client:  # the producers who run it do not sign
            join(client, video_id)
            client.next_event(timeout=10)
            client.send({"action": "approve", "decision": "approved"})
            assert client.next_refusal()["needs"] == "reviewer"


def test_when_two_producers_accept_at_once_the_second_is_told_who_did_what(studio: Studio) -> None:
    studio.fakes.hold("script")
    with studio.connect() as owner:
        video_id = owner.start("moa", MOA)["video_id"]
        owner.wait_completed("scenes", timeout=10)
        paula = member(studio, video_id, "paula", "producer")
        with Creator(studio.ws_url, paula) as other:
            join(other, video_id)
            other.next_event(timeout=10)
            owner.accept()
            other.accept()
            refused = other.next_refusal()
            assert refused["code"] == "action_not_allowed"
            assert "(admin sent 'accept' on scenes just before)" in refused["error"]


def test_comments_stay_with_the_version_they_were_made_on(studio: Studio) -> None:
    with studio.connect() as owner:
        video_id = owner.start("moa", MOA)["video_id"]
        owner.wait_completed("scenes", timeout=10)
        owner.accept()
        owner.wait_completed("script", timeout=10)
        owner.send({"action": "regenerate", "feedback": "warmer"})
        owner.wait_completed("script", timeout=10)
        lena = member(studio, video_id, "lena", "reviewer", "medical")
        with Creator(studio.ws_url, lena) as reviewer:
            join(reviewer, video_id)
            reviewer.next_event(timeout=10)
            reviewer.send({"action": "comment", "stage": "script", "version": 1, "text": "Scene 3 said it better",
                           "scene": 2, "at": 1.5})
            comment = next_status(owner, "comment")
            assert next_status(reviewer, "comment") == comment
            assert {k: comment[k] for k in ("author", "stage", "version", "scene", "at", "text")} == {
                "author": "lena", "stage": "script", "version": 1, "scene": 2, "at": 1.5,
                "text": "Scene 3 said it better"}
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", comment["created_at"])
            reviewer.send({"action": "comment", "stage": "script", "version": 2, "text": "Agreed",
                           "reply_to": comment["id"]})
            assert next_status(owner, "comment")["reply_to"] == comment["id"]
            for bad, field in (({"version": 9}, "version"), ({"scene": 99}, "scene"), ({"stage": "nope"}, "stage"),
                               ({"reply_to": "cmt_nope"}, "reply_to"), ({"text": "   "}, "text")):
                reviewer.send({"action": "comment", "stage": "script", "version": 1, "text": "x", **bad})
                refused = reviewer.next_refusal()
                assert refused["code"] == "invalid_field" and refused["fields"][0]["field"] == field, refused
            reviewer.send({"action": "resolve", "comment_id": comment["id"]})
            assert next_status(owner, "comment_resolved") == {"status": "comment_resolved", "id": comment["id"],
                                                              "by": "lena"}
    listed = httpx.get(f"{studio.http}/videos/{video_id}/comments", headers=studio.headers, timeout=10).json()
    assert [(c["version"], c["text"], c["resolved"]) for c in listed["comments"]] == [
        (1, "Scene 3 said it better", True), (2, "Agreed", False)]


def test_approvals_gate_accept_are_signatures_and_a_new_version_needs_new_ones(studio: Studio) -> None:
    with studio.connect() as owner:
        owner.send({"action": "start", "video_type": "moa", "payload": MOA,
                    "approvals": {"script": ["legal", "medical"]}})
        video_id = owner.next_event(timeout=10)["video_id"]
        owner.stage_order = ["scenes", "script", "visuals", "tts", "render"]
        owner.wait_completed("scenes", timeout=10)
        owner.accept()  # no policy on scenes
        owner.wait_completed("script", timeout=10)
        owner.accept()
        required = owner.next_refusal()
        assert required["code"] == "approval_required" and required["missing"] == ["legal", "medical"]
        assert "script v1 needs approval from: legal, medical" in required["error"]
        rita = member(studio, video_id, "rita", "reviewer", "legal")
        mark = member(studio, video_id, "mark", "reviewer", "medical")
        with Creator(studio.ws_url, rita) as legal, Creator(studio.ws_url, mark) as medical:
            for client in (legal, medical):
                join(client, video_id)
                client.next_event(timeout=10)
            legal.send({"action": "approve", "decision": "approved", "note": "claims match the label"})
            signature = next_status(owner, "approval")
            assert {k: signature[k] for k in ("user", "full_name", "discipline", "decision", "stage", "version")} == {
                "user": "rita", "full_name": "Rita", "discipline": "legal", "decision": "approved",
                "stage": "script", "version": 1}
            assert signature["meaning"].startswith("I approve this version")
            assert re.fullmatch(r"[0-9a-f]{64}", signature["sha256"])
            assert signature["signed_at"].endswith("Z")
            owner.accept()
            assert owner.next_refusal()["missing"] == ["medical"]
            medical.send({"action": "approve", "decision": "rejected", "note": "overstates the benefit"})
            next_status(owner, "approval")
            owner.accept()
            blocked = owner.next_refusal()
            assert blocked["code"] == "approval_required" and "rejected by Mark (medical)" in blocked["error"]
            # A new version: the old signatures do not carry over.
            owner.send({"action": "regenerate", "feedback": "more cautious"})
            assert owner.wait_completed("script", timeout=10)["version"] == 2
            owner.accept()
            assert owner.next_refusal()["missing"] == ["legal", "medical"]
            legal.send({"action": "approve", "decision": "approved"})
            medical.send({"action": "approve", "decision": "approved_with_changes", "note": "fine"})
            next_status(owner, "approval")
            next_status(owner, "approval")
            owner.accept()
            assert owner.wait_completed("visuals", timeout=10)["version"] == 1


def test_a_policy_file_sets_each_video_types_default_approvals(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"moa": {"scenes": ["regulatory"]}}))
    studio = Studio(tmp_path / "data", approval_policy=policy).start()
    try:
        with studio.connect() as owner:
            owner.start("moa", MOA)
            owner.wait_completed("scenes", timeout=10)
            owner.accept()
            assert owner.next_refusal()["missing"] == ["regulatory"]
    finally:
        studio.stop()


def run_audit_cli(data_dir: Path, video_id: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "creator_service.audit", "--data-dir", str(data_dir), "verify",
                           video_id], cwd=REPO, capture_output=True, text=True)


def test_the_audit_trail_is_chained_verifiable_and_a_tampered_row_is_found(studio: Studio) -> None:
    with studio.connect() as owner:
        video_id = owner.start("moa", MOA)["video_id"]
        owner.wait_completed("scenes", timeout=10)
        owner.send({"action": "regenerate", "feedback": "shorter"})
        owner.wait_completed("scenes", timeout=10)
        owner.accept()
        owner.wait_completed("script", timeout=10)
        lena = member(studio, video_id, "lena", "reviewer", "medical")
        with Creator(studio.ws_url, lena) as reviewer:
            join(reviewer, video_id)
        owner.send({"action": "stop"})
        owner.next_event(timeout=10)
    trail = httpx.get(f"{studio.http}/videos/{video_id}/audit", headers=studio.headers, timeout=10).json()
    assert trail["intact"] is True
    events = [(e["event"], e["actor"]) for e in trail["entries"]]
    assert events[0] == ("start", "admin") and ("regenerate", "admin") in events and events[-1][0] == "stop"
    assert ("attempt_completed", None) in events
    # A member joining is on record too.
    assert ("join", "lena") in events
    regenerate = next(e for e in trail["entries"] if e["event"] == "regenerate")
    assert regenerate["detail"]["feedback"] == "shorter"
    completed = next(e for e in trail["entries"] if e["event"] == "attempt_completed")
    assert re.fullmatch(r"[0-9a-f]{64}", completed["detail"]["output_sha256"])
    csv = httpx.get(f"{studio.http}/videos/{video_id}/audit", params={"format": "csv"}, headers=studio.headers,
                    timeout=10)
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("seq,at,actor,event")
    ok = run_audit_cli(studio.data_dir, video_id)
    assert ok.returncode == 0 and f"intact, {len(events)} entries" in ok.stdout

    database = sqlite3.connect(studio.data_dir / "creator.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        database.execute("UPDATE audit SET actor='mallory' WHERE video_id=? AND seq=3", (video_id,))
    # Someone with the file itself can drop the guard; the chain still tells.
    database.execute("DROP TRIGGER audit_is_append_only_update")
    database.execute("UPDATE audit SET detail=replace(detail, 'shorter', 'longer') WHERE video_id=? AND"
                     " event='regenerate'", (video_id,))
    database.commit()
    database.close()
    broken = run_audit_cli(studio.data_dir, video_id)
    assert broken.returncode == 1
    assert f"BROKEN at entry {regenerate['seq']}" in broken.stderr


def test_the_review_package_holds_what_an_mlr_submission_needs(studio: Studio) -> None:
    with studio.connect() as owner:
        owner.send({"action": "start", "video_type": "moa", "payload": MOA, "approvals": {"render": ["legal"]}})
        video_id = owner.next_event(timeout=10)["video_id"]
        owner.stage_order = ["scenes", "script", "visuals", "tts", "render"]
        owner.advance_to("render", timeout=10)
        owner.wait_completed("render", timeout=10)
        rita = member(studio, video_id, "rita", "reviewer", "legal")
        with Creator(studio.ws_url, rita) as legal:
            join(legal, video_id)
            legal.next_event(timeout=10)
            legal.send({"action": "comment", "stage": "render", "version": 1, "text": "Check the ISI", "at": 12.0})
            legal.send({"action": "approve", "decision": "approved"})
            next_status(owner, "approval")
        owner.accept()
        assert owner.next_event(timeout=10)["status"] == "pipeline_complete"
    response = httpx.get(f"{studio.http}/videos/{video_id}/review-package", headers=studio.headers, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    package = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(package.namelist())
    assert {f"{video_id}.mp4", "script.txt", "script.json", "sources.json", "approvals.json", "comments.json",
            "audit.json", "audit.csv", "manifest.json"} <= names
    manifest = json.loads(package.read("manifest.json"))
    assert manifest["audit_intact"] is True and set(manifest["files"]) == names - {"manifest.json"}
    assert json.loads(package.read("approvals.json"))[0]["discipline"] == "legal"
    assert json.loads(package.read("comments.json"))[0]["text"] == "Check the ISI"
    assert "Scene 1" in package.read("script.txt").decode()
