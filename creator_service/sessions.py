"""The server-owned session registry: open, restore, attach, detach, expire.

A session belongs to the server, not to a connection. Connections (and the job runner) attach to
it and detach again; it goes on without them. Live sessions are kept in memory; any other
session is restored from the store the first time someone asks for it, so a restart costs
nothing per stored session except for those whose stage was running, which run again.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from .auth.users import User
from .deliveries import Outbox
from .events import EngineEvent, PresenceChanged, SessionExpired, SessionStopped
from .machine import RESTORABLE
from .payloads import Brief
from .pipeline import Pipeline
from .review import load_policy
from .services import Services
from .session import CreatorSession, Mode, hash_token, new_resume_token, new_video_id
from .store import Decision, SessionRecord, SessionStore
from .video_types import VideoType

logger = logging.getLogger(__name__)

# Stored states and the machine state a restored session starts in. A stage that was running
# (or a job still queued) starts from idle: its next version runs as soon as it is resumed.
_RESTORED_STATE = {"queued": "idle", "running": "idle", "awaiting_review": "awaiting_review",
                   "error": "error", "complete": "complete"}


@dataclass(frozen=True)
class OpenedSession:
    pipeline: Pipeline
    # Only for Creator sessions, and only now: the store keeps its hash.
    resume_token: str | None


class SessionRegistry:
    def __init__(self, services: Services, store: SessionStore, video_types: Mapping[str, VideoType],
                 idle_hours: float, outbox: Outbox) -> None:
        self.services = services
        self.outbox = outbox
        self.store = store
        self.video_types = video_types
        self.idle_hours = idle_hours
        self._live: dict[str, Pipeline] = {}
        # Who is attached to each session, once per connection.
        self._people: dict[str, list[User]] = {}
        self._policy = load_policy(services.settings.approval_policy)
        self._sweeper: asyncio.Task[None] | None = None

    # ---- lifespan ------------------------------------------------------------------------

    async def start(self) -> None:
        """Run again every Creator stage that a previous server left running, then watch for
        sessions left idle too long. (Automated jobs are resumed by the job runner.)"""
        for record in self.store.unfinished():
            if record.mode == "creator" and record.state == "running":
                pipeline = self.get(record.video_id)
                if pipeline is not None:
                    logger.info("session %s: running %s again after a restart", record.video_id,
                                record.current_stage)
                    await pipeline.resume_work()
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        for pipeline in list(self._live.values()):
            await pipeline.shutdown()

    # ---- opening and finding -------------------------------------------------------------

    def open(self, video_type: VideoType, brief: Brief, *, mode: Mode, owner: str, base_url: str | None = None,
             callback_url: str | None = None, stage_order: list[str] | None = None,
             approvals: dict[str, list[str]] | None = None) -> OpenedSession:
        """A new session, stored before anyone hears of it. Not started: the caller decides when."""
        video_id = new_video_id()
        video_dir = self.services.settings.data_dir / video_id
        video_dir.mkdir(parents=True, exist_ok=False)
        token = new_resume_token() if mode == "creator" else None
        session = CreatorSession(
            video_id=video_id, video_type=video_type.name, payload=brief,
            stage_order=stage_order or video_type.stage_order,
            video_dir=video_dir, mode=mode, owner=owner, resume_token_hash=hash_token(token) if token else None,
            auto_accept=mode == "auto", callback_url=callback_url, base_url=base_url,
            # Reviews gate Creator sessions only: a job has no reviewer to wait for.
            approvals=(approvals if approvals is not None else self._policy.get(video_type.name, {}))
            if mode == "creator" else {},
        )
        self.store.save(session, "queued", decision=Decision("start", None, None, actor=owner))
        return OpenedSession(self._keep(Pipeline(session, video_type, self.services, self.store)), token)

    def fork(self, source: Pipeline, owner: str) -> OpenedSession:
        """A new session sharing everything accepted so far and the version under review, at the
        same stage. Files are shared by hard links: no copy, no render, and deleting either video
        leaves the other's files whole. New versions in the fork are numbered past every version
        the source had, so they never write into a shared file."""
        original = source.session
        video_id = new_video_id()
        video_dir = self.services.settings.data_dir / video_id
        link_tree(original.video_dir, video_dir)
        token = new_resume_token()
        under_review = original.output_versions.get(original.current_stage)
        shared = [replace(a) for a in original.history if a.status == "completed" and a.output is not None and (
            original.accepted_versions.get(a.stage) == a.version
            or (a.stage == original.current_stage and a.version == under_review))]
        session = CreatorSession(
            video_id=video_id, video_type=original.video_type, payload=original.payload,
            stage_order=list(original.stage_order), video_dir=video_dir, mode="creator", owner=owner,
            resume_token_hash=hash_token(token), base_url=original.base_url, stage_index=original.stage_index,
            stage_outputs=dict(original.stage_outputs), output_versions=dict(original.output_versions),
            stage_versions=dict(original.stage_versions), accepted=dict(original.accepted),
            accepted_versions=dict(original.accepted_versions), history=shared, skipped=list(original.skipped),
            approvals={stage: list(d) for stage, d in original.approvals.items()},
        )
        state = source.state if source.state in ("awaiting_review", "error", "complete") else "awaiting_review"
        self.store.save(session, state, decision=Decision("fork", original.current_stage, under_review, None, owner))
        for attempt in shared:
            self.store.save(session, state, attempt=attempt)
        self.store.audit(original.video_id, owner, "forked", {"into": video_id})
        pipeline = Pipeline(session, source.video_type, self.services, self.store, initial_state=state)
        pipeline.restored()
        return OpenedSession(self._keep(pipeline), token)

    def get(self, video_id: str) -> Pipeline | None:
        """The live session, or the stored one restored; None if it ended or never existed."""
        live = self._live.get(video_id)
        if live is not None:
            return live
        record = self.store.get(video_id)
        if record is None or record.state not in _RESTORED_STATE:
            return None
        pipeline = self._keep(self._restore(record))
        pipeline.restored()
        return pipeline

    def resume(self, video_id: str, token: str) -> Pipeline | None:
        """The session, if `token` is its resume token. Unknown ids and wrong tokens look alike."""
        record_hash = None
        live = self._live.get(video_id)
        if live is not None:
            record_hash = live.session.resume_token_hash
        else:
            record = self.store.get(video_id)
            record_hash = record.resume_token_hash if record is not None else None
        if record_hash is None or not hmac.compare_digest(record_hash, hash_token(token)):
            return None
        pipeline = self.get(video_id)
        if pipeline is None or pipeline.state in ("stopped", "expired"):
            return None
        return pipeline

    # ---- attachments ---------------------------------------------------------------------

    def attach(self, pipeline: Pipeline, user: User) -> None:
        video_id = pipeline.session.video_id
        self.store.touch(video_id)
        self._people.setdefault(video_id, []).append(user)
        self._announce_presence(pipeline)

    def detach(self, pipeline: Pipeline, user: User) -> None:
        video_id = pipeline.session.video_id
        # The idle clock starts when the last one leaves.
        self.store.touch(video_id)
        people = self._people.get(video_id, [])
        if user in people:
            people.remove(user)
            if not people:
                self._people.pop(video_id, None)
            self._announce_presence(pipeline)

    def people(self, video_id: str) -> list[dict[str, object]]:
        seen: dict[str, dict[str, object]] = {}
        for user in self._people.get(video_id, []):
            seen.setdefault(user.name, user.public())
        return list(seen.values())

    def _announce_presence(self, pipeline: Pipeline) -> None:
        video_id = pipeline.session.video_id
        pipeline.announce(PresenceChanged(video_id, self.people(video_id)))

    def attached(self, video_id: str) -> int:
        return len(self._people.get(video_id, []))

    # ---- expiry --------------------------------------------------------------------------

    async def expire_idle(self, now: float | None = None) -> list[str]:
        """End every Creator session nobody has attached to for `idle_hours`."""
        cutoff = (now or time.time()) - self.idle_hours * 3600
        expired = []
        for video_id in self.store.idle_since(cutoff):
            if self.attached(video_id):
                continue
            pipeline = self.get(video_id)
            if pipeline is None:
                continue
            logger.info("session %s expired after %g idle hours", video_id, self.idle_hours)
            await pipeline.expire_session(self.idle_hours)
            expired.append(video_id)
        return expired

    async def _sweep_forever(self) -> None:
        # Often enough that a session ends within a few percent of its idle time.
        interval = max(0.5, min(60.0, self.idle_hours * 3600 / 20))
        while True:
            await asyncio.sleep(interval)
            try:
                await self.expire_idle()
            except Exception:  # the sweeper must outlive any one bad session
                logger.exception("expiring idle sessions failed")

    # ---- internals -----------------------------------------------------------------------

    def _keep(self, pipeline: Pipeline) -> Pipeline:
        video_id = pipeline.session.video_id
        self._live[video_id] = pipeline

        def forget_when_ended(event: EngineEvent) -> None:
            if isinstance(event, (SessionStopped, SessionExpired)):
                self._live.pop(video_id, None)

        pipeline.subscribe(forget_when_ended)
        session = pipeline.session
        if session.mode == "creator" and session.callback_url:
            # Stage webhooks: every completion, stage error and the end, through the durable outbox.
            pipeline.subscribe(lambda event: self.outbox.stage_event(session, event))
        return pipeline

    def forget(self, video_id: str) -> None:
        """Drop a session from memory (it ended outside the engine: a failed or cancelled job)."""
        self._live.pop(video_id, None)

    def _restore(self, record: SessionRecord) -> Pipeline:
        video_type = self.video_types[record.video_type]
        if record.state in ("queued", "running"):
            self.store.mark_interrupted(record.video_id)
        attempts = self.store.attempts(record.video_id)
        session = CreatorSession(
            video_id=record.video_id, video_type=record.video_type,
            payload=video_type.brief_model.model_validate(record.payload), stage_order=list(record.stage_order),
            video_dir=self.services.settings.data_dir / record.video_id, mode=record.mode, owner=record.owner,
            resume_token_hash=record.resume_token_hash, auto_accept=record.auto_accept,
            callback_url=record.callback_url, base_url=record.base_url, created_at=record.created_at,
            stage_index=min(record.stage_index, len(record.stage_order) - 1), user_feedback=record.feedback,
            history=attempts, skipped=list(record.skipped), approvals=dict(record.approvals),
        )
        session.video_dir.mkdir(parents=True, exist_ok=True)
        completed: dict[tuple[str, int], Any] = {}
        for attempt in sorted(attempts, key=lambda a: (a.stage, a.version)):
            session.stage_versions[attempt.stage] = max(session.stage_versions.get(attempt.stage, 0), attempt.version)
            if attempt.status == "completed" and attempt.output is not None:
                session.stage_outputs[attempt.stage] = attempt.output
                session.output_versions[attempt.stage] = attempt.version
                completed[(attempt.stage, attempt.version)] = attempt.output
        for stage, version in record.accepted.items():
            if (stage, version) in completed:
                session.accepted[stage] = completed[(stage, version)]
                session.accepted_versions[stage] = version
        state = _RESTORED_STATE[record.state]
        if state == "awaiting_review" and session.current_stage not in session.stage_outputs:
            state = "idle"  # nothing to review after all: run the stage
        assert state in RESTORABLE
        return Pipeline(session, video_type, self.services, self.store, initial_state=state)


def link_tree(source: Path, target: Path) -> None:
    """`target` as a tree of hard links to `source`'s files (review packages are not shared)."""
    target.mkdir(parents=True, exist_ok=False)
    for folder, directories, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        directories[:] = [d for d in directories if not (relative == Path(".") and d == "review-package")]
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            os.link(Path(folder) / name, target / relative / name)
