"""Only the right people: tokens, roles, ownership, origins, rate limits, body caps, safe and signed
webhooks. Over real HTTP and real sockets, on the in-process server with instant fake stages."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from creator_service import webhooks, ws
from creator_service.store import SessionStore

from .fakes import FakeProviders
from .helpers import REPO, Creator
from .inprocess import Studio

MOA = {"drug_name": "Aspirin", "condition": "cardiovascular disease"}
SM = {"drug_name": "Metformin", "indication": "type 2 diabetes", "quality": "low"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_video(studio: Studio, token: str | None = None) -> str:
    with Creator(studio.ws_url, token or studio.token) as client:
        video_id = client.start("moa", MOA)["video_id"]
        client.wait_completed("scenes", timeout=10)
    return video_id



# ---- the admin token ----------------------------------------------------------------------


def test_the_first_start_makes_an_admin_whose_token_file_only_its_owner_can_read(studio: Studio) -> None:
    path = studio.data_dir / "admin-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = path.read_text().strip()
    assert httpx.get(f"{studio.http}/me", headers=bearer(token), timeout=10).json()["role"] == "admin"
    # Only the hash is stored.
    database = b"".join(p.read_bytes() for p in studio.data_dir.glob("creator.db*"))
    assert token.encode() not in database
    assert hashlib.sha256(token.encode()).hexdigest().encode() in database


def test_the_log_says_where_the_admin_token_is_and_never_what(tmp_path: Path) -> None:
    from .helpers import running_server

    with running_server(tmp_path / "data") as server:
        log = server.log()
        assert str((tmp_path / "data" / "admin-token").resolve()) in log
        assert server.token and server.token not in log


# ---- every route needs a token ------------------------------------------------------------

PROTECTED = [
    ("GET", "/videos"), ("GET", "/videos/{id}"), ("DELETE", "/videos/{id}"), ("GET", "/videos/{id}/video"),
    ("GET", "/videos/{id}/files/scenes/v1/x"), ("GET", "/videos/{id}/members"), ("POST", "/videos/{id}/members"),
    ("DELETE", "/videos/{id}/members"), ("POST", "/create"), ("POST", "/create-compliance"), ("POST", "/create-moa"),
    ("POST", "/create-doctor"), ("POST", "/create-sm"), ("POST", "/assets/logos"), ("GET", "/providers"),
    ("GET", "/me"),
]


def test_every_route_refuses_a_missing_or_bad_token_with_401_and_www_authenticate(studio: Studio) -> None:
    video_id = make_video(studio)
    for method, path in PROTECTED:
        url = studio.http + path.replace("{id}", video_id)
        for headers in ({}, bearer("cs_not-a-real-token"), {"Authorization": "Basic YWRtaW46YWRtaW4="}):
            response = httpx.request(method, url, headers=headers, timeout=10)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_the_health_check_the_brief_schemas_and_the_studio_need_no_token(studio: Studio) -> None:
    for path in ("/health", "/video-types", "/", "/static/studio.js"):
        assert httpx.get(studio.http + path, timeout=10).status_code == 200, path


def test_another_users_video_is_a_404_everywhere_as_if_it_did_not_exist(studio: Studio) -> None:
    video_id = make_video(studio)
    stranger = studio.add_user("mallory", "producer")
    for method, path in PROTECTED:
        if "{id}" not in path:
            continue
        url = studio.http + path.replace("{id}", video_id)
        response = httpx.request(method, url, headers=bearer(stranger), timeout=10)
        unknown = httpx.request(method, url.replace(video_id, "vid_000000000000"), headers=bearer(stranger),
                                timeout=10)
        assert response.status_code == unknown.status_code == 404, (method, path)
        assert response.text.replace(video_id, "ID") == unknown.text.replace("vid_000000000000", "ID"), path
    listed = httpx.get(f"{studio.http}/videos", headers=bearer(stranger), timeout=10).json()
    assert listed["videos"] == [] and listed["total"] == 0


def test_resume_of_another_users_session_is_answered_like_an_unknown_one(studio: Studio) -> None:
    with Creator(studio.ws_url, studio.token) as owner:
        started = owner.start("moa", MOA)
    stranger = studio.add_user("mallory", "producer")
    with Creator(studio.ws_url, stranger) as client:
        client.send({"action": "resume", "video_id": started["video_id"], "resume_token": started["resume_token"]})
        refused = client.next_event(timeout=10)
        client.send({"action": "resume", "video_id": "vid_000000000000", "resume_token": started["resume_token"]})
        assert refused == client.next_event(timeout=10)
        assert refused["code"] == "session_not_found"


def test_sharing_lets_a_member_see_and_only_a_producer_member_run(studio: Studio) -> None:
    video_id = make_video(studio)
    reviewer = studio.add_user("rita", "reviewer", "legal")
    members = f"{studio.http}/videos/{video_id}/members"
    assert httpx.post(members, json={"user": "rita", "role": "reviewer"}, headers=studio.headers,
                      timeout=10).status_code == 201
    assert httpx.get(f"{studio.http}/videos/{video_id}", headers=bearer(reviewer), timeout=10).status_code == 200
    listed = httpx.get(members, headers=bearer(reviewer), timeout=10).json()
    assert [(m["user"], m["role"], m["discipline"]) for m in listed["members"]] == [("rita", "reviewer", "legal")]
    # A member may not share further, and cancelling needs a producer.
    refused = httpx.post(members, json={"user": "rita", "role": "producer"}, headers=bearer(reviewer), timeout=10)
    assert refused.status_code == 403 and "owner" in refused.json()["error"]
    cancel = httpx.delete(f"{studio.http}/videos/{video_id}", headers=bearer(reviewer), timeout=10)
    assert cancel.status_code == 403 and cancel.json()["needs"] == "producer"
    # Bad shares name their field.
    for body, field in (({"user": "nobody", "role": "viewer"}, "user"), ({"user": "rita", "role": "boss"}, "role")):
        response = httpx.post(members, json=body, headers=studio.headers, timeout=10)
        assert response.status_code == 422 and response.json()["fields"][0]["field"] == field
    assert httpx.delete(members, params={"user": "rita"}, headers=studio.headers, timeout=10).status_code == 200
    assert httpx.get(f"{studio.http}/videos/{video_id}", headers=bearer(reviewer), timeout=10).status_code == 404


def test_a_reviewer_cannot_accept_and_is_told_which_role_can(studio: Studio) -> None:
    with Creator(studio.ws_url, studio.token) as owner:
        started = owner.start("moa", MOA)
        owner.wait_completed("scenes", timeout=10)
        reviewer = studio.add_user("rita", "reviewer", "medical")
        httpx.post(f"{studio.http}/videos/{started['video_id']}/members", json={"user": "rita", "role": "reviewer"},
                   headers=studio.headers, timeout=10)
        with Creator(studio.ws_url, reviewer) as client:
            client.send({"action": "resume", "video_id": started["video_id"],
                         "resume_token": started["resume_token"]})
            assert client.next_event(timeout=10)["status"] == "session_resumed"
            for action in ({"action": "accept"}, {"action": "regenerate"}, {"action": "auto"}, {"action": "stop"}):
                client.send(action)
                refused = client.next_refusal()
                assert refused["code"] == "forbidden" and refused["needs"] == "producer", refused
                assert "needs the producer role; you are a reviewer" in refused["error"]
    decisions = SessionStore(studio.data_dir / "creator.db").decisions(started["video_id"])
    assert [d["action"] for d in decisions] == ["start"]  # nothing the reviewer tried was applied


@pytest.mark.parametrize("role", ["reviewer", "viewer"])
def test_only_producers_and_admins_make_videos(studio: Studio, role: str) -> None:
    token = studio.add_user("someone", role, "legal" if role == "reviewer" else None)
    response = httpx.post(f"{studio.http}/create-moa", json=MOA, headers=bearer(token), timeout=10)
    assert response.status_code == 403 and response.json()["needs"] == "producer"
    with Creator(studio.ws_url, token) as client:
        client.send({"action": "start", "video_type": "moa", "payload": MOA})
        assert client.next_event(timeout=10)["code"] == "forbidden"


# ---- the WebSocket's own authentication -------------------------------------------------


def test_a_browser_authenticates_with_its_first_message(studio: Studio) -> None:
    with Creator(studio.ws_url) as client:
        client.send({"action": "auth", "token": studio.token})
        assert client.next_event(timeout=10) == {"status": "authenticated", "user": "admin",
                                                 "full_name": "Administrator", "role": "admin", "discipline": None}
        assert client.start("moa", MOA)["status"] == "session_started"


@pytest.mark.parametrize("first", [{"action": "start", "video_type": "moa", "payload": MOA},
                                   {"action": "auth", "token": "cs_wrong"}, "not json"])
def test_anything_else_before_authentication_is_refused_and_closed_with_4401(studio: Studio, first: Any) -> None:
    with Creator(studio.ws_url) as client:
        client.send_raw(first if isinstance(first, str) else json.dumps(first))
        refused = client.next_event(timeout=10)
        assert refused["status"] == "error" and refused["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed) as closed:
            client.ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_a_connection_that_never_authenticates_is_closed(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws, "AUTH_TIMEOUT", 0.5)  # the server runs in this process; 10 s in production
    with Creator(studio.ws_url) as client:
        refused = client.next_event(timeout=10)
        assert refused["code"] == "unauthorized" and "within 0.5 s" in refused["error"]
        with pytest.raises(ConnectionClosed) as closed:
            client.ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_a_foreign_origin_is_refused_before_the_socket_opens(studio: Studio) -> None:
    with pytest.raises(InvalidStatus) as refused:
        Creator(studio.ws_url, studio.token, Origin="https://evil.example")
    assert refused.value.response.status_code == 403
    # The server's own origin, and programs that send none, are welcome.
    with Creator(studio.ws_url, studio.token, Origin=studio.http) as client:
        assert client.start("moa", MOA)["status"] == "session_started"


def test_allowed_origins_are_configurable(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", allowed_origins=("https://studio.example.com",)).start()
    try:
        with Creator(studio.ws_url, studio.token, Origin="https://studio.example.com") as client:
            assert client.start("moa", MOA)["status"] == "session_started"
        with pytest.raises(InvalidStatus):
            Creator(studio.ws_url, studio.token, Origin=studio.http)
    finally:
        studio.stop()


def test_the_studio_login_cookie_is_httponly_strict_and_ends_with_a_rotation(studio: Studio) -> None:
    with httpx.Client(base_url=studio.http, timeout=10) as browser:
        assert browser.post("/login", json={"token": "cs_wrong"}).status_code == 401
        login = browser.post("/login", json={"token": studio.token})
        assert login.status_code == 200 and login.json()["user"] == "admin"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert browser.get("/videos").status_code == 200
        value = browser.cookies["creator_login"]
        with Creator(studio.ws_url, Cookie=f"creator_login={value}") as client:
            assert client.start("moa", MOA)["status"] == "session_started"
        tampered = value[:-1] + ("0" if value[-1] != "0" else "1")
        assert httpx.get(f"{studio.http}/videos", cookies={"creator_login": tampered}, timeout=10).status_code == 401
        rotated = subprocess.run([sys.executable, "-m", "creator_service.users", "--data-dir", str(studio.data_dir),
                                  "rotate", "admin"], cwd=REPO, capture_output=True, text=True, check=True)
        assert "API token" in rotated.stdout
        assert browser.get("/videos").status_code == 401


# ---- the users CLI ------------------------------------------------------------------------


def test_the_users_cli_adds_lists_rotates_and_revokes(studio: Studio) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "creator_service.users", "--data-dir", str(studio.data_dir),
                               *args], cwd=REPO, capture_output=True, text=True)

    added = cli("add", "lena", "--full-name", "Dr Lena Ortiz", "--role", "reviewer", "--discipline", "medical")
    assert added.returncode == 0, added.stderr
    token = [line.strip() for line in added.stdout.splitlines() if line.strip().startswith("cs_")][0]
    me = httpx.get(f"{studio.http}/me", headers=bearer(token), timeout=10).json()
    assert me == {"user": "lena", "full_name": "Dr Lena Ortiz", "role": "reviewer", "discipline": "medical"}
    assert "lena" in cli("list").stdout and "reviewer" in cli("list").stdout
    assert cli("add", "lena", "--full-name", "Again", "--role", "viewer").returncode == 2
    assert "needs a --discipline" in cli("add", "rex", "--full-name", "Rex", "--role", "reviewer").stderr
    rotated = cli("rotate", "lena").stdout
    new_token = [line.strip() for line in rotated.splitlines() if line.strip().startswith("cs_")][0]
    assert httpx.get(f"{studio.http}/me", headers=bearer(token), timeout=10).status_code == 401
    assert httpx.get(f"{studio.http}/me", headers=bearer(new_token), timeout=10).status_code == 200
    assert cli("revoke", "lena").returncode == 0
    assert httpx.get(f"{studio.http}/me", headers=bearer(new_token), timeout=10).status_code == 401
    assert "revoked" in cli("list").stdout


# ---- limits -------------------------------------------------------------------------------


def test_a_flood_on_one_connection_is_rate_limited_and_the_connection_survives(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", actions_per_second=5.0).start()
    try:
        with Creator(studio.ws_url, studio.token) as client:
            for _ in range(40):
                client.send({"action": "accept"})
            answers = [client.next_event(timeout=10) for _ in range(40)]
            limited = [a for a in answers if a["code"] == "rate_limited"]
            assert len(limited) >= 25 and all(0 < a["retry_after"] <= 1 for a in limited)
            assert {a["code"] for a in answers} == {"rate_limited", "not_started"}
            time.sleep(max(a["retry_after"] for a in limited) + 0.2)
            assert client.start("moa", MOA)["status"] == "session_started"
    finally:
        studio.stop()


def test_videos_per_hour_is_limited_with_429_and_retry_after(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", videos_per_hour=2).start()
    try:
        for _ in range(2):
            assert httpx.post(f"{studio.http}/create-moa", json=MOA, headers=studio.headers,
                              timeout=10).status_code == 202
        refused = httpx.post(f"{studio.http}/create-moa", json=MOA, headers=studio.headers, timeout=10)
        assert refused.status_code == 429 and 3500 <= int(refused.headers["retry-after"]) <= 3600
        assert "limit is 2" in refused.json()["error"]
        with Creator(studio.ws_url, studio.token) as client:
            client.send({"action": "start", "video_type": "moa", "payload": MOA})
            limited = client.next_event(timeout=10)
            assert limited["code"] == "rate_limited" and limited["retry_after"] > 3500
        # Another user has their own allowance.
        other = studio.add_user("paula", "producer")
        assert httpx.post(f"{studio.http}/create-moa", json=MOA, headers=bearer(other), timeout=10).status_code == 202
    finally:
        studio.stop()


def test_sessions_running_at_once_are_limited_per_user(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", running_sessions_per_user=1).start()
    try:
        studio.fakes.hold("scenes")
        with Creator(studio.ws_url, studio.token) as first, Creator(studio.ws_url, studio.token) as second:
            first.start("moa", MOA)
            second.send({"action": "start", "video_type": "moa", "payload": MOA})
            limited = second.next_event(timeout=10)
            assert limited["code"] == "rate_limited" and "limit is 1 at once" in limited["error"]
            studio.fakes.release("scenes")
            first.wait_completed("scenes", timeout=10)
            assert second.start("moa", MOA)["status"] == "session_started"
    finally:
        studio.stop()


def test_json_bodies_over_1_mib_get_413_with_a_clear_message(studio: Studio) -> None:
    huge = json.dumps({**MOA, "persona": "x" * (1024 * 1024)})
    for path in ("/create-moa", "/login", "/videos/vid_000000000000/members"):
        response = httpx.post(studio.http + path, content=huge, headers=studio.headers, timeout=10)
        assert response.status_code == 413 and "1 MiB" in response.json()["error"], path

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap is counted as the body streams
        for _ in range(20):
            yield b" " * 100_000

    streamed = httpx.post(f"{studio.http}/create-moa", content=chunks(), headers=studio.headers, timeout=10)
    assert streamed.status_code == 413


def test_the_studio_is_served_with_security_headers(studio: Studio) -> None:
    response = httpx.get(studio.http + "/", timeout=10)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in response.text and "onclick=" not in response.text  # nothing inline to allow


# ---- webhooks -----------------------------------------------------------------------------

UNSAFE = ["http://127.0.0.1/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data",
          "http://[::1]/hook", "http://localhost:8000/hook", "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/",
          "ftp://203.0.113.9/hook", "http://user:pw@8.8.8.8/hook"]


@pytest.mark.parametrize("url", UNSAFE)
def test_webhooks_to_private_or_odd_addresses_are_refused_at_submit(studio: Studio, url: str) -> None:
    response = httpx.post(f"{studio.http}/create-sm", json={**SM, "callback_url": url}, headers=studio.headers,
                          timeout=10)
    assert response.status_code == 422, response.text
    assert response.json()["fields"][0]["field"] == "callback_url"


def test_a_name_that_turns_private_after_submit_is_refused_at_send(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = FakeProviders().start()
    answers = iter([["93.184.216.34"]])  # public when submitted (no connection is made to it) ...
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        assert host == "hooks.example.com"
        lookups.append(host)
        return next(answers, ["127.0.0.1"])  # ... loopback (our receiver's) ever after

    monkeypatch.setattr(webhooks, "resolve", rebinding)
    studio = Studio(tmp_path / "data").start()
    try:
        created = httpx.post(f"{studio.http}/create-sm",
                             json={**SM, "callback_url": f"http://hooks.example.com:{receiver.port}/hooks/job"},
                             headers=studio.headers, timeout=10)
        assert created.status_code == 202, created.text
        video_url = f"{studio.http}/videos/{created.json()['video_id']}"
        deadline = time.monotonic() + 20
        while httpx.get(video_url, headers=studio.headers, timeout=10).json()["status"] != "complete":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        deadline = time.monotonic() + 10
        while len(lookups) < 2:  # the send looked the name up again ...
            assert time.monotonic() < deadline, "the webhook was never attempted"
            time.sleep(0.1)
        time.sleep(0.5)
        assert receiver.seen("webhook") == []  # ... and refused it
    finally:
        studio.stop()
        receiver.stop()


def test_a_webhook_is_signed_so_its_receiver_can_check_it(tmp_path: Path) -> None:
    receiver = FakeProviders().start()
    studio = Studio(tmp_path / "data", webhook_allow_private=True).start()
    try:
        created = httpx.post(f"{studio.http}/create-sm", json={**SM, "callback_url": f"{receiver.base}/hooks/job"},
                             headers=studio.headers, timeout=10).json()
        deadline = time.monotonic() + 20
        while not receiver.seen("webhook"):
            assert time.monotonic() < deadline, "no webhook arrived"
            time.sleep(0.1)
        delivery = receiver.seen("webhook")[0]
        secret = studio.app.state.identity.users.get("admin").webhook_secret
        body = json.dumps(delivery.body, separators=(",", ":")).encode()
        timestamp = delivery.headers["x-creator-timestamp"]
        expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(delivery.headers["x-creator-signature"], expected)
        assert abs(int(timestamp) - time.time()) < 60
        assert delivery.body["video_id"] == created["video_id"] and delivery.body["status"] == "complete"
        # The URLs name the server as the client reached it, whatever port it runs on.
        assert delivery.body["status_url"] == f"{studio.http}/videos/{created['video_id']}"
        forged = hmac.new(b"not the secret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert not hmac.compare_digest(delivery.headers["x-creator-signature"], "sha256=" + forged)
    finally:
        studio.stop()
        receiver.stop()


def test_public_urls_come_from_creator_public_url_when_it_is_set(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data", public_url="https://studio.example.com").start()
    try:
        created = httpx.post(f"{studio.http}/create-moa", json=MOA, headers=studio.headers, timeout=10).json()
        assert created["status_url"] == f"https://studio.example.com/videos/{created['video_id']}"
    finally:
        studio.stop()


# ---- make demo stays one command -------------------------------------------------------


@pytest.mark.render
def test_make_demo_is_one_command_on_a_fresh_data_dir(tmp_path: Path) -> None:
    from creator_service.devserver import free_port

    environment = {**os.environ, "CREATOR_DATA_DIR": str(tmp_path / "fresh"), "PORT": str(free_port()),
                   "BIN": str(Path(sys.executable).parent)}
    environment.pop("CREATOR_TOKEN", None)
    result = subprocess.run(["bash", "scripts/demo.sh"], cwd=REPO, env=environment, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Done! Video: " in result.stdout
    assert (tmp_path / "fresh" / "admin-token").is_file()
