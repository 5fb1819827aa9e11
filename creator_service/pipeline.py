"""`Pipeline`: one video's run through its stages, driven by the state machine.

It is the machine's model: the machine decides which trigger is legal, the pipeline's callbacks
do the work and emit the spec's events. Stage work runs as its own asyncio task (a trigger fired
while an async callback runs would cancel that callback) and in a worker thread (so the event
loop stays responsive); the task reports back with `stage_done` / `stage_failed`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import Any, Callable

import anyio

from . import protocol
from .machine import build_machine
from .models import FinalVideo
from .processes import CancelToken, ChildProcessFailed, StageCancelled
from .protocol import ErrorCode, ProtocolError
from .services import Services
from .session import CreatorSession
from .stages.context import ProgressReporter, StageContext, StageFailure
from .video_types import VideoType

logger = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]
FileUrls = Callable[[str], str]

# Progress is sent when it changes (at most this often) ...
PROGRESS_MIN_INTERVAL = 0.5
# ... and repeated at least this often while a stage runs, so a client knows it is alive.
PROGRESS_HEARTBEAT = 2.0


class Pipeline:
    # Set by the state machine.
    state: str

    def __init__(
        self,
        session: CreatorSession,
        video_type: VideoType,
        services: Services,
        emit: EventSink,
        file_urls: FileUrls,
    ) -> None:
        self.session = session
        self.video_type = video_type
        self.services = services
        self._emit = emit
        self._file_urls = file_urls
        self._stage_task: asyncio.Task[None] | None = None
        self._cancel: CancelToken | None = None
        self.machine = build_machine(self)

    # ---- public API (what a client may ask) -------------------------------------------------

    async def begin(self) -> None:
        await self.start()  # type: ignore[attr-defined]

    async def accept_stage(self) -> None:
        await self._require("accept")
        await self.accept()  # type: ignore[attr-defined]

    async def regenerate_stage(self, feedback: str | None) -> None:
        await self._require("regenerate")
        self.session.user_feedback = feedback
        await self.regenerate()  # type: ignore[attr-defined]

    async def stop_session(self) -> None:
        await self.stop()  # type: ignore[attr-defined]

    async def shutdown(self) -> None:
        """The client went away: end the stage's work without telling anyone."""
        self.session.is_active = False
        await self._cancel_stage()

    async def _require(self, action: str) -> None:
        if await getattr(self, f"may_{action}")():
            return
        stage = self.session.current_stage
        reasons = {
            "running": f"stage '{stage}' is still running; wait for its result",
            "error": f"stage '{stage}' failed; you can 'regenerate' or 'stop'",
            "complete": "the pipeline is complete; only 'stop' is possible",
            "stopped": "the session is stopped",
            "idle": "no stage has run yet",
        }
        raise ProtocolError(
            ErrorCode.ACTION_NOT_ALLOWED,
            f"action '{action}' is not allowed now: {reasons.get(self.state, self.state)}",
        )

    # ---- conditions and callbacks named in machine.TRANSITIONS ------------------------------

    def is_last_stage(self) -> bool:
        return self.session.is_last_stage

    def advance_stage(self) -> None:
        self.session.accept_current()
        self.session.advance()

    def accept_final(self) -> None:
        self.session.accept_current()

    def on_enter_running(self) -> None:
        # A fresh context: the task must not inherit the machine's notion of "current trigger",
        # or its own stage_done would be mistaken for part of the trigger that started it.
        self._stage_task = asyncio.get_running_loop().create_task(
            self._run_current_stage(), context=contextvars.Context()
        )

    def on_enter_awaiting_review(self) -> None:
        session = self.session
        stage = session.current_stage
        output = session.stage_outputs[stage]
        self._emit(
            protocol.stage_completed(
                stage,
                session.stage_versions[stage],
                output.client_data(self._file_urls),
                current=session.stage_index + 1,
                total=len(session.stage_order),
            )
        )

    def on_enter_error(self) -> None:
        session = self.session
        attempt = session.history[-1]
        self._emit(protocol.stage_error(attempt.stage, attempt.version, attempt.error or "failed"))

    def on_enter_complete(self) -> None:
        final = self.session.accepted["render"]
        assert isinstance(final, FinalVideo)
        path = (self.session.video_dir / final.path).resolve()
        self._emit(protocol.pipeline_complete(self.session.video_id, str(path), self._file_urls(final.path)))

    async def on_enter_stopped(self) -> None:
        self.session.is_active = False
        await self._cancel_stage()
        self._emit(protocol.stopped(self.session.video_id))

    # ---- stage execution ---------------------------------------------------------------------

    async def _cancel_stage(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
        task = self._stage_task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            await asyncio.wait({task})

    async def _run_current_stage(self) -> None:
        session = self.session
        attempt = session.begin_attempt()
        stage, version = attempt.stage, attempt.version
        self._emit(protocol.stage_running(stage, version, f"Executing {stage}..."))
        work_dir = session.video_dir / stage / f"v{version}"
        work_dir.mkdir(parents=True, exist_ok=True)
        reporter = ProgressReporter()
        cancel = CancelToken()
        self._cancel = cancel
        context = StageContext(
            video_id=session.video_id,
            video_type=session.video_type,
            brief=session.payload,
            stage=stage,
            version=version,
            video_dir=session.video_dir,
            work_dir=work_dir,
            feedback=attempt.feedback,
            previous=session.stage_outputs.get(stage),
            accepted=dict(session.accepted),
            progress=reporter,
            cancel=cancel,
            services=self.services,
        )
        handler = self.video_type.handlers[stage]
        progress_task = asyncio.create_task(self._send_progress(reporter, stage, version))
        started = time.monotonic()
        error: str | None = None
        try:
            output = await anyio.to_thread.run_sync(handler, context, abandon_on_cancel=True)
        except (StageFailure, ChildProcessFailed) as exc:
            # A failed child (ffmpeg, Manim, Remotion) already says what went wrong.
            error = str(exc)
        except StageCancelled:
            session.record_cancelled(attempt)
            return
        except asyncio.CancelledError:
            cancel.cancel()
            session.record_cancelled(attempt)
            raise
        except Exception as exc:  # a bug, not a reviewer's problem: log it whole, say it short
            logger.exception("stage %s v%s of %s crashed", stage, version, session.video_id)
            error = f"the {stage} stage failed unexpectedly: {type(exc).__name__}: {exc}"
        finally:
            progress_task.cancel()
        logger.info(
            "%s %s v%s %s in %.1f s", session.video_id, stage, version,
            "failed" if error else "completed", time.monotonic() - started,
        )
        if not await self.may_stage_done():  # type: ignore[attr-defined]
            return  # stopped meanwhile
        if error is None:
            session.record_success(attempt, output)
            await self.stage_done()  # type: ignore[attr-defined]
        else:
            session.record_failure(attempt, error)
            await self.stage_failed()  # type: ignore[attr-defined]

    async def _send_progress(self, reporter: ProgressReporter, stage: str, version: int) -> None:
        sent: tuple[float, str] | None = None
        sent_at = 0.0
        while True:
            await asyncio.sleep(0.25)
            fraction, detail = reporter.snapshot()
            now = time.monotonic()
            changed = (fraction, detail) != sent
            if (changed and now - sent_at >= PROGRESS_MIN_INTERVAL) or now - sent_at >= PROGRESS_HEARTBEAT:
                self._emit(protocol.stage_progress(stage, version, fraction, detail))
                sent, sent_at = (fraction, detail), now
