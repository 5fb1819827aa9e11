"""Worker processes started ahead of need, so a stage does not wait for their start-up.

`import manim` costs 1.5-2 s in every new process (`python -X importtime`), a third of the time
to redo one scene; importing Piper and loading its voice costs about a second (more from a cold
disk), a quarter of a tts stage. A pool keeps a few workers that have already done that and
wait for one job file on stdin; each still works in its own process (Manim's config is global)
and exits when done, and a fresh one is started in its place once it has.

Idle workers are children of one long-lived thread: the kernel's parent-death signal is tied to
the thread that forked, and the worker threads of a stage come and go. A worker that died idle is
simply skipped.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import subprocess
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from .processes import CancelToken, die_with_parent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WarmWorker:
    process: subprocess.Popen[str]
    log: Path

    def hand(self, job_file: Path, cancel: CancelToken) -> subprocess.Popen[str]:
        """Give the worker its job file, and make it `cancel`'s to stop from now on."""
        cancel.register(self.process)
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):  # stopped meanwhile: waiting for it says so
            self.process.stdin.write(f"{job_file}\n")
            self.process.stdin.close()
        return self.process


class WarmWorkers:
    """`size` idle workers, each started with `command` (which prepares, then reads a job file's
    path on stdin), logging to `log_dir`/`name`-N.log."""

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

    def take(self) -> WarmWorker | None:
        """An idle, live worker (the caller hands it a job file), or None. The first call only
        starts the pool. A taken worker's replacement starts when it exits: started at once, it
        would take a core from the very job it replaces (importing Manim or loading a voice
        costs seconds of CPU), and between stages a reviewer is reading, not waiting."""
        if self.size <= 0:
            return None
        self._start()
        taken = None
        with self._lock:
            while self._idle and taken is None:
                candidate = self._idle.popleft()
                if candidate.process.poll() is None:
                    taken = candidate
            missing = self.size - len(self._idle) - (1 if taken is not None else 0)
        for _ in range(missing):
            self._requests.put(True)
        if taken is not None:
            threading.Thread(target=self._replace_when_done, args=(taken.process,),
                             name=f"{self.name}-replace", daemon=True).start()
        return taken

    def _replace_when_done(self, process: subprocess.Popen[str]) -> None:
        process.wait()
        self._requests.put(True)

    def close(self) -> None:
        if self._thread is not None:
            self._requests.put(False)
        with self._lock:
            idle, self._idle = list(self._idle), deque()
        for worker in idle:
            if worker.process.stdin is not None:
                worker.process.stdin.close()  # an empty line: it exits at once
            worker.process.kill()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._spawn_forever, name=self.name, daemon=True)
            self._thread.start()

    def _spawn_forever(self) -> None:
        while self._requests.get():
            with self._lock:
                if len(self._idle) >= self.size:
                    continue
                self._made += 1
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
                continue
            with self._lock:
                self._idle.append(WarmWorker(process, log))
