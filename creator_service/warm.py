"""Worker processes started ahead of need and kept, so a stage does not wait for their start-up.

`import manim` costs 1.5-2 s of CPU in every new process (`python -X importtime`), a third of
the time to redo one scene; importing Piper and loading its voice costs about a second (more
from a cold disk), a quarter of a tts stage. A pool keeps a few workers that have done that.
Each works in its own process (Manim's configuration is global) and serves one job file at a
time: it reads the file's path on stdin, reports on stdout, ends the job with the line
`{"finished": path}` (`finished_line`), and waits for the next path. The server gives it back
to the pool after that line, so the start-up is paid once per worker, not once per stage.

A worker that fails exits, and its exit is the error (the stage reads its log). A worker that is
stopped mid-job (its session's cancel token kills it) is replaced once it has exited, never
while it works: a replacement's start-up would take a core from the stage that still runs.
After `MAX_JOB_FILES` jobs a worker is let go, so nothing a long run might accumulate in one
process (memory, registered fonts) grows without end.

Workers are children of one long-lived thread: the kernel's parent-death signal is tied to the
thread that forked, and the worker threads of a stage come and go.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .processes import CancelToken, ChildProcessFailed, die_with_parent, finish, terminate

logger = logging.getLogger(__name__)

# A worker serves this many job files, then is let go and replaced.
MAX_JOB_FILES = 25
FINISHED = "finished"


def finished_line(job_file: str) -> str:
    """What a worker prints when it is done with `job_file` and ready for the next."""
    return json.dumps({FINISHED: job_file})


def is_finished(line: str) -> bool:
    return line.startswith('{"' + FINISHED + '"')


def serve_job_files(run: Callable[[Path], int]) -> int:
    """A warm worker's loop, in the worker process: `run` each job file named on stdin, in the
    folder it sits in (which says, to anyone looking at /proc, whose work it is), and say when
    each is done. An empty line or the end of stdin ends it; so does a job that fails."""
    home = os.getcwd()
    for line in sys.stdin:
        path = line.strip()
        if not path:
            break
        os.chdir(Path(path).parent)
        code = run(Path(path))
        if code != 0:
            return code
        # Back out of the video's folder first: an idle worker belongs to nobody.
        os.chdir(home)
        print(finished_line(path), flush=True)
    return 0


@dataclass(eq=False)
class WarmWorker:
    process: subprocess.Popen[str]
    log: Path
    jobs: int = field(default=0)

    def hand(self, job_file: Path, cancel: CancelToken) -> subprocess.Popen[str]:
        """Give the worker its job file, and make it `cancel`'s to stop until it is given back."""
        cancel.register(self.process)
        assert self.process.stdin is not None
        self.jobs += 1
        with contextlib.suppress(OSError):  # stopped meanwhile: waiting for it says so
            self.process.stdin.write(f"{job_file}\n")
            self.process.stdin.flush()
        return self.process


class WarmWorkers:
    """Up to `size` live workers, each started with `command` (which prepares, then serves job
    files named on stdin, `serve_job_files`), logging to `log_dir`/`name`-N.log."""

    def __init__(self, size: int, log_dir: Path, env: dict[str, str], command: list[str], name: str):
        self.size = size
        self.log_dir = log_dir
        self.env = env
        self.command = command
        self.name = name
        self._idle: deque[WarmWorker] = deque()
        self._lock = threading.Lock()
        self._requests: queue.Queue[bool] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._made = 0
        self._alive = 0
        self._closed = False

    def take(self) -> WarmWorker | None:
        """An idle, live worker (the caller hands it a job file, then gives it back), or None.
        The first call only starts the pool."""
        if self.size <= 0:
            return None
        self._start()
        with self._lock:
            while self._idle:
                candidate = self._idle.popleft()
                if candidate.process.poll() is None:
                    return candidate
        return None

    def give_back(self, worker: WarmWorker, cancel: CancelToken) -> None:
        """After its `finished` line: the worker is nobody's to stop any more, and waits idle for
        the next job, unless it has served its share (then it exits, and is replaced)."""
        cancel.unregister(worker.process)
        with self._lock:
            keep = not self._closed and worker.jobs < MAX_JOB_FILES and len(self._idle) < self.size
            if keep and worker.process.poll() is None:
                self._idle.append(worker)
                return
        self._let_go(worker)

    def follow(self, worker: WarmWorker, job_file: Path, *, cancel: CancelToken, what: str,
               on_line: Callable[[str], None] | None = None) -> None:
        """Hand `worker` its job file and feed its stdout lines to `on_line` until it says it is
        finished (then give it back); if it exits instead, raise its failure or the stop."""
        process = worker.hand(job_file, cancel)
        assert process.stdout is not None
        try:
            for line in process.stdout:
                line = line.rstrip("\n")
                if is_finished(line):
                    self.give_back(worker, cancel)
                    return
                if on_line is not None:
                    on_line(line)
        except BaseException:
            # Left mid-job (a report it could not take, a time limit): the worker can serve no
            # one else now, so it goes, and is replaced.
            terminate(process)
            raise
        finish(process, cancel=cancel, stderr_path=worker.log, what=what)
        raise ChildProcessFailed(f"{what}: the worker exited before it finished its job")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = list(self._idle), deque()
        if self._thread is not None:
            self._requests.put(False)
        for worker in idle:
            self._let_go(worker)
            worker.process.kill()

    @staticmethod
    def _let_go(worker: WarmWorker) -> None:
        if worker.process.stdin is not None:
            with contextlib.suppress(OSError):
                worker.process.stdin.close()  # the end of its input: it exits at once

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(target=self._spawn_forever, name=self.name, daemon=True)
            self._thread.start()
        for _ in range(self.size):
            self._requests.put(True)

    def _spawn_forever(self) -> None:
        while self._requests.get():
            with self._lock:
                if self._alive >= self.size or self._closed:
                    continue
                self._made += 1
                self._alive += 1
                number = self._made
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = self.log_dir / f"{self.name}-{number}.log"
            try:
                with open(log, "w", encoding="utf-8") as stderr:
                    process = subprocess.Popen(
                        self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=stderr, env=self.env, text=True, bufsize=1, start_new_session=True,
                        preexec_fn=die_with_parent(signal.SIGKILL),
                    )
            except OSError:
                logger.exception("could not start a warm %s worker", self.name)
                with self._lock:
                    self._alive -= 1
                continue
            with self._lock:
                self._idle.append(WarmWorker(process, log))
            threading.Thread(target=self._replace_when_gone, args=(process,),
                             name=f"{self.name}-watch", daemon=True).start()

    def _replace_when_gone(self, process: subprocess.Popen[str]) -> None:
        """Whenever a worker exits (let go, stopped mid-job, failed, died idle), one takes its place."""
        process.wait()
        with self._lock:
            self._alive -= 1
        self._requests.put(True)
