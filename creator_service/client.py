"""The spec's Python client for Creator Mode.

    python -m creator_service.client              # review each stage: accept, regenerate, stop
    python -m creator_service.client --auto       # the spec's automated acceptance test
    python -m creator_service.client --resume VIDEO_ID --resume-token T   # carry on after a drop

Every call carries your API token: `--token`, else `CREATOR_TOKEN`, else the admin token the
server wrote on its first start (`$CREATOR_DATA_DIR/admin-token`, default `data/admin-token`).

`--auto` starts a video (social_media unless told otherwise), accepts every stage, verifies
that the pipeline completed and that the server serves the MP4, and prints the video's path.
It exits non-zero, saying why, if any stage fails or the server goes quiet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import httpx
import websockets

DEFAULT_URL = "ws://127.0.0.1:8000/ws/creator"

# The spec's examples, and the brief from the product's own one-line pitch.
EXAMPLE_PAYLOADS: dict[str, dict[str, Any]] = {
    "social_media": {
        "drug_name": "Metformin",
        "indication": "type 2 diabetes",
        "key_benefit": "helps keep blood sugar in a healthy range",
        "target_audience": "patients",
        "persona": "friendly health narrator",
        "tone": "engaging and conversational",
        "quality": "low",
    },
    "moa": {
        "drug_name": "Aspirin",
        "condition": "cardiovascular disease",
        "target_audience": "healthcare professionals",
    },
    "doctor_ad": {
        "drug_name": "Metformin",
        "indication": "type 2 diabetes",
        "moa_summary": "reduces hepatic glucose production and improves insulin sensitivity",
        "quality": "low",
    },
    "product_ad": {
        "topic": "New diabetes medication",
        "brand_name": "DiabetEase",
        "persona": "professional narrator",
        "tone": "clear and reassuring",
        "region": "global",
    },
    "compliance_video": {
        "prompt": "Explain the approved use of DiabetEase",
        "brand_name": "DiabetEase",
        # An invented label excerpt: every factual sentence of the video must come from it.
        "reference_docs": (
            "DiabetEase (exampleglutide) is indicated as an adjunct to diet and exercise to "
            "improve glycemic control in adults with type 2 diabetes mellitus.\n"
            "DiabetEase is taken by mouth once daily, with or without food.\n"
            "In a 26-week study, DiabetEase lowered HbA1c by 1.1% compared with 0.3% for placebo.\n"
            "Important Safety Information\n"
            "Do not use DiabetEase in patients with type 1 diabetes or diabetic ketoacidosis.\n"
            "The most common side effects are nausea, diarrhea and headache.\n"
            "DiabetEase may cause low blood sugar when used with insulin or a sulfonylurea."
        ),
    },
}


class ClientFailure(Exception):
    pass


# Refusals after which an interactive reviewer simply chooses again.
RECOVERABLE = {"action_not_allowed", "regeneration_limit", "rate_limited", "forbidden"}


def summarise(event: dict[str, Any]) -> str:
    """A reviewer-friendly view of a completed stage."""
    stage, data = event["stage"], event["data"]
    lines = [f"== {stage} v{event['version']} ({event['progress']['current']}/{event['progress']['total']}) =="]
    if stage == "scenes":
        for scene in data["scenes_data"]["scenes"]:
            lines.append(
                f"  {scene['index'] + 1}. [{scene['kind']}] {scene['on_screen_text']} "
                f"(~{scene['target_seconds']:.1f} s) - {scene['visual']}"
            )
        lines.append(f"  total ~{data['scenes_data']['total_seconds']:.0f} s")
    elif stage == "script":
        for scene in data["script"]["scenes"]:
            lines.append(
                f"  {scene['scene_index'] + 1}. ({scene['word_count']} words, "
                f"~{scene['estimated_seconds']:.1f} s) {scene['text']}"
            )
        lines.append(f"  {data['total_words']} words, ~{data['estimated_seconds']:.0f} s")
    elif stage in ("visuals", "animations"):
        for clip in data.get("clips", []):
            lines.append(f"  scene {clip['scene_index'] + 1}: {clip['url']} ({clip['duration']:.1f} s)")
    elif stage == "tts":
        lines.append(f"  voice: {data['engine']} / {data['voice']}")
        for track in data["tracks"]:
            lines.append(f"  scene {track['scene_index'] + 1}: {track['url']} ({track['duration']:.1f} s)")
    elif stage == "render":
        lines.append(
            f"  {data['video_url']} - {data['duration']:.1f} s, {data['width']}x{data['height']}, "
            f"{data['size_bytes'] / 1e6:.1f} MB"
        )
    feedback = data.get("feedback") or (data.get("script") or data.get("scenes_data") or {}).get("feedback")
    if feedback and (feedback.get("understood") or feedback.get("notes")):
        lines.append(f"  feedback understood: {', '.join(feedback.get('understood', []))}")
        lines.extend(f"  note: {note}" for note in feedback.get("notes", []))
    return "\n".join(lines)


async def run(
    url: str,
    video_type: str,
    payload: dict[str, Any],
    *,
    auto: bool,
    out: TextIO,
    ask: Any = input,
    idle_timeout: float = 600.0,
    resume: tuple[str, str] | None = None,
    token: str | None = None,
) -> str:
    """Drive one session to the end; returns the final video's path. With `resume` (video id,
    resume token), attach to that session instead of starting one. `token` is the API token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with websockets.connect(url, max_size=2**22, additional_headers=headers) as ws:
        if resume is not None:
            await ws.send(json.dumps({"action": "resume", "video_id": resume[0], "resume_token": resume[1]}))
        else:
            await ws.send(json.dumps({"action": "start", "video_type": video_type, "payload": payload}))
        while True:
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=idle_timeout)
            except asyncio.TimeoutError:
                raise ClientFailure(f"the server sent nothing for {idle_timeout:.0f} s") from None
            event = json.loads(raw)
            status = event.get("status")
            if status == "session_started":
                print(f"Video ID: {event['video_id']} ({' -> '.join(event['stage_order'])})", file=out)
                print(f"To carry on after a drop: --resume {event['video_id']} --resume-token {event['resume_token']}",
                      file=out)
            elif status == "session_resumed":
                print(f"Resumed {event['video_id']}: {event['current_stage'] or 'done'} is {event['state']}",
                      file=out)
            elif status == "stage_running":
                print(f"{event['stage']} v{event['version']}: {event['message']}", file=out)
            elif status == "stage_progress":
                if not auto:
                    print(f"  {event['progress']:.0%} {event['detail']}", file=out)
            elif status == "completed":
                print(summarise(event), file=out)
                await _review(ws, event, auto=auto, ask=ask, out=out)
            elif status == "error" and "stage" in event:
                message = f"stage {event['stage']} v{event['version']} failed: {event['error']}"
                if auto:
                    raise ClientFailure(message)
                print(message, file=out)
                choice = ask("[r]egenerate or [s]top? ").strip().lower()
                await _send_choice(ws, "stop" if choice.startswith("s") else "regenerate", ask)
            elif status == "error" and not auto and event.get("code") in RECOVERABLE:
                print(f"refused: {event['error']}", file=out)  # the session is unchanged: choose again
                await _send_choice(ws, "accept" if ask("[a]ccept or [s]top? ").strip().lower()[:1] != "s" else "stop",
                                   ask)
            elif status == "error":
                raise ClientFailure(f"the server refused a message: {event['error']}")
            elif status == "pipeline_complete":
                await _verify_video(event, headers)
                print(f"Done! Video: {event['video_path']}", file=out)
                print(f"Watch it at: {event['video_url']}", file=out)
                return str(event["video_path"])
            elif status == "stopped":
                raise ClientFailure("the session was stopped before the video was finished")
            elif status == "expired":
                raise ClientFailure(event["message"])
            elif status == "stage_skipped":
                print(f"{event['stage']} skipped", file=out)


