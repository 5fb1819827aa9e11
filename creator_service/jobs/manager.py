"""Automated jobs: sessions with the automatic acceptance policy, run from a bounded queue.

A job is a session of mode `auto` in the one session engine: the same `Pipeline`, state machine
and stage functions as Creator Mode, with every stage accepted as it completes. The runner
subscribes to the session's domain events to learn how it ends, records that, and calls the
job's webhook. Every change is in the store as it happens, so after a crash each unfinished job
resumes at its first stage without an accepted output.

At most `max_jobs` jobs run at once and at most `max_queue` wait; the heavy child processes of
jobs and Creator Mode sessions share the server's process slots, so the machine is never
oversubscribed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from ..deliveries import Outbox
from ..events import EngineEvent, PipelineCompleted, SessionExpired, SessionStopped, StageFailed
from ..payloads import Brief
from ..sessions import SessionRegistry
from ..store import UNFINISHED, Decision, SessionRecord
from ..urls import PublicUrls
from ..video_types import VideoType

logger = logging.getLogger(__name__)

# What a refused client is told to wait: roughly one short video's pipeline.
RETRY_AFTER_SECONDS = 30


class QueueFull(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"the job queue is full; retry in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Outcome:
    status: str  # complete, failed or cancelled
    error: str | None = None


def outcome_of(event: EngineEvent) -> Outcome | None:
    """How a job ends, if this event ends it."""
    if isinstance(event, PipelineCompleted):
        return Outcome("complete")
    if isinstance(event, StageFailed):
        # No reviewer will regenerate: the job fails with the stage's own words.
        return Outcome("failed", f"{event.stage}: {event.error}")
    if isinstance(event, (SessionStopped, SessionExpired)):
        return Outcome("cancelled", "cancelled by request")
    return None


class JobManager:
    def __init__(self, registry: SessionRegistry, outbox: Outbox, max_jobs: int, max_queue: int):
        self.registry = registry
        self.outbox = outbox
        self.store = registry.store
        self.max_jobs = max_jobs
        self.max_queue = max_queue
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Resume what a previous run left unfinished, then start the workers."""
        for record in self.store.unfinished():
            if record.mode == "auto":
                logger.info("resuming job %s (%s, was %s)", record.video_id, record.video_type, record.state)
                self._queue.put_nowait(record.video_id)
        self._workers = [asyncio.create_task(self._work(n)) for n in range(self.max_jobs)]

    async def stop(self) -> None:
        """Stop working; unfinished jobs stay unfinished in the store and resume later."""
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def submit(self, video_type: VideoType, brief: Brief, callback_url: str | None, base_url: str,
               owner: str) -> str:
        if self.waiting >= self.max_queue:
            raise QueueFull(RETRY_AFTER_SECONDS)
        opened = self.registry.open(video_type, brief, mode="auto", base_url=base_url, callback_url=callback_url,
                                    owner=owner)
        video_id = opened.pipeline.session.video_id
        self._queue.put_nowait(video_id)
        logger.info("job %s queued (%s)", video_id, video_type.name)
        return video_id

    async def cancel(self, video_id: str, actor: str) -> bool:
        """Cancel an unfinished session, ending its child processes. False if it had ended."""
        record = self.store.get(video_id)
        if record is None or record.state not in UNFINISHED:
            return False
        pipeline = self.registry.get(video_id)
        if pipeline is not None:
            await pipeline.stop_session(actor)
        self.registry.forget(video_id)
        return self.store.set_state(video_id, "cancelled", error="cancelled by request",
                                    only_from=("stopped", *UNFINISHED),
                                    decision=Decision("cancel", record.current_stage, None, actor=actor))

    # ---- running ------------------------------------------------------------------------

    async def _work(self, number: int) -> None:
        while True:
            video_id = await self._queue.get()
            try:
                await self._run(video_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not kill the worker; the job is marked failed
                logger.exception("job %s crashed", video_id)
                self.registry.forget(video_id)
                self.store.set_state(video_id, "failed", error="internal error")

    async def _run(self, video_id: str) -> None:
        pipeline = self.registry.get(video_id)
        if pipeline is None:
            return  # cancelled while it waited
        for event in pipeline.replay():  # a server that died after the job ended, before recording it
            outcome = outcome_of(event)
            if outcome is not None:
                await self._finished(video_id, outcome)
                return
        ended: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

        def watch(event: EngineEvent) -> None:
            outcome = outcome_of(event)
            if outcome is not None and not ended.done():
                ended.set_result(outcome)

        unsubscribe = pipeline.subscribe(watch)
        try:
            await pipeline.resume_work()
            outcome = await ended
        finally:
            unsubscribe()
        if outcome.status != "cancelled":  # a cancel records itself
            await self._finished(video_id, outcome)

    async def _finished(self, video_id: str, outcome: Outcome) -> None:
        self.registry.forget(video_id)
        changed = self.store.set_state(video_id, outcome.status, error=outcome.error,
                                       only_from=(*UNFINISHED, "complete"))
        logger.info("job %s %s%s", video_id, outcome.status, f": {outcome.error}" if outcome.error else "")
        record = self.store.get(video_id)
        if changed and record is not None and record.callback_url:
            self._notify(record, outcome)

    def _notify(self, record: SessionRecord, outcome: Outcome) -> None:
        """The job's outcome to its callback URL, through the durable outbox."""
        urls = PublicUrls(self.registry.services.settings.public_url or record.base_url or "", record.video_id)
        self.outbox.enqueue(record.video_id, record.owner, record.callback_url or "", {
            "video_id": record.video_id, "video_type": record.video_type, "status": outcome.status,
            "error": outcome.error, "status_url": urls.status,
            "video_url": urls.video if outcome.status == "complete" else None,
        })
