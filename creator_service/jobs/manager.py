"""Automated jobs: the whole pipeline with every stage accepted, durable across restarts.

A job drives the very same `Pipeline` (and so the same state machine and stage functions) as a
Creator Mode session; where a reviewer would accept, the job accepts. Each completed stage is
written to the store before the next one starts, so after a crash the job resumes at the first
stage without a stored output, reusing everything before it.

At most `max_jobs` pipelines run at once and at most `max_queue` wait; the heavy child processes
of jobs and Creator Mode sessions share the server's process slots, so the machine is never
oversubscribed.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import anyio
import httpx

from ..payloads import BRIEF_MODELS, Brief
from ..pipeline import Pipeline
from ..services import Services
from ..session import CreatorSession, new_video_id
from ..video_types import VIDEO_TYPES
from .store import UNFINISHED, JobRecord, JobStore

logger = logging.getLogger(__name__)

WEBHOOK_ATTEMPTS = 3
WEBHOOK_TIMEOUT = 10.0
# What a refused client is told to wait: roughly one short video's pipeline.
RETRY_AFTER_SECONDS = 30


class QueueFull(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"the job queue is full; retry in {retry_after} s")
        self.retry_after = retry_after


def relative_file_url(video_id: str, relative: str) -> str:
    return f"/videos/{video_id}/files/{relative}"


class JobManager:
    def __init__(self, services: Services, store: JobStore, max_jobs: int, max_queue: int):
        self.services = services
        self.store = store
        self.max_jobs = max_jobs
        self.max_queue = max_queue
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._running: dict[str, Pipeline] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._notifications: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Resume what a previous run left unfinished, then start the workers."""
        for record in await anyio.to_thread.run_sync(self.store.unfinished):
            logger.info("resuming job %s (%s, was %s)", record.video_id, record.video_type, record.status)
            self._queue.put_nowait(record.video_id)
        self._workers = [asyncio.create_task(self._work(n)) for n in range(self.max_jobs)]

    async def stop(self) -> None:
        """Stop working; unfinished jobs stay 'running' or 'queued' in the store and resume later."""
        for worker in self._workers:
            worker.cancel()
        for pipeline in list(self._running.values()):
            await pipeline.shutdown()
        await asyncio.gather(*self._workers, return_exceptions=True)
        for task in list(self._notifications):
            task.cancel()

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    async def submit(self, video_type: str, brief: Brief, callback_url: str | None) -> str:
        if self.waiting >= self.max_queue:
            raise QueueFull(RETRY_AFTER_SECONDS)
        video_id = new_video_id()
        payload = brief.model_dump(mode="json", exclude_none=True)
        await anyio.to_thread.run_sync(self.store.create, video_id, video_type, payload, callback_url)
        self._queue.put_nowait(video_id)
        logger.info("job %s queued (%s)", video_id, video_type)
        return video_id

    async def cancel(self, video_id: str) -> bool:
        """Cancel a queued or running job, ending its child processes. False if it had finished."""
        cancelled = await anyio.to_thread.run_sync(self.store.finish, video_id, "cancelled", "cancelled by request")
        pipeline = self._running.get(video_id)
        if pipeline is not None:
            await pipeline.stop_session()
        return cancelled

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
                await anyio.to_thread.run_sync(self.store.finish, video_id, "failed", "internal error")

    async def _run(self, video_id: str) -> None:
        record = await anyio.to_thread.run_sync(self.store.get, video_id)
        if record is None or record.status not in UNFINISHED:
            return
        stored = await anyio.to_thread.run_sync(self.store.outputs, video_id)
        session = self._session(record, stored)
        if session.stage_index >= len(session.stage_order):
            await self._finished(record, "complete", None)
            return
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        pipeline = Pipeline(session, VIDEO_TYPES[record.video_type], self.services, events.put_nowait,
                            lambda relative: relative_file_url(video_id, relative))
        self._running[video_id] = pipeline
        try:
            await pipeline.begin()
            while True:
                event = await events.get()
                status = event.get("status")
                if status == "stage_running":
                    await anyio.to_thread.run_sync(
                        self.store.mark_running, video_id, event["stage"], session.stage_index,
                        dict(session.stage_versions),
                    )
                elif status == "completed":
                    stage = event["stage"]
                    await anyio.to_thread.run_sync(
                        self.store.save_output, video_id, stage, event["version"],
                        session.stage_outputs[stage], session.stage_index + 1,
                    )
                    await pipeline.accept_stage()
                elif status == "error" and "stage" in event:
                    await self._finished(record, "failed", f"{event['stage']}: {event['error']}")
                    return
                elif status == "pipeline_complete":
                    await self._finished(record, "complete", None)
                    return
                elif status == "stopped":
                    return
        finally:
            self._running.pop(video_id, None)
            await pipeline.shutdown()

    def _session(self, record: JobRecord, stored: dict[str, Any]) -> CreatorSession:
        video_type = VIDEO_TYPES[record.video_type]
        brief = BRIEF_MODELS[record.video_type].model_validate(record.payload)
        order = video_type.stage_order
        done = 0
        while done < len(order) and order[done] in stored:
            done += 1
        outputs = {stage: stored[stage][1] for stage in order[:done]}
        video_dir = self.services.settings.data_dir / record.video_id
        video_dir.mkdir(parents=True, exist_ok=True)
        return CreatorSession(
            video_id=record.video_id,
            video_type=record.video_type,
            payload=brief,
            stage_order=order,
            video_dir=video_dir,
            # Resume at the first stage without a stored output; its earlier attempt, if a crash
            # interrupted one, keeps its version number, so nothing already written is reused.
            stage_index=done,
            stage_outputs=dict(outputs),
            accepted=dict(outputs),
            stage_versions=dict(record.versions),
        )

    async def _finished(self, record: JobRecord, status: str, error: str | None) -> None:
        changed = await anyio.to_thread.run_sync(self.store.finish, record.video_id, status, error)
        logger.info("job %s %s%s", record.video_id, status, f": {error}" if error else "")
        if changed and record.callback_url:
            task = asyncio.create_task(self._notify(record, status, error))
            self._notifications.add(task)
            task.add_done_callback(self._notifications.discard)

    async def _notify(self, record: JobRecord, status: str, error: str | None) -> None:
        """POST the outcome to the job's callback URL, retrying a few times with backoff."""
        body = {
            "video_id": record.video_id, "video_type": record.video_type, "status": status, "error": error,
            "status_url": f"{self._base_url()}/videos/{record.video_id}",
            "video_url": f"{self._base_url()}/videos/{record.video_id}/video" if status == "complete" else None,
        }
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:
            for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
                try:
                    response = await client.post(record.callback_url, json=body)  # type: ignore[arg-type]
                    if response.status_code < 400:
                        return
                    logger.warning("webhook %s answered %s", record.callback_url, response.status_code)
                except httpx.HTTPError as exc:
                    logger.warning("webhook %s failed: %s", record.callback_url, exc)
                if attempt < WEBHOOK_ATTEMPTS:
                    await asyncio.sleep(2 ** (attempt - 1))
        logger.error("webhook for %s gave up after %d attempts", record.video_id, WEBHOOK_ATTEMPTS)

    def _base_url(self) -> str:
        settings = self.services.settings
        return settings.public_url or f"http://{settings.host}:{settings.port}"

    def final_video(self, video_id: str, stored: dict[str, Any]) -> Path | None:
        render = stored.get("render")
        if render is None:
            return None
        return self.services.settings.data_dir / video_id / render[1].path
