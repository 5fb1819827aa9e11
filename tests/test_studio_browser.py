"""The review studio in a real browser: Debian's Chromium driven by Playwright (never a
downloaded browser), against the app under uvicorn on a free loopback port."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from .helpers import Server, running_server
from .inprocess import Studio

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"studio-{name}.png"), full_page=True)


def sign_in(page: Page, server: Server) -> None:
    """Open the studio and sign in with the server's admin token, as a person would."""
    page.goto(server.http)
    page.get_by_label("API token").fill(server.token or "")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#whoami")).to_contain_text("Administrator (admin)")


def start_moa_to_the_narration(page: Page) -> None:
    """Start a moa video and accept its scene plan: the narration is then under review."""
    page.get_by_label("Video type").select_option("moa")
    page.get_by_label("Drug name").fill("Aspirin")
    page.get_by_label("Condition").fill("cardiovascular disease")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#stage-title")).to_have_text("Scene plan", timeout=10_000)
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#stage-title")).to_have_text("Narration", timeout=10_000)


def fill_social_brief(page: Page) -> None:
    page.get_by_label("Video type").select_option("social_media")
    page.get_by_label("Drug name").fill("Metformin")
    page.get_by_label("Indication").fill("type 2 diabetes")
    page.get_by_label("Key benefit").fill("helps keep blood sugar in a healthy range")
    page.get_by_label("Quality").select_option("low")