async def _review(ws: Any, event: dict[str, Any], *, auto: bool, ask: Any, out: TextIO) -> None:
    warnings = event["data"].get("warnings") or []
    for warning in warnings:
        where = f" scene {warning['scene'] + 1}" if warning.get("scene") is not None else ""
        said = f' "{warning["text"]}"' if warning.get("text") else ""
        print(f"  warning [{warning['rule']}]{where}:{said} {warning['detail']}", file=out)
    if auto:
        # The acceptance run reads like a reviewer who has seen the warnings printed above.
        await ws.send(json.dumps({"action": "accept", "acknowledge_warnings": bool(warnings)}))
        return
    if event["data"].get("reused"):
        print("  (offered again: nothing this stage reads has changed)", file=out)
    choice = ask("[a]ccept, [r]egenerate, [s]top, [g]o back to a stage, s[k]ip, or [j]son to see everything? "
                 ).strip().lower()
    while choice.startswith("j"):
        print(json.dumps(event["data"], indent=2))
        choice = ask("[a]ccept, [r]egenerate, [s]top, [g]o back or s[k]ip? ").strip().lower()
    actions = {"r": "regenerate", "s": "stop", "g": "goto", "k": "skip"}
    action = actions.get(choice[:1], "accept")
    if action == "accept" and warnings:
        if ask(f"Acknowledge the {len(warnings)} warning(s) above and accept? [y/N] ").strip().lower()[:1] == "y":
            await ws.send(json.dumps({"action": "accept", "acknowledge_warnings": True}))
            return
        action = "regenerate"
    await _send_choice(ws, action, ask)


