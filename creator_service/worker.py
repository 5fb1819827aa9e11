"""The Celery app: heavy work (Manim clips, Remotion key frames, scene encoding and the final
join) runs on worker machines when CREATOR_EXECUTOR=celery.

Start workers with `celery -A creator_service.worker worker --concurrency N` on any machine that
mounts the data folder at the same path as the web server (see docs/scaling.md). Redis is the
broker and the result backend (`CREATOR_BROKER_URL`, default redis://127.0.0.1:6379/0).

What the settings below guarantee:
- a task is acknowledged only when it is done (`task_acks_late`), each worker process takes one
  at a time (`worker_prefetch_multiplier=1`), and a task whose worker process dies is put back
  on the queue for another worker (`task_reject_on_worker_lost`);
- Redis redelivers a task no worker acknowledged after `visibility_timeout`, set longer than the
  longest stage may run, so a slow task is never run twice while it is still running;
- each task's soft and hard time limits come from the stage timeouts; cancellation revokes the
  task with SIGKILL to the worker's pool process, and the Manim child dies with it (it is
  spawned with PR_SET_PDEATHSIG), as does the pool process's long-lived Remotion worker (on
  SIGTERM, closing its browser); the worker itself stays up and starts a new pool process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

from .processes import CancelToken, ChildProcessFailed, python_command, run_child
from .settings import Settings

if TYPE_CHECKING:
    from .rendering.remotion_workers import RemotionWorkers
    from .warm import WarmWorker, WarmWorkers

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
# Above the longest stage timeout: Redis hands an unacknowledged task to another worker only
# after this long, so it must never pass while the task may still be running.
VISIBILITY_MARGIN_SECONDS = 300.0


def broker_url(env: dict[str, str] | None = None) -> str:
    source = os.environ if env is None else env
    return source.get("CREATOR_BROKER_URL", "").strip() or DEFAULT_BROKER


def make_app(settings: Settings | None = None) -> Celery:
    settings = settings or Settings.from_env()
    longest = max([settings.stage_timeout_seconds, *settings.stage_timeouts.values()])
    visuals = settings.stage_timeout("visuals")
    url = broker_url()
    app = Celery("creator_service", broker=url, backend=url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=24 * 3600,
        broker_transport_options={"visibility_timeout": longest + VISIBILITY_MARGIN_SECONDS},
        result_backend_transport_options={"visibility_timeout": longest + VISIBILITY_MARGIN_SECONDS},
        task_soft_time_limit=visuals,
        task_time_limit=visuals + 30,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


app = make_app()


@app.task(name="creator_service.render_job", bind=True)
def render_job(self: Any, kind: str, job_file: str, log: str, background: bool = False) -> dict[str, Any]:
    """Run one render job from the shared data folder in a child process, as the web server's
    own children do: `manim` (the clips listed in `job_file`), `remotion` (the key frames it
    describes, rendered by this process's long-lived Remotion worker) or `ffmpeg` (a scene's
    chunks or the final join, its arguments in `job_file`). The child dies if this process
    does, and runs at the lowest priority if it is `background` work (done ahead of need).
    Only these three programs are ever run: the broker's messages name a kind and a file,
    never a command."""
    from .rendering.ffmpeg import ffmpeg_command
    from .rendering.manim_clips import WORKER_MODULE, child_env

    if kind == "remotion":
        return _render_remotion(self, job_file, Path(log))
    if kind == "ffmpeg":
        arguments = json.loads(Path(job_file).read_text(encoding="utf-8"))["args"]
        command, env = ffmpeg_command(arguments), None
    elif kind == "manim":
        warm = manim_workers().take() if not background else None
        if warm is not None:
            return _render_manim_warm(self, warm, job_file, Path(log))
        command, env = python_command(WORKER_MODULE, job_file), child_env()
    else:
        raise ValueError(f"unknown render job kind {kind!r}")
    token = CancelToken()
    try:
        run_child(command, cancel=token, slots=None, stderr_path=Path(log), what=f"{kind} rendering", env=env,
                  death_signal=signal.SIGKILL, background=background)
    except SoftTimeLimitExceeded:
        token.cancel()  # the stage's time is up: the child goes, the worker stays
        raise
    except ChildProcessFailed as exc:
        raise RuntimeError(str(exc)) from None
    return {"job_file": job_file, "worker": self.request.hostname, "background": background}


_remotion: RemotionWorkers | None = None
_manim: WarmWorkers | None = None


def _local_log_dir(name: str) -> Path:
    """Where this pool process's long-lived workers log: on this machine, not the shared folder."""
    return Path(tempfile.gettempdir()) / name / f"{socket.gethostname()}-{os.getpid()}"


def manim_workers() -> WarmWorkers:
    """This pool process's warm Manim worker (creator_service/warm.py), started by its first
    Manim task: Manim is imported once per pool process, not once per clip, as the web server's
    own pool does. Its parent-death signal ties it to this process: a stop that kills the pool
    process kills it too, and the next pool process starts a fresh one."""
    global _manim
    if _manim is None:
        from .rendering.manim_clips import warm_manim_workers

        _manim = warm_manim_workers(1, _local_log_dir("creator-manim-workers"))
    return _manim


def _render_manim_warm(task: Any, warm: WarmWorker, job_file: str, log: Path) -> dict[str, Any]:
    token = CancelToken()
    log.write_text(f"rendered by the warm Manim worker of pool process {os.getpid()}\n"
                   f"worker log: {warm.log}\n", encoding="utf-8")
    try:
        # At the soft time limit, follow() stops the worker mid-job; the pool process stays.
        manim_workers().follow(warm, Path(job_file), cancel=token, what="manim rendering")
    except ChildProcessFailed as exc:
        raise RuntimeError(str(exc)) from None
    return {"job_file": job_file, "worker": task.request.hostname, "background": False}


def remotion_workers() -> RemotionWorkers:
    """This pool process's long-lived Remotion worker, made by its first Remotion task: the
    bundle found and Chromium open once, for every Remotion task the process runs after, as
    the web server's own workers do (rendering/remotion_workers.py). It is started with the
    parent-death signal SIGTERM: when a stop kills the pool process, it closes its browser
    and goes too, and the next pool process starts a fresh one."""
    global _remotion
    if _remotion is None:
        from .rendering.remotion import render_workers

        _remotion = render_workers(1, _local_log_dir("creator-remotion-workers"))
    return _remotion


def _render_remotion(task: Any, job_file: str, log: Path) -> dict[str, Any]:
    token = CancelToken()
    try:
        with remotion_workers().take(token) as worker:
            log.write_text(f"rendered by the long-lived Remotion worker of pool process {os.getpid()}\n"
                           f"worker log: {worker.log}\n", encoding="utf-8")
            try:
                worker.render(Path(job_file), cancel=token, on_event=lambda event: None)
            except SoftTimeLimitExceeded:
                worker.stop()  # the stage's time is up: the browser goes, the pool process stays
                raise
    except ChildProcessFailed as exc:
        raise RuntimeError(str(exc)) from None
    return {"job_file": job_file, "worker": task.request.hostname}