def test_the_studio_asks_for_a_token_and_signs_in_with_a_cookie(page: Page, server: Server,
                                                                 artifacts_dir: Path) -> None:
    page.goto(server.http)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#main")).to_be_hidden()
    page.get_by_label("API token").fill("cs_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_contain_text("not valid")
    shot(page, artifacts_dir, "sign-in")
    sign_in(page, server)
    cookie = next(c for c in page.context.cookies() if c["name"] == "creator_login")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # the page's scripts cannot read it
    page.reload()  # the cookie keeps the studio signed in
    expect(page.locator("#whoami")).to_contain_text("Administrator")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_the_form_is_built_from_the_servers_schemas(page: Page, server: Server) -> None:
    sign_in(page, server)
    options = page.locator("#video-type option").all_inner_texts()
    assert len(options) == 5 and "Social media short" in options
    page.get_by_label("Video type").select_option("compliance_video")
    expect(page.get_by_label("Reference documents")).to_have_attribute("maxlength", "20000")
    expect(page.locator("#video-type-stages")).to_contain_text("animations")
    page.get_by_label("Video type").select_option("moa")
    expect(page.get_by_label("Quality")).to_have_value("high")


def test_field_errors_from_the_server_show_next_to_their_fields(page: Page, server: Server, artifacts_dir: Path) -> None:
    sign_in(page, server)
    page.get_by_label("Video type").select_option("social_media")
    page.get_by_label("Drug name").fill("   ")  # blank: the server says what is missing
    page.get_by_role("button", name="Start").click()
    for field in ("drug_name", "indication"):
        error = page.locator(f"#field-{field}-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text("is required")
    expect(page.get_by_label("Drug name")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Drug name")).to_be_focused()
    shot(page, artifacts_dir, "field-errors")
    page.get_by_label("Drug name").fill("Metformin")
    # Fixed, the same connection starts the session.
    page.get_by_label("Indication").fill("type 2 diabetes")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#session")).to_contain_text("social_media")


def test_a_reviewer_goes_from_brief_to_a_playable_video(page: Page, server: Server, artifacts_dir: Path) -> None:
    sign_in(page, server)
    fill_social_brief(page)
    page.get_by_role("button", name="Start").click()

    expect(page.locator("#stage-title")).to_have_text("Scene plan", timeout=60_000)
    expect(page.locator(".card")).to_have_count(6)
    expect(page.locator("#stepper li").first).to_have_attribute("data-state", "review")
    shot(page, artifacts_dir, "1-scenes")
    page.get_by_role("button", name="Accept").click()

    expect(page.locator("#stage-title")).to_have_text("Narration", timeout=60_000)
    expect(page.locator(".narration li")).to_have_count(6)
    page.get_by_label("Feedback for a new version").fill("Make the script more concise and patient-friendly")
    page.get_by_role("button", name="Regenerate").click()
    expect(page.get_by_role("tab", name="v2")).to_have_attribute("aria-selected", "true", timeout=60_000)
    expect(page.locator("#changes")).to_contain_text("What changed since v1")
    expect(page.locator("#changes")).to_contain_text("Understood: shorter, simpler")
    assert page.locator("#changes del").count() > 0 and page.locator("#changes ins").count() > 0
    shot(page, artifacts_dir, "2-script-v2")
    page.get_by_role("tab", name="v1").click()
    expect(page.locator("#changes")).to_be_hidden()
    # No references in this brief: every claim is marked unsupported, with why on hover, and
    # Accept is refused until the reviewer acknowledges the warnings.
    expect(page.locator(".warnings")).to_contain_text("to acknowledge before accepting")
    expect(page.locator("mark.claim.unsupported").first).to_have_attribute("title", re.compile("no_reference"))
    page.get_by_role("button", name="Accept").click()
    expect(page.locator("#connection")).to_contain_text("acknowledge_warnings")
    page.get_by_label(re.compile("I have read the \\d+ warnings")).check()
    page.get_by_role("button", name="Accept").click()

    expect(page.locator("#running")).to_be_visible(timeout=30_000)
    expect(page.locator("#stage-title")).to_have_text("Visuals", timeout=240_000)
    expect(page.locator(".clips video")).to_have_count(6)
    shot(page, artifacts_dir, "3-visuals")
    page.get_by_role("button", name="Accept").click()

    expect(page.locator("#stage-title")).to_have_text("Voice", timeout=240_000)
    expect(page.locator("audio")).to_have_count(6)
    shot(page, artifacts_dir, "4-voice")
    page.get_by_role("button", name="Accept").click()

    expect(page.locator("#stage-title")).to_have_text("Final cut", timeout=240_000)
    # A comment on the exact moment: made at the player's time, and its time seeks the player.
    cut = page.locator("#stage-content video")
    page.wait_for_function("() => document.querySelector('#stage-content video').readyState >= 1", timeout=30_000)
    cut.evaluate("video => { video.currentTime = 5; }")
    page.get_by_label("Comment on this version").fill("The safety line needs a beat longer")
    page.get_by_label("at the player's current time").check()
    page.get_by_role("button", name="Add comment").click()
    seek = page.get_by_role("button", name="▶ 5.0 s")
    expect(seek).to_be_visible()
    cut.evaluate("video => { video.currentTime = 0; }")
    seek.click()
    page.wait_for_function("() => Math.abs(document.querySelector('#stage-content video').currentTime - 5) < 0.1")
    shot(page, artifacts_dir, "5-final-cut")
    # The render's compliance checks are listed; the brief gave no risks, so risk_content fails
    # and must be acknowledged like the narration's claims.
    expect(page.locator(".compliance")).to_contain_text("✓ dual_modality")
    expect(page.locator(".compliance")).to_contain_text("✗ risk_content")
    page.get_by_label(re.compile("I have read the")).check()
    page.get_by_role("button", name="Accept").click()

    player = page.locator("#final-video")
    expect(player).to_be_visible(timeout=30_000)
    page.wait_for_function(
        "() => { const v = document.querySelector('#final-video'); return v.readyState >= 1 && isFinite(v.duration); }",
        timeout=30_000,
    )
    duration = player.evaluate("video => video.duration")
    assert 20 <= duration <= 45
    expect(page.get_by_role("link", name="Download the MP4")).to_have_attribute("download", re.compile(r"^vid_\w+\.mp4$"))
    shot(page, artifacts_dir, "6-done")


def test_a_stage_error_offers_regenerate_and_stop(page: Page, tmp_path: Path, artifacts_dir: Path) -> None:
    # Instant stand-in stages, the voice told to fail: this is about the studio. (A real voice
    # that cannot speak, and its message, are tests/test_stage_errors.py's.)
    studio = Studio(tmp_path / "data").start()
    studio.fakes.fail("tts")
    try:
        assert studio.server is not None
        sign_in(page, studio.server)
        fill_social_brief(page)
        page.get_by_role("button", name="Start").click()
        for stage in ("Scene plan", "Narration", "Visuals"):
            expect(page.locator("#stage-title")).to_have_text(stage, timeout=10_000)
            page.get_by_role("button", name="Accept").click()
        alert = page.locator("#stage-error")
        expect(alert).to_contain_text("Voice (version 1) failed", timeout=10_000)
        expect(alert).to_contain_text("the fake tts stage was told to fail")
        expect(page.get_by_role("button", name="Accept")).to_be_hidden()
        expect(page.get_by_role("button", name="Regenerate")).to_be_visible()
        shot(page, artifacts_dir, "stage-error")
        page.get_by_role("button", name="Stop").click()
        expect(page.locator("#connection")).to_have_text("Session stopped")
    finally:
        studio.stop()


def test_the_studio_reconnects_by_itself_and_the_review_goes_on(page: Page, tmp_path: Path,
                                                                  artifacts_dir: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as doomed:
        port = doomed.port
        sign_in(page, doomed)
        fill_social_brief(page)
        page.get_by_role("button", name="Start").click()
        expect(page.locator("#stage-title")).to_have_text("Scene plan", timeout=60_000)
        doomed.process.kill()
        expect(page.locator("#connection")).to_contain_text("Connection lost: reconnecting", timeout=15_000)
        expect(page.locator("#actions")).to_be_hidden()
        shot(page, artifacts_dir, "reconnecting")
    with running_server(data, port=port):
        expect(page.locator("#connection")).to_contain_text("Reconnected", timeout=30_000)
        expect(page.locator("#stage-title")).to_have_text("Scene plan")
        expect(page.get_by_role("tab", name="v1")).to_have_attribute("aria-selected", "true")
        page.get_by_role("button", name="Accept").click()
        expect(page.locator("#stage-title")).to_have_text("Narration", timeout=60_000)
        # A reload resumes too: the token is in this tab's sessionStorage.
        page.reload()
        expect(page.locator("#connection")).to_contain_text("Resumed", timeout=30_000)
        expect(page.locator("#stage-title")).to_have_text("Narration", timeout=30_000)
        expect(page.locator("#stepper li").first).to_have_attribute("data-state", "accepted")
        shot(page, artifacts_dir, "resumed-after-reload")


def test_requests_that_get_no_answer_are_said_in_the_page_and_never_thrown(page: Page, tmp_path: Path) -> None:
    """CI once caught a 'Failed to fetch' thrown by the room's request as a server went away.
    Here the answers never come, deterministically: the page says so, and the review goes on."""
    studio = Studio(tmp_path / "data").start()
    try:
        assert studio.server is not None
        sign_in(page, studio.server)
        start_moa_to_the_narration(page)
        page.route(re.compile(r"/videos/[^/?]+(/comments|/audit)?$"), lambda route: route.abort())
        page.reload()
        expect(page.locator("#connection")).to_contain_text("Resumed", timeout=10_000)
        expect(page.locator("#background-error")).to_contain_text("Could not load")
        page.locator("#audit-box summary").click()
        expect(page.locator("#audit")).to_contain_text("Could not load the audit trail")
        # The socket still works: the review goes on, and once answers come the notice goes.
        page.unroute_all()
        page.get_by_role("button", name="Accept").click()
        expect(page.locator("#stage-title")).to_have_text("Visuals", timeout=10_000)
        page.reload()
        expect(page.locator("#connection")).to_contain_text("Resumed", timeout=10_000)
        expect(page.locator("#background-error")).to_be_hidden()
    finally:
        studio.stop()
    # The page fixture then checks that nothing was thrown.


def test_the_videos_list_shows_sessions_and_jobs_and_a_job_opens_to_watch(page: Page, server: Server) -> None:
    job = httpx.post(f"{server.http}/create-sm", json={"drug_name": "Metformin", "indication": "type 2 diabetes",
                                                       "quality": "low"}, timeout=10, headers=server.headers).json()
    sign_in(page, server)
    fill_social_brief(page)
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#stage-title")).to_have_text("Scene plan", timeout=60_000)
    mine = page.locator("#videos li").first
    expect(mine).to_contain_text("creator")
    expect(mine.get_by_role("button")).to_have_text("Review")
    row = page.locator(f'#videos li[data-video-id="{job["video_id"]}"]')
    expect(row).to_contain_text("job")
    row.get_by_role("button", name="Watch").click()
    expect(page.locator("#session")).to_contain_text(f"Watching job {job['video_id']}")
    expect(page.locator("#stepper li")).to_have_count(5)
    httpx.delete(f"{server.http}/videos/{job['video_id']}", timeout=30, headers=server.headers)


def test_the_stepper_goes_back_and_shows_skipped_and_reused_stages(page: Page, tmp_path: Path,
                                                                     artifacts_dir: Path) -> None:
    studio = Studio(tmp_path / "data").start()  # instant stand-in stages: this is about the studio
    try:
        assert studio.server is not None
        sign_in(page, studio.server)
        page.get_by_label("Video type").select_option("product_ad")
        for label, value in (("Topic", "New diabetes medication"), ("Brand name", "DiabetEase"),
                             ("Persona", "narrator"), ("Tone", "clear")):
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name="Start").click()
        for title in ("Scene plan", "Narration", "Visuals"):
            expect(page.locator("#stage-title")).to_have_text(title, timeout=10_000)
            page.get_by_role("button", name="Accept").click()
        expect(page.locator("#stage-title")).to_have_text("Animations", timeout=10_000)
        page.get_by_role("button", name="Skip this stage").click()
        expect(page.locator("#stepper li").nth(3)).to_have_attribute("data-state", "skipped", timeout=10_000)
        expect(page.locator("#stage-title")).to_have_text("Voice", timeout=10_000)
        page.get_by_role("button", name="Go back to Narration").click()
        expect(page.locator("#stage-title")).to_have_text("Narration", timeout=10_000)
        page.get_by_role("button", name="Accept").click()
        expect(page.locator("#stage-title")).to_have_text("Visuals", timeout=10_000)
        expect(page.locator("#stepper li").nth(2)).to_contain_text("reused")
        expect(page.locator(".notice")).to_contain_text("nothing this stage reads has changed")
        shot(page, artifacts_dir, "goto-reused")
    finally:
        studio.stop()


def test_a_scene_card_checkbox_redoes_that_scene_only(page: Page, tmp_path: Path) -> None:
    studio = Studio(tmp_path / "data").start()
    try:
        assert studio.server is not None
        sign_in(page, studio.server)
        start_moa_to_the_narration(page)
        page.get_by_label("Redo scene 2 only").check()
        page.get_by_role("button", name="Regenerate").click()
        expect(page.get_by_role("tab", name="v2")).to_have_attribute("aria-selected", "true", timeout=10_000)
        assert ("script", frozenset({1})) in studio.fakes.runs
    finally:
        studio.stop()


def test_a_producer_and_a_reviewer_review_one_video_together(browser: Browser, tmp_path: Path,
                                                             artifacts_dir: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"moa": {"script": ["legal"]}}')
    studio = Studio(tmp_path / "data", approval_policy=policy).start()
    contexts = [browser.new_context(viewport={"width": 1366, "height": 900}) for _ in range(2)]
    try:
        assert studio.server is not None
        producer, reviewer = (context.new_page() for context in contexts)
        rita = studio.add_user("rita", "reviewer", "legal")
        sign_in(producer, studio.server)
        start_moa_to_the_narration(producer)
        expect(producer.locator("#approvals")).to_contain_text("legal: missing")
        video_id = producer.locator("#videos li").first.get_attribute("data-video-id")
        assert video_id
        httpx.post(f"{studio.http}/videos/{video_id}/members", json={"user": "rita", "role": "reviewer"},
                   headers=studio.headers, timeout=10).raise_for_status()

        reviewer.goto(studio.http)
        reviewer.get_by_label("API token").fill(rita)
        reviewer.get_by_role("button", name="Sign in").click()
        expect(reviewer.locator("#whoami")).to_contain_text("Rita (reviewer, legal)")
        reviewer.locator(f'#videos li[data-video-id="{video_id}"]').get_by_role("button", name="Join").click()
        expect(reviewer.locator("#stage-title")).to_have_text("Narration", timeout=10_000)
        for page in (producer, reviewer):
            expect(page.locator("#people")).to_contain_text("Administrator")
            expect(page.locator("#people")).to_contain_text("Rita (legal)")
        reviewer.get_by_label("Comment on this version").fill("Scene 2 overstates the benefit")
        reviewer.get_by_label("Scene", exact=True).select_option("1")
        reviewer.get_by_role("button", name="Add comment").click()
        expect(producer.locator(".comments li")).to_contain_text("Scene 2 overstates the benefit")
        expect(producer.locator(".comments li")).to_contain_text("rita · scene 2")
        producer.get_by_role("button", name="Accept").click()  # refused: legal has not signed
        expect(producer.locator("#connection")).to_contain_text("needs approval from: legal")
        reviewer.get_by_role("button", name="Approve", exact=True).click()
        expect(producer.locator("#approvals")).to_contain_text("legal: approved by Rita")
        shot(producer, artifacts_dir, "review-room-producer")
        shot(reviewer, artifacts_dir, "review-room-reviewer")
        producer.get_by_role("button", name="Accept").click()
        expect(producer.locator("#stage-title")).to_have_text("Visuals", timeout=10_000)
        expect(reviewer.locator("#stage-title")).to_have_text("Visuals", timeout=10_000)
        expect(reviewer.locator("#approvals")).to_be_hidden()  # no policy on visuals, nothing signed yet
        producer.locator("#audit-box summary").click()
        expect(producer.locator("#audit")).to_contain_text("Chain intact")
        expect(producer.locator(".audit")).to_contain_text("approval")
        assert producer.get_by_role("link", name="Download the review package (ZIP)").get_attribute("href") == \
            f"/videos/{video_id}/review-package"
    finally:
        for context in contexts:
            context.close()
        studio.stop()


def test_variants_show_side_by_side_and_one_is_chosen_and_a_fork_is_listed(page: Page, tmp_path: Path,
                                                                            artifacts_dir: Path) -> None:
    studio = Studio(tmp_path / "data").start()
    try:
        assert studio.server is not None
        sign_in(page, studio.server)
        start_moa_to_the_narration(page)
        page.get_by_text("Try variants side by side").click()
        page.get_by_label("One variant per line").fill("more formal\nwarmer, for patients")
        page.get_by_role("button", name="Try these variants").click()
        columns = page.locator(".variant")
        expect(columns).to_have_count(3, timeout=10_000)
        expect(columns.nth(0)).to_contain_text("v1 (under review)")
        expect(columns.nth(2).locator("ins").first).to_contain_text("warmer")
        shot(page, artifacts_dir, "variants")
        page.get_by_role("button", name="Choose v3").click()
        expect(page.get_by_role("tab", name="v3")).to_have_attribute("aria-selected", "true", timeout=10_000)
        page.get_by_role("button", name="Fork").click()
        expect(page.locator("#forks")).to_contain_text("Forked into vid_")
    finally:
        studio.stop()


def test_a_reference_uploaded_in_the_form_is_cited_by_the_narration(page: Page, tmp_path: Path,
                                                                     artifacts_dir: Path) -> None:
    # Real planning stages (instant), stand-ins for the renderers: this is about the studio.
    studio = Studio(tmp_path / "data", real_stages=frozenset({"scenes", "script"})).start()
    label = tmp_path / "label.md"
    label.write_text("# Metformin label (excerpt)\n\nMetformin helps keep blood sugar in a healthy range.\n\n"
                     "## Important Safety Information\nMetformin can cause lactic acidosis, which is rare but serious.\n")
    try:
        assert studio.server is not None
        sign_in(page, studio.server)
        fill_social_brief(page)
        page.get_by_label("Upload a reference (PDF, text or Markdown)").set_input_files(str(label))
        expect(page.get_by_label("References", exact=True).locator("option:checked")).to_have_text(
            "Metformin label (excerpt) (4 sentences)")
        page.get_by_role("button", name="Start").click()
        expect(page.locator("#stage-title")).to_have_text("Scene plan", timeout=10_000)
        page.get_by_role("button", name="Accept").click()
        expect(page.locator("#stage-title")).to_have_text("Narration", timeout=10_000)
        # The benefit claim is marked supported, and its source shows on hover; the label's
        # safety statement is said in the safety scene, so risk_content passes.
        supported = page.locator("mark.claim.supported").filter(has_text="healthy range").first
        expect(supported).to_have_attribute("title", "[1] “Metformin helps keep blood sugar in a healthy range.”")
        expect(page.locator(".compliance")).to_contain_text("✓ risk_content")
        supported.hover()
        shot(page, artifacts_dir, "claims")
    finally:
        studio.stop()


def test_two_final_videos_are_compared_in_synced_players(page: Page, tmp_path: Path, artifacts_dir: Path) -> None:
    studio = Studio(tmp_path / "data").start()
    studio.fakes.real_videos = True  # real MP4s (9 s, a colour per version) from the stand-in render
    try:
        assert studio.server is not None
        sign_in(page, studio.server)
        start_moa_to_the_narration(page)
        for title in ("Narration", "Visuals", "Voice"):
            expect(page.locator("#stage-title")).to_have_text(title, timeout=10_000)
            page.get_by_role("button", name="Accept").click()
        expect(page.locator("#stage-title")).to_have_text("Final cut", timeout=30_000)
        page.get_by_text("Try variants side by side").click()
        page.get_by_label("One variant per line").fill("a calmer cut\na brighter cut")
        page.get_by_role("button", name="Try these variants").click()
        players = page.locator("video.synced")
        expect(players).to_have_count(3, timeout=30_000)
        all_players = "[...document.querySelectorAll('video.synced')]"
        page.wait_for_function(f"() => {all_players}.every(v => v.readyState >= 1 && v.duration > 8)", timeout=30_000)
        page.evaluate(f"() => {all_players}.forEach(v => {{ v.muted = true; }})")  # muted: autoplay is allowed
        # Seeking one seeks the others...
        players.nth(0).evaluate("v => { v.currentTime = 4; }")
        page.wait_for_function(f"() => {all_players}.every(v => Math.abs(v.currentTime - 4) < 0.2)", timeout=10_000)
        # ...playing one plays the others, and pausing one pauses them all.
        players.nth(1).evaluate("v => v.play()")
        page.wait_for_function(f"() => {all_players}.every(v => !v.paused)", timeout=10_000)
        page.wait_for_function(f"() => {all_players}.every(v => v.currentTime > 4.3)", timeout=10_000)
        shot(page, artifacts_dir, "synced-players")
        expect(page.locator("#stage-content")).not_to_contain_text("null")  # empty parts are left out
        players.nth(2).evaluate("v => v.pause()")
        page.wait_for_function(f"() => {all_players}.every(v => v.paused)", timeout=10_000)
        times = page.evaluate(f"() => {all_players}.map(v => v.currentTime)")
        assert max(times) - min(times) < 0.5, times
    finally:
        studio.stop()
