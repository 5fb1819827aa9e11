"""Durable webhook deliveries: written to the store before they are sent, sent (and retried) by
one outbox task, and sent after a restart if a dead server had not finished them.

Every body carries a `delivery_id`: a receiver that sees one twice (a retry after a lost answer,
or a resend after a restart) drops the duplicate. Job outcomes and stage webhooks both go
through here, with the same safety rules and signature (`webhooks.py`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from typing import Any

from .auth.users import UserDirectory
from .events import EngineEvent, PipelineCompleted, StageCompleted, StageFailed
from .session import CreatorSession
from .settings import Settings
from .store import SessionStore
from .urls import PublicUrls
from .webhooks import send_once

logger = logging.getLogger(__name__)

ATTEMPTS = 3
# Seconds before the second and third attempt.
BACKOFF = (1.0, 4.0)


class Outbox:
    def __init__(self, store: SessionStore, users: UserDirectory, settings: Settings):
        self.store = store
        self.users = users
        self.settings = settings
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Send what is due, including what a previous server left pending."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def enqueue(self, video_id: str, owner: str | None, url: str, payload: dict[str, Any]) -> str:
        """Store a delivery (with its `delivery_id` in the body); the outbox sends it soon."""
        delivery_id = f"dlv_{secrets.token_hex(8)}"
        body = json.dumps({"delivery_id": delivery_id, **payload}, separators=(",", ":"))
        now = time.time()
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO deliveries (delivery_id, video_id, owner, url, body, status, attempts, next_at,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
                (delivery_id, video_id, owner, url, body, now, now, now),
            )
        self._wake.set()
        return delivery_id

    def for_video(self, video_id: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT delivery_id, url, status, attempts, body FROM deliveries WHERE video_id=? ORDER BY created_at",
            (video_id,))
        return [{"delivery_id": d, "url": u, "status": s, "attempts": a, "body": json.loads(b)}
                for d, u, s, a, b in rows]

    # ---- stage webhooks ----------------------------------------------------------------

    def stage_event(self, session: CreatorSession, event: EngineEvent) -> None:
        """A session's `callback_url` hears of every stage completion, stage error and the end."""
        if session.callback_url is None:
            return
        urls = PublicUrls(self.settings.public_url or session.base_url or "", session.video_id)
        payload: dict[str, Any]
        if isinstance(event, StageCompleted):
            payload = {"stage": event.stage, "version": event.version, "status": "completed"}
        elif isinstance(event, StageFailed):
            payload = {"stage": event.stage, "version": event.version, "status": "error", "error": event.error}
        elif isinstance(event, PipelineCompleted):
            version = session.accepted_versions.get("render")
            payload = {"stage": "render", "version": version, "status": "pipeline_complete", "video_url": urls.video}
        else:
            return
        self.enqueue(session.video_id, session.owner, session.callback_url,
                     {"video_id": session.video_id, **payload, "status_url": urls.status})

    # ---- sending ----------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                wait = await self._send_due()
            except Exception:  # the outbox must outlive one bad delivery
                logger.exception("webhook outbox failed")
                wait = 5.0
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass

    async def _send_due(self) -> float:
        """Send every due delivery; seconds until the next one is due."""
        due = self.store.query(
            "SELECT delivery_id, owner, url, body, attempts FROM deliveries WHERE status='pending' AND next_at <= ?"
            " ORDER BY next_at", (time.time(),))
        for delivery_id, owner, url, body, attempts in due:
            user = self.users.get(owner) if owner else None
            if user is None:
                logger.error("webhook %s not sent: no owner whose secret could sign it", delivery_id)
                self._finish(delivery_id, "failed", attempts)
                continue
            outcome = await send_once(url, body.encode(), user.webhook_secret,
                                      allow_private=self.settings.webhook_allow_private)
            attempts += 1
            if outcome == "delivered":
                self._finish(delivery_id, "delivered", attempts)
            elif outcome == "refused" or attempts >= ATTEMPTS:
                logger.error("webhook %s to %s failed after %d attempt(s)", delivery_id, url, attempts)
                self._finish(delivery_id, "failed", attempts)
            else:
                self._finish(delivery_id, "pending", attempts, next_at=time.time() + BACKOFF[attempts - 1])
        upcoming = self.store.query("SELECT MIN(next_at) FROM deliveries WHERE status='pending'")[0][0]
        return 60.0 if upcoming is None else max(0.05, float(upcoming) - time.time())

    def _finish(self, delivery_id: str, status: str, attempts: int, next_at: float | None = None) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE deliveries SET status=?, attempts=?, next_at=COALESCE(?, next_at), updated_at=?"
                       " WHERE delivery_id=?", (status, attempts, next_at, time.time(), delivery_id))