async def _send_choice(ws: Any, action: str, ask: Any) -> None:
    message: dict[str, Any] = {"action": action}
    if action == "goto":
        message["stage"] = ask("Back to which stage (e.g. script)? ").strip()
    if action == "regenerate":
        feedback = ask("Feedback (optional): ").strip()
        if feedback:
            message["feedback"] = feedback
    await ws.send(json.dumps(message))


async def _verify_video(event: dict[str, Any], headers: dict[str, str]) -> None:
    """The acceptance test's last check: the server really serves a video at video_url."""
    async with httpx.AsyncClient(timeout=30, headers=headers) as http:
        response = await http.head(event["video_url"])
    if response.status_code != 200 or response.headers.get("content-type") != "video/mp4":
        raise ClientFailure(
            f"video_url answered {response.status_code} {response.headers.get('content-type')}"
        )
    if int(response.headers.get("content-length", "0")) == 0:
        raise ClientFailure("video_url served an empty file")


def api_token(given: str | None) -> str | None:
    """--token, else CREATOR_TOKEN, else the admin token a local server wrote on its first start."""
    if given:
        return given
    if os.environ.get("CREATOR_TOKEN", "").strip():
        return os.environ["CREATOR_TOKEN"].strip()
    path = Path(os.environ.get("CREATOR_DATA_DIR", "").strip() or "data") / "admin-token"
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m creator_service.client", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL, help=f"Creator Mode endpoint (default {DEFAULT_URL})")
    parser.add_argument("--auto", action="store_true", help="accept every stage (acceptance test)")
    parser.add_argument("--video-type", default="social_media", choices=sorted(EXAMPLE_PAYLOADS))
    parser.add_argument("--payload", help="the brief as a JSON object (default: the spec's example)")
    parser.add_argument("--quality", choices=("low", "high"), help="override the brief's quality")
    parser.add_argument("--idle-timeout", type=float, default=600.0,
                        help="give up if the server is silent this long (seconds)")
    parser.add_argument("--resume", metavar="VIDEO_ID", help="attach to this session instead of starting one")
    parser.add_argument("--resume-token", help="the session's resume_token (printed when it started)")
    parser.add_argument("--token", help="your API token (default: $CREATOR_TOKEN, then the admin-token file)")
    args = parser.parse_args(argv)
    if bool(args.resume) != bool(args.resume_token):
        parser.error("--resume and --resume-token go together")
    token = api_token(args.token)
    payload = json.loads(args.payload) if args.payload else dict(EXAMPLE_PAYLOADS[args.video_type])
    if args.quality:
        payload["quality"] = args.quality
    try:
        asyncio.run(
            run(args.url, args.video_type, payload, auto=args.auto, out=sys.stdout,
                idle_timeout=args.idle_timeout, token=token,
                resume=(args.resume, args.resume_token) if args.resume else None)
        )
    except ClientFailure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    except (OSError, websockets.exceptions.WebSocketException) as exc:
        print(f"FAILED: could not talk to {args.url}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
