"""The server's long-lived Remotion render workers: `node render.mjs --serve`, each with the
bundle found and Chromium open, rendering one job after another for every session.

Starting Node, finding the bundle and opening the browser costs seconds per job; a worker pays
it once. A job is a line on the worker's stdin naming its job file; the worker answers with
JSON lines carrying the job's id (progress, then `done` or `error`). There are two workers, one
per browser of a job split in two (see remotion.render_frames); a job waits for a free one.

Stopping a job (stop, expiry, a stage timeout) kills its worker, browser and all, within a
fraction of a second; the next job starts a fresh one. Workers are started from one long-lived
thread, because the kernel's parent-death signal (they die if the server dies) is tied to the
thread that forked them, and stage threads come and go.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import threading
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from ..processes import CancelToken, ChildProcessFailed, StageCancelled, die_with_parent, terminate

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2
STARTED = "--- a Remotion worker starts\n"
# Bundling (once per version of the project) and opening Chromium, on a busy machine.
READY_TIMEOUT_SECONDS = 300.0


class RemotionWorker:
    def __init__(self, number: int, log_dir: Path, spawn: Callable[[list[str], Path], subprocess.Popen[str]]):
        self.number = number
        self.log = log_dir / f"remotion-worker-{number}.log"
        self._spawn = spawn
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._jobs = 0
        self.started = 0  # how many processes this worker has started (a restart after a stop adds one)

    def render(self, job_file: Path, *, cancel: CancelToken, on_event: Callable[[dict[str, Any]], None]) -> None:
        """Render one job file; returns when the worker says it is done."""
        process = self._ready(cancel)
        self._jobs += 1
        job_id = self._jobs
        assert process.stdin is not None
        # A stop terminates the worker at once, as it would a child of this job alone.
        cancel.register(process)
        try:
            try:
                process.stdin.write(json.dumps({"id": job_id, "job": str(job_file)}) + "\n")
                process.stdin.flush()
            except OSError as exc:
                self.stop()
                raise ChildProcessFailed(f"the Remotion worker is gone: {exc}") from exc
            for event in self._events(cancel):
                if event.get("id") != job_id:
                    continue
                if "error" in event:
                    raise ChildProcessFailed(f"Remotion: {str(event['error']).strip()[-800:]}")
                on_event(event)
                if event.get("done"):
                    return
        finally:
            cancel.unregister(process)

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            try:
                assert process.stdin is not None
                process.stdin.write("\n")  # an empty line: close the browser and exit
                process.stdin.flush()
                process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                terminate(process)

    def _ready(self, cancel: CancelToken) -> subprocess.Popen[str]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._lines = queue.Queue()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        process = self._spawn(["node", "--serve"], self.log)
        self._process = process
        self.started += 1
        lines = self._lines
        threading.Thread(target=_read_lines, args=(process, lines), name=f"remotion-{self.number}-out",
                         daemon=True).start()
        for event in self._events(cancel, timeout=READY_TIMEOUT_SECONDS):
            if event.get("ready"):
                return process
        raise ChildProcessFailed("the Remotion worker did not start")  # pragma: no cover - _events raises first

    def _events(self, cancel: CancelToken, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """The worker's JSON lines as they come; a stop kills it, an exit is a failure."""
        waited = 0.0
        while True:
            try:
                line = self._lines.get(timeout=POLL_SECONDS)
            except queue.Empty:
                waited += POLL_SECONDS
                if cancel.cancelled:
                    self.stop()
                    raise StageCancelled() from None
                if timeout is not None and waited > timeout:
                    self.stop()
                    raise ChildProcessFailed(f"the Remotion worker was not ready after {timeout:.0f} s") from None
                continue
            if line is None:
                code = self._process.wait() if self._process else None
                self._process = None
                if cancel.cancelled:
                    raise StageCancelled()
                raise ChildProcessFailed(f"the Remotion worker exited ({code}): {_tail(self.log)}")
            if line.startswith("{"):
                yield json.loads(line)

    def stop(self) -> None:
        """Kill the worker, browser and all, now; the next job starts a fresh one."""
        process, self._process = self._process, None
        if process is not None:
            terminate(process)


def _read_lines(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line.strip())
    lines.put(None)


def _tail(log: Path) -> str:
    try:
        return log.read_text(encoding="utf-8", errors="replace").strip()[-800:]
    except OSError:
        return ""


class RemotionWorkers:
    """The pool: `size` workers, each used by one job at a time."""

    def __init__(self, size: int, log_dir: Path, script: Path, cwd: Path, env: dict[str, str]):
        # Last in, first out: the worker just used (its browser open) takes the next job; the
        # second starts only when two jobs run at once.
        self._free: queue.LifoQueue[RemotionWorker] = queue.LifoQueue()
        self._all = [RemotionWorker(n, log_dir, self._spawn) for n in range(1, size + 1)]
        for worker in reversed(self._all):
            self._free.put(worker)
        self._script, self._cwd, self._env = script, cwd, env
        self._requests: queue.Queue[tuple[list[str], Path, Future[subprocess.Popen[str]]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def workers(self) -> list[RemotionWorker]:
        return list(self._all)

    @contextmanager
    def take(self, cancel: CancelToken) -> Iterator[RemotionWorker]:
        while True:
            try:
                worker = self._free.get(timeout=POLL_SECONDS)
                break
            except queue.Empty:
                cancel.raise_if_cancelled()
        try:
            yield worker
        finally:
            self._free.put(worker)

    def close(self) -> None:
        for worker in self._all:
            worker.close()
        if self._thread is not None:
            self._requests.put(None)

    def _spawn(self, command: list[str], log: Path) -> subprocess.Popen[str]:
        """Start a worker process from the spawning thread (see the module's docstring)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._spawn_forever, name="remotion-spawner", daemon=True)
                self._thread.start()
        made: Future[subprocess.Popen[str]] = Future()
        self._requests.put((command, log, made))
        return made.result()

    def _spawn_forever(self) -> None:
        while (request := self._requests.get()) is not None:
            command, log, made = request
            try:
                with open(log, "a", encoding="utf-8") as stderr:
                    stderr.write(STARTED)  # a line per start: how often a worker was started
                    stderr.flush()
                    made.set_result(subprocess.Popen(
                        [command[0], str(self._script), *command[1:]], cwd=self._cwd, env={**os.environ, **self._env},
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True, bufsize=1,
                        start_new_session=True, preexec_fn=die_with_parent(signal.SIGTERM),
                    ))
            except OSError as exc:
                made.set_exception(ChildProcessFailed(f"could not start the Remotion worker: {exc}"))
