"""`Pipeline`: the session engine, one video's run through its stages.

It is the state machine's model: the machine decides which trigger is legal, the pipeline's
callbacks do the work. Every change is written to the store first and then announced as a typed
domain event (`events.py`) to whoever subscribed; the engine never speaks wire JSON.

Stage work runs as its own asyncio task (a trigger fired while an async callback runs would
cancel that callback) and in a worker thread (so the event loop stays responsive); the task
reports back with `stage_done` / `stage_failed`.

Creator Mode and the automated jobs are this same engine with two acceptance policies: a
reviewer's `accept`, or `session.auto_accept`, which accepts each stage as it completes.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import Callable

import anyio

from .ahead import WorkAhead
from .events import (
    EngineEvent,
    PipelineCompleted,
    SessionExpired,
    SessionStopped,
    StageCompleted,
    StageFailed,
    StageProgressed,
    StageSkipped,
    StageStarted,
    Subscriber,
    VariantsReady,
)
from .machine import build_machine
from .models import FinalVideo, ScenePlan, Script, StageOutput
from .payloads import FieldError
from .processes import CancelToken, ChildProcessFailed, StageCancelled
from .protocol import ErrorCode, ProtocolError, Variant
from .rendering.clips_together import ClipsTogether, Seat
from .review import Review
from .services import Services
from .session import CreatorSession, StageAttempt
from .stages.context import ProgressReporter, StageContext, StageFailure
from .store import Decision, DecisionAction, SessionStore
from .video_types import OPTIONAL_STAGES, PER_SCENE_STAGES, VideoType

logger = logging.getLogger(__name__)

# A refusal names what someone else did this recently (two producers acting at once).
RECENT_SECONDS = 10.0
# Progress is sent when it changes (at most this often) ...
PROGRESS_MIN_INTERVAL = 0.5
# ... and repeated at least this often while a stage runs, so a client knows it is alive.
PROGRESS_HEARTBEAT = 2.0
# How long a stage waits for cancelled work ahead to let go of its slot (its ffmpeg gets SIGTERM,
# then SIGKILL after TERMINATE_GRACE_SECONDS).
AHEAD_STOP_SECONDS = 3.0


class Pipeline:
    # Set by the state machine.
    state: str

    def __init__(
        self,
        session: CreatorSession,
        video_type: VideoType,
        services: Services,
        store: SessionStore,
        initial_state: str = "idle",
    ) -> None:
        self.session = session
        self.video_type = video_type
        self.services = services
        self.store = store
        self._subscribers: list[Subscriber] = []
        self._stage_task: asyncio.Task[None] | None = None
        self._cancel: CancelToken | None = None
        self._latest_progress: StageProgressed | None = None
        self._actor: str | None = None
        # The warnings the reviewer acknowledged with the accept now running, for the audit trail.
        self._acknowledged: str | None = None
        self._goto_target = ""
        self._chosen: StageAttempt | None = None
        self._branch: list[Variant] | None = None
        self._quiet = False
        self.last_decision: Decision | None = None
        self._last_decision_at = 0.0
        self._reusing = False
        self._advancing = False
        # Actions from every attached connection are applied one at a time, in arrival order.
        self._actions = asyncio.Lock()
        self._ahead = WorkAhead(f"ahead-{session.video_id}")
        self.machine = build_machine(self, initial_state)

    # ---- subscribers ---------------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Receive every event from now on; returns the function that stops it."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def _publish(self, event: EngineEvent) -> None:
        if isinstance(event, StageProgressed):
            self._latest_progress = event
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # one broken adapter must not stop the others or the engine
                logger.exception("subscriber failed on %s", type(event).__name__)

    def replay(self) -> list[EngineEvent]:
        """The event(s) that describe the session now, as they were first announced: what a
        client that attaches late needs to carry on."""
        session = self.session
        stage = session.current_stage
        attempt = session.latest_attempt()
        if self.state == "running" and attempt is not None:
            events: list[EngineEvent] = [StageStarted(session.video_id, attempt.stage, attempt.version)]
            progress = self._latest_progress
            if progress is not None and (progress.stage, progress.version) == (attempt.stage, attempt.version):
                events.append(progress)
            return events
        if self.state == "awaiting_review":
            return [self._completed_event(stage)]
        if self.state == "error" and attempt is not None:
            return [StageFailed(session.video_id, attempt.stage, attempt.version, attempt.error or "failed")]
        if self.state == "complete":
            return [self._pipeline_completed_event()]
        if self.state == "stopped":
            return [SessionStopped(session.video_id)]
        return []

    # ---- public API (what a client may ask) ---------------------------------------------------

    async def begin(self) -> None:
        await self.start()  # type: ignore[attr-defined]

    async def resume_work(self) -> None:
        """After a restore: restart what a dead server was running, and let the automatic
        policy accept what completed before it could."""
        if self.state == "idle":
            await self.begin()
        elif self.state == "awaiting_review" and self.session.auto_accept:
            await self.accept_stage()

    def restored(self) -> None:
        """Brought back from the store (after a restart, or as a fork) with the voice under review:
        the render's work ahead starts again, as it did when the voice was first ready."""
        if self.state == "awaiting_review" and self.session.current_stage == "tts":
            self._start_work_ahead()

    async def accept_stage(self, actor: str | None = None, acknowledge_warnings: bool = False) -> None:
        async with self._actions:
            await self._require("accept")
            self._check_approvals()
            self._acknowledged = self._check_warnings(acknowledge_warnings or self.session.auto_accept)
            self._actor = actor
            await self.accept()  # type: ignore[attr-defined]

    async def regenerate_stage(self, feedback: str | None, actor: str | None = None,
                               scenes: list[int] | None = None) -> None:
        async with self._actions:
            await self._require("regenerate")
            if scenes is not None:
                self._check_scenes(scenes)
            self._check_attempts()
            self.session.user_feedback = feedback
            self.session.user_scenes = sorted(scenes) if scenes is not None else None
            # Recorded as running: after a crash from here on, the next server runs the new version.
            self._record("running", decision=self._decision("regenerate", feedback, actor))
            await self.regenerate()  # type: ignore[attr-defined]

    async def hand_to_auto(self, actor: str | None = None) -> None:
        """The reviewer trusts the rest: accept every remaining stage as it completes."""
        async with self._actions:
            if self.state in ("complete", "stopped", "expired"):
                await self._require("auto")
            self.session.auto_accept = True
            self._record(self.state, decision=self._decision("auto", actor=actor))
        if self.state == "awaiting_review":
            await self.accept_stage(actor)

    async def skip_stage(self, actor: str | None = None) -> None:
        """Skip the current stage if it is optional, whatever it is doing; the next one runs."""
        async with self._actions:
            await self._require("skip")
            stage = self.session.current_stage
            if stage not in OPTIONAL_STAGES:
                needed_by = [s for s in self.video_type.needed_by(stage) if s in self.session.stage_order]
                why = f"{', '.join(needed_by)} need{'s' if len(needed_by) == 1 else ''} it" if needed_by \
                    else "it makes the video"
                raise ProtocolError(
                    ErrorCode.ACTION_NOT_ALLOWED,
                    f"stage '{stage}' cannot be skipped: {why} (only {', '.join(sorted(OPTIONAL_STAGES))}"
                    " may be skipped)",
                )
            self._actor = actor
            await self.skip()  # type: ignore[attr-defined]

    async def goto_stage(self, stage: str, actor: str | None = None) -> None:
        """Make a stage already reached current again, offering its accepted (or latest) version."""
        async with self._actions:
            session = self.session
            if self.state == "running":
                raise ProtocolError(ErrorCode.ACTION_NOT_ALLOWED,
                                    f"action 'goto' is not allowed now: stage '{session.current_stage}' is running;"
                                    " wait for its result")
            if stage not in session.stage_order or session.stage_order.index(stage) > session.stage_index:
                raise ProtocolError(ErrorCode.ACTION_NOT_ALLOWED,
                                    f"action 'goto' is not allowed: stage {stage!r} has not been reached yet"
                                    f" (the session is at '{session.current_stage}')")
            if stage in session.skipped or stage not in session.stage_outputs:
                raise ProtocolError(ErrorCode.ACTION_NOT_ALLOWED,
                                    f"action 'goto' is not allowed: stage {stage!r} has no completed version"
                                    " to go back to")
            await self._require("goto")
            self._actor = actor
            self._goto_target = stage
            await self.goto()  # type: ignore[attr-defined]

    async def branch_stage(self, variants: list[Variant], actor: str | None = None) -> None:
        """Try several versions of the stage at once: one per variant (feedback, scenes)."""
        async with self._actions:
            await self._require("branch", trigger="regenerate")
            for variant in variants:
                if variant.scenes is not None:
                    self._check_scenes(variant.scenes)
            self._check_attempts(len(variants))
            self._branch = list(variants)
            summary = " | ".join(v.feedback or "(no feedback)" for v in variants)
            self._record("running", decision=self._decision("branch", summary, actor))
            await self.regenerate()  # type: ignore[attr-defined]

    async def choose_version(self, version: int, actor: str | None = None) -> None:
        """Any completed version of the current stage becomes the one under review ("version 1
        was better"); its `completed` is sent again as it was first sent."""
        async with self._actions:
            await self._require("choose")
            stage = self.session.current_stage
            made = {a.version: a for a in self.session.versions_of(stage)
                    if a.status == "completed" and a.output is not None}
            if version not in made:
                error = (f"{stage} has no completed version {version}; completed versions: "
                         f"{', '.join(map(str, sorted(made))) or 'none'}")
                raise ProtocolError(ErrorCode.INVALID_FIELD, f"field 'version' {error}",
                                    [FieldError(field="version", error=error)])
            self._actor = actor
            self._chosen = made[version]
            await self.choose()  # type: ignore[attr-defined]

    async def stop_session(self, actor: str | None = None) -> None:
        async with self._actions:
            if self.state in ("stopped", "expired"):
                return
            self._actor = actor
            await self.stop()  # type: ignore[attr-defined]

    async def expire_session(self, idle_hours: float) -> None:
        async with self._actions:
            if await self.may_expire():  # type: ignore[attr-defined]
                self._idle_hours = idle_hours
                await self.expire()  # type: ignore[attr-defined]

    async def shutdown(self) -> None:
        """The server is going away: end the stage's work. Its attempt is recorded as cancelled
        and the session as still running, so the next server runs the stage again."""
        self._ahead.cancel()
        await self._cancel_stage()

    async def _require(self, action: str, trigger: str | None = None) -> None:
        if await getattr(self, f"may_{trigger or action}", self._never)():
            return
        stage = self.session.current_stage
        reasons = {
            "running": f"stage '{stage}' is still running; wait for its result",
            "error": f"stage '{stage}' failed; you can 'regenerate' or 'stop'",
            "complete": "the pipeline is complete; only 'stop' is possible",
            "stopped": "the session is stopped",
            "expired": "the session has expired",
            "idle": "no stage has run yet",
            "awaiting_review": f"stage '{stage}' is awaiting review",
        }
        last = self.last_decision
        # When two people act at once, the second is told what the first did.
        recent = last is not None and last.actor and time.monotonic() - self._last_decision_at < RECENT_SECONDS
        happened = f" ({last.actor} sent '{last.action}' on {last.stage} just before)" if recent and last else ""
        raise ProtocolError(
            ErrorCode.ACTION_NOT_ALLOWED,
            f"action '{action}' is not allowed now: {reasons.get(self.state, self.state)}{happened}",
        )

    @staticmethod
    async def _never() -> bool:
        return False

    def announce(self, event: EngineEvent) -> None:
        """A session event that is not the engine's own (presence, comments, approvals): to
        every subscriber, like the rest."""
        self._publish(event)

    def _check_warnings(self, acknowledged: bool) -> str | None:
        """The version under review may carry warnings (unsupported claims, failed compliance
        rules): a plain accept is refused with the list; an acknowledged one records them. The
        automatic policy acknowledges for itself (the warnings stay in the data and the audit)."""
        output = self.session.stage_outputs.get(self.session.current_stage)
        warnings = output.review_warnings() if isinstance(output, (Script, FinalVideo)) else []
        if not warnings:
            return None
        if not acknowledged:
            raise ProtocolError(
                ErrorCode.WARNINGS_UNACKNOWLEDGED,
                f"{self.session.current_stage} has {len(warnings)} warning(s) to acknowledge before it is "
                "accepted: read them, then send accept with \"acknowledge_warnings\": true, or regenerate",
                warnings=[w.model_dump(mode="json") for w in warnings],
            )
        return f"acknowledged {len(warnings)} warning(s): " + "; ".join(
            f"{w.rule}{' (scene ' + str(w.scene + 1) + ')' if w.scene is not None else ''}" for w in warnings)

    def _check_approvals(self) -> None:
        """Under an approval policy, the version under review needs its disciplines' signatures,
        and none of them may have rejected it."""
        session = self.session
        stage = session.current_stage
        if session.mode != "creator" or not session.approvals.get(stage):
            return
        version = session.output_versions[stage]
        missing, rejections = Review(self.store).gate(session, stage, version)
        if rejections:
            who = ", ".join(f"{r['full_name']} ({r['discipline']})" for r in rejections)
            raise ProtocolError(ErrorCode.APPROVAL_REQUIRED,
                                f"{stage} v{version} was rejected by {who}: regenerate it for a new version",
                                missing=missing, rejected_by=[r["user"] for r in rejections])
        if missing:
            raise ProtocolError(ErrorCode.APPROVAL_REQUIRED,
                                f"{stage} v{version} needs approval from: {', '.join(missing)}", missing=missing)

    def _check_scenes(self, scenes: list[int]) -> None:
        """A per-scene regenerate names scenes that exist, once each, on a stage made per scene."""
        session, stage = self.session, self.session.current_stage

        def refuse(error: str) -> ProtocolError:
            return ProtocolError(ErrorCode.INVALID_FIELD, f"field 'scenes' {error}",
                                 [FieldError(field="scenes", error=error)])

        if stage not in PER_SCENE_STAGES:
            raise refuse(f"works on {', '.join(PER_SCENE_STAGES)}, not on the {stage} stage")
        if not scenes:
            raise refuse("must name at least one scene (or leave it out to redo the whole stage)")
        repeated = sorted({index for index in scenes if scenes.count(index) > 1})
        if repeated:
            raise refuse(f"names scene {repeated[0]} more than once")
        plan = session.accepted.get("scenes")
        count = len(plan.scenes) if isinstance(plan, ScenePlan) else 0
        outside = [index for index in scenes if not 0 <= index < count]
        if outside:
            raise refuse(f"scene {outside[0]} is out of range: this video has {count} scenes (0 to {count - 1})")
        if stage not in session.stage_outputs:
            raise refuse(f"needs a completed version of {stage} to keep the other scenes from")

    def _check_attempts(self, more: int = 1) -> None:
        stage = self.session.current_stage
        made = self.session.stage_versions.get(stage, 0)
        limit = self.services.settings.max_attempts_per_stage
        if made + more > limit:
            raise ProtocolError(
                ErrorCode.REGENERATION_LIMIT,
                f"stage '{stage}' has had {made} attempts; the limit is {limit} (CREATOR_MAX_ATTEMPTS_PER_STAGE)."
                " Accept a version, or stop",
                attempts=made, limit=limit,
            )

    # ---- the store ---------------------------------------------------------------------------

    def _decision(self, action: DecisionAction, feedback: str | None = None, actor: str | None = None) -> Decision:
        stage = self.session.current_stage
        return Decision(action, stage, self.session.stage_versions.get(stage), feedback, actor)

    def _take_actor(self) -> str | None:
        # Who fired the trigger now running its callbacks (set under the actions lock).
        actor, self._actor = self._actor, None
        return actor

    def _take_acknowledged(self) -> str | None:
        acknowledged, self._acknowledged = self._acknowledged, None
        return acknowledged

    def _record(self, state: str, *, attempt: StageAttempt | None = None, decision: Decision | None = None,
                error: str | None = None) -> None:
        # Synchronous on purpose: a WAL commit takes well under a millisecond, and writing
        # before announcing must not be interleaved with another trigger.
        self.store.save(self.session, state, attempt=attempt, decision=decision, error=error)
        if decision is not None:
            self.last_decision = decision
            self._last_decision_at = time.monotonic()

    # ---- conditions and callbacks named in machine.TRANSITIONS --------------------------------

    def is_last_stage(self) -> bool:
        return self.session.is_last_stage

    def advance_stage(self) -> None:
        decision = self._decision("accept", self._take_acknowledged(), actor=self._take_actor())
        self.session.accept_current()
        self.session.advance()
        self._advancing = True
        self._record("running", decision=decision)

    def accept_final(self) -> None:
        decision = self._decision("accept", self._take_acknowledged(), actor=self._take_actor())
        self.session.accept_current()
        self._record("complete", decision=decision)

    async def skip_current(self) -> None:
        session = self.session
        stage = session.current_stage
        decision = self._decision("skip", actor=self._take_actor())
        await self._cancel_stage()
        if stage not in session.skipped:
            session.skipped.append(stage)
        session.accepted.pop(stage, None)
        session.accepted_versions.pop(stage, None)
        session.user_feedback = None
        session.advance()
        self._advancing = True
        self._record("running", decision=decision)
        self._publish(StageSkipped(session.video_id, stage))

    def take_chosen(self) -> None:
        session, attempt = self.session, self._chosen
        assert attempt is not None and attempt.output is not None
        session.stage_outputs[attempt.stage] = attempt.output
        session.output_versions[attempt.stage] = attempt.version
        self._record("awaiting_review", decision=Decision("choose", attempt.stage, attempt.version, None,
                                                          self._take_actor()))

    def go_back(self) -> None:
        session = self.session
        stage = self._goto_target
        decision = Decision("goto", stage, session.accepted_versions.get(stage), None, self._take_actor())
        session.stage_index = session.stage_order.index(stage)
        # The version under review is the accepted one, or the latest if none was accepted.
        version = session.accepted_versions.get(stage, session.output_versions[stage])
        attempt = next(a for a in session.versions_of(stage) if a.version == version)
        assert attempt.output is not None
        session.stage_outputs[stage] = attempt.output
        session.output_versions[stage] = version
        session.user_feedback = None
        self._record("awaiting_review", decision=decision)

    def on_enter_running(self) -> None:
        # A fresh context: the task must not inherit the machine's notion of "current trigger",
        # or its own stage_done would be mistaken for part of the trigger that started it.
        self._stage_task = asyncio.get_running_loop().create_task(
            self._run_current_stage(), context=contextvars.Context()
        )

    def on_enter_awaiting_review(self) -> None:
        reused, self._reusing = self._reusing, False
        quiet, self._quiet = self._quiet, False
        if not quiet:
            self._publish(self._completed_event(self.session.current_stage, reused=reused))
        if self.session.current_stage == "tts":
            self._start_work_ahead()
        if self.session.auto_accept:
            # Not from inside this callback: a trigger fired here would be part of stage_done.
            asyncio.get_running_loop().create_task(self._auto_accept(), context=contextvars.Context())

    async def _auto_accept(self) -> None:
        try:
            await self.accept_stage()
        except ProtocolError as exc:  # stopped or expired meanwhile
            logger.info("%s: automatic accept skipped: %s", self.session.video_id, exc.message)

    def on_enter_error(self) -> None:
        quiet, self._quiet = self._quiet, False
        if quiet:
            return
        attempt = self.session.history[-1]
        self._publish(StageFailed(self.session.video_id, attempt.stage, attempt.version, attempt.error or "failed"))

    def on_enter_complete(self) -> None:
        self._publish(self._pipeline_completed_event())

    async def on_enter_stopped(self) -> None:
        self.session.is_active = False
        self._record("stopped", decision=self._decision("stop", actor=self._take_actor()))
        self._ahead.cancel()
        await self._cancel_stage()
        self._publish(SessionStopped(self.session.video_id))

    async def on_enter_expired(self) -> None:
        self.session.is_active = False
        self._record("expired", decision=self._decision("expire"))
        self._ahead.cancel()
        await self._cancel_stage()
        self._publish(SessionExpired(self.session.video_id, getattr(self, "_idle_hours", 0.0)))

    def _completed_event(self, stage: str, reused: bool = False) -> StageCompleted:
        session = self.session
        return StageCompleted(
            session.video_id, stage, session.output_versions[stage], session.stage_outputs[stage],
            position=session.stage_order.index(stage) + 1, total=len(session.stage_order), reused=reused,
        )

    def _reusable(self, stage: str, inputs: str) -> StageAttempt | None:
        """A version of `stage` already made from exactly these inputs (after a goto): the accepted
        one if it qualifies, else the latest. None if the stage must run."""
        made = [a for a in self.session.versions_of(stage)
                if a.status == "completed" and a.output is not None and a.inputs == inputs]
        accepted = self.session.accepted_versions.get(stage)
        return next((a for a in made if a.version == accepted), made[-1] if made else None)

    def _pipeline_completed_event(self) -> PipelineCompleted:
        final = self.session.accepted["render"]
        assert isinstance(final, FinalVideo)
        return PipelineCompleted(self.session.video_id, final)

    # ---- stage execution ---------------------------------------------------------------------

    async def _cancel_stage(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
        task = self._stage_task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            await asyncio.wait({task})

    def _start_work_ahead(self) -> None:
        """The render's work ahead (creator_service/ahead.py), while the reviewer listens to the
        voice, with every other stage the render reads accepted (or skipped): it works for the
        voice under review, so choosing another version restarts it. It stops when any stage
        runs: a render does the rest itself, and any other stage may change what the render
        will need."""
        ahead = self.video_type.render_ahead
        session = self.session
        voice = session.stage_outputs.get("tts")
        if ahead is None or session.auto_accept or voice is None:
            return
        if any(stage not in session.accepted and stage not in session.skipped
               for stage in session.stage_order if stage not in ("tts", "render")):
            return  # a stage the render reads is still to come: there is nothing final to work on
        work_dir = session.video_dir / "render" / "ahead"
        work_dir.mkdir(parents=True, exist_ok=True)
        accepted = {**session.accepted, "tts": voice}

        def work(cancel: CancelToken) -> None:
            ahead(StageContext(
                video_id=session.video_id, video_type=session.video_type, brief=session.payload, stage="render",
                version=0, video_dir=session.video_dir, work_dir=work_dir, feedback=None, previous=None,
                accepted=accepted, progress=lambda fraction, detail: None, cancel=cancel, services=self.services,
            ))

        self._ahead.restart(work)
        logger.info("%s: the render's work ahead started", session.video_id)

    async def _stop_work_ahead(self) -> None:
        """Cancel the work ahead and wait for its slot to be free, so the stage starting now
        finds every slot it could have had."""
        if self._ahead.running:
            self._ahead.cancel()
            await anyio.to_thread.run_sync(self._ahead.join, AHEAD_STOP_SECONDS)

    async def _run_current_stage(self) -> None:
        session = self.session
        stage = session.current_stage
        await self._stop_work_ahead()
        inputs = session.inputs_fingerprint(self.video_type.inputs_of(stage))
        advancing, self._advancing = self._advancing, False
        earlier = self._reusable(stage, inputs) if advancing else None
        if earlier is not None:
            # Moving on after a goto, and nothing this stage reads has changed: offer the version
            # made from the same inputs again. No attempt, no work.
            assert earlier.output is not None
            session.stage_outputs[stage] = earlier.output
            session.output_versions[stage] = earlier.version
            self._reusing = True
            self._record("awaiting_review")
            await self.stage_done()  # type: ignore[attr-defined]
            return
        variants, self._branch = self._branch, None
        if variants:
            await self._run_branch(variants, inputs)
            return
        attempt = session.begin_attempt(inputs)
        cancel = CancelToken()
        self._cancel = cancel
        outcome = await self._execute(attempt, cancel, previous=session.stage_outputs.get(stage))
        if outcome is None:
            return  # cancelled: the attempt says so
        output, error = outcome
        if not await self.may_stage_done():  # type: ignore[attr-defined]
            self._cancelled(attempt)
            return  # stopped meanwhile
        if error is None:
            assert output is not None
            session.record_success(attempt, output)
            self._record("awaiting_review", attempt=attempt)
            await self.stage_done()  # type: ignore[attr-defined]
        else:
            session.record_failure(attempt, error)
            self._record("error", attempt=attempt, error=error)
            await self.stage_failed()  # type: ignore[attr-defined]

    async def _execute(self, attempt: StageAttempt, cancel: CancelToken, previous: StageOutput | None,
                       clips_together: Seat | None = None) -> tuple[StageOutput | None, str | None] | None:
        """Run one attempt's handler: (output, None), (None, the error in words), or None if it
        was cancelled (the attempt is then recorded as such). A branch's variant gets its seat
        at the branch's `ClipsTogether`, and leaves it however the handler ends."""
        session = self.session
        stage, version = attempt.stage, attempt.version
        self._record("running", attempt=attempt)
        self._publish(StageStarted(session.video_id, stage, version))
        work_dir = session.video_dir / stage / f"v{version}"
        work_dir.mkdir(parents=True, exist_ok=True)
        reporter = ProgressReporter()
        context = StageContext(
            video_id=session.video_id,
            video_type=session.video_type,
            brief=session.payload,
            stage=stage,
            version=version,
            video_dir=session.video_dir,
            work_dir=work_dir,
            feedback=attempt.feedback,
            previous=previous,
            accepted=dict(session.accepted),
            progress=reporter,
            cancel=cancel,
            services=self.services,
            scenes=frozenset(attempt.scenes) if attempt.scenes is not None else None,
            later_stages=tuple(session.stage_order[session.stage_order.index(stage) + 1:]),
            clips_together=clips_together,
        )
        handler = self.video_type.handlers[stage]
        progress_task = asyncio.create_task(self._send_progress(reporter, stage, version))
        started = time.monotonic()
        output: StageOutput | None = None
        error: str | None = None
        timeout = self.services.settings.stage_timeout(stage)
        try:
            output = await asyncio.wait_for(
                anyio.to_thread.run_sync(handler, context, abandon_on_cancel=True), timeout
            )
        except asyncio.TimeoutError:
            cancel.cancel()  # kills the stage's children; the abandoned thread then unwinds
            error = f"{stage} timed out after {timeout:g} s"
        except (StageFailure, ChildProcessFailed) as exc:
            # A failed child (ffmpeg, Manim, Remotion) already says what went wrong.
            error = str(exc)
        except StageCancelled:
            self._cancelled(attempt)
            return None
        except asyncio.CancelledError:
            cancel.cancel()
            self._cancelled(attempt)
            raise
        except Exception as exc:  # a bug, not a reviewer's problem: log it whole, say it short
            logger.exception("stage %s v%s of %s crashed", stage, version, session.video_id)
            error = f"the {stage} stage failed unexpectedly: {type(exc).__name__}: {exc}"
        finally:
            progress_task.cancel()
            if clips_together is not None:
                clips_together.leave()
        logger.info(
            "%s %s v%s %s in %.1f s", session.video_id, stage, version,
            "failed" if error else "completed", time.monotonic() - started,
        )
        return output, error

    async def _run_branch(self, variants: list[Variant], inputs: str) -> None:
        """One new version per variant, side by side (the process slots bound the children). Each
        is announced as it ends; then `variants_ready` with what a reviewer needs to choose."""
        session = self.session
        stage = session.current_stage
        base = (session.output_versions[stage], session.stage_outputs[stage]) if stage in session.stage_outputs \
            else None
        attempts = []
        for variant in variants:
            session.user_feedback, session.user_scenes = variant.feedback, variant.scenes
            attempts.append(session.begin_attempt(inputs))
        parent = CancelToken()
        self._cancel = parent
        # Variants that differ only in colour draw their Manim clips in one pass.
        together = ClipsTogether(len(attempts))
        outcomes = await asyncio.gather(*(
            self._settle(attempt, parent.linked(), base[1] if base else None, together.seat())
            for attempt in attempts))
        if any(outcome is None for outcome in outcomes) or not await self.may_stage_done():  # type: ignore[attr-defined]
            return  # stopped meanwhile
        made = [(a.version, a.output, a.error) for a in attempts]
        if base is not None:  # the version under review stays the one the branch started from
            session.stage_outputs[stage], session.output_versions[stage] = base[1], base[0]
        else:
            first = next((a for a in attempts if a.output is not None), None)
            if first is not None:
                session.stage_outputs[stage], session.output_versions[stage] = first.output, first.version
        self._publish(VariantsReady(session.video_id, stage, base, made))
        # Each variant was announced as it ended: the stage's own end is not announced again.
        self._quiet = True
        if stage in session.stage_outputs:
            self._record("awaiting_review")
            await self.stage_done()  # type: ignore[attr-defined]
        else:
            self._record("error", error="every variant failed")
            await self.stage_failed()  # type: ignore[attr-defined]

    async def _settle(self, attempt: StageAttempt, cancel: CancelToken,
                      previous: StageOutput | None, seat: Seat) -> bool | None:
        outcome = await self._execute(attempt, cancel, previous, seat)
        if outcome is None:
            return None
        output, error = outcome
        session = self.session
        if error is None:
            assert output is not None
            session.record_success(attempt, output)
            self._record("running", attempt=attempt)
            self._publish(StageCompleted(
                session.video_id, attempt.stage, attempt.version, output,
                position=session.stage_order.index(attempt.stage) + 1, total=len(session.stage_order)))
            return True
        session.record_failure(attempt, error)
        self._record("running", attempt=attempt)
        self._publish(StageFailed(session.video_id, attempt.stage, attempt.version, error))
        return False

    def _cancelled(self, attempt: StageAttempt) -> None:
        # The session's row says what comes next (stopped, expired, the next stage after a skip,
        # or still running on a shutdown: the next server runs the stage again); the attempt ends.
        self.session.record_cancelled(attempt)
        self.store.save(self.session, self.state, attempt=attempt)

    async def _send_progress(self, reporter: ProgressReporter, stage: str, version: int) -> None:
        sent: tuple[float, str] | None = None
        sent_at = 0.0
        video_id = self.session.video_id
        while True:
            await asyncio.sleep(0.25)
            fraction, detail = reporter.snapshot()
            now = time.monotonic()
            changed = (fraction, detail) != sent
            if (changed and now - sent_at >= PROGRESS_MIN_INTERVAL) or now - sent_at >= PROGRESS_HEARTBEAT:
                self._publish(StageProgressed(video_id, stage, version, round(fraction, 3), detail))
                sent, sent_at = (fraction, detail), now
