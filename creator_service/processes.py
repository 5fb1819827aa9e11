"""Child processes for heavy work: started in their own process group, counted against one
server-wide limit, and ended within seconds when their session stops or goes away.

Stage handlers run in worker threads, and a thread cannot be killed; what burns CPU is the
child process it waits on. So cancelling a stage means killing its children: the waiting thread
then sees the pipe close and unwinds by itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Callable, Iterator, Sequence

logger = logging.getLogger(__name__)

# Time a child gets to exit after SIGTERM before it is killed outright.
TERMINATE_GRACE_SECONDS = 2.0
# How long no stage must have wanted a slot before work ahead of need takes a free one.
WANTED_QUIET_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1


class StageCancelled(Exception):
    """The stage was stopped by its session (stop, disconnect or shutdown)."""


class Evicted(StageCancelled):
    """Work ahead of need gave its process slot up to a stage that wanted it (ProcessSlots):
    its child was killed, but the work itself was not cancelled, and may go on once a slot
    is free again."""


class ChildProcessFailed(Exception):
    """A child process exited with an error; the message carries the end of its stderr."""


class CancelToken:
    """Set once when a stage must stop; kills every child process registered with it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._children: set[subprocess.Popen[str]] = set()
        self._linked: list[CancelToken] = []

    def linked(self) -> CancelToken:
        """A token cancelled with this one that can also be cancelled alone: for sibling
        children that must stop when one of them fails, without stopping the stage."""
        token = CancelToken()
        with self._lock:
            self._linked.append(token)
            cancelled = self._event.is_set()
        if cancelled:
            token.cancel()
        return token

    def unlink(self, token: CancelToken) -> None:
        """Forget a linked token no longer used (one per slot held, for long-lived work)."""
        with self._lock:
            if token in self._linked:
                self._linked.remove(token)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise StageCancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if cancelled meanwhile."""
        return self._event.wait(seconds)

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            children = list(self._children)
            linked = list(self._linked)
        for child in children:
            terminate(child)
        for token in linked:
            token.cancel()

    def register(self, child: subprocess.Popen[str]) -> None:
        with self._lock:
            self._children.add(child)
            cancelled = self._event.is_set()
        if cancelled:
            terminate(child)

    def unregister(self, child: subprocess.Popen[str]) -> None:
        with self._lock:
            self._children.discard(child)


class ProcessSlots:
    """The server-wide cap on heavy child processes running at once.

    Sessions are otherwise independent; this is the one thing they share, so that two reviewers
    rendering at once queue for the cores instead of thrashing them.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._semaphore = threading.BoundedSemaphore(capacity)
        self._lock = threading.Lock()
        # The tokens of work ahead of need holding a slot, oldest first: each is linked to its
        # work's token, so eviction kills the child without cancelling the work.
        self._background: list[CancelToken] = []
        # When a stage last found no slot free: work ahead takes a free slot only after a quiet
        # spell, so a slot a stage was made to wait for goes to that stage.
        self._wanted_at = -math.inf

    @contextlib.contextmanager
    def hold(self, cancel: CancelToken, *, background: bool = False) -> Iterator[CancelToken]:
        """One slot while the block runs; the block's children register with the token it
        yields. `background`: work ahead of need (creator_service/ahead.py), which takes only a
        free slot, and gives it up the moment a stage finds none free: its children are killed
        and the block raises Evicted, while `cancel` itself stays as it was."""
        if not background:
            self.acquire(cancel)
            try:
                cancel.raise_if_cancelled()
                yield cancel
            finally:
                self._semaphore.release()
            return
        while not (time.monotonic() - self._wanted_at >= WANTED_QUIET_SECONDS
                   and self._semaphore.acquire(blocking=False)):
            if cancel.wait(0.2):
                raise StageCancelled()
        held = cancel.linked()
        with self._lock:
            self._background.append(held)
        try:
            held.raise_if_cancelled()
            yield held
        except StageCancelled:
            if cancel.cancelled:
                raise
            raise Evicted() from None
        finally:
            with self._lock:
                self._background.remove(held)
            cancel.unlink(held)
            self._semaphore.release()

    def acquire(self, cancel: CancelToken) -> None:
        """One slot, waiting for it (and evicting work ahead of need), held until `release`,
        which may come from another thread: a slot handed on to work another thread runs."""
        while not self._semaphore.acquire(blocking=False):
            self._wanted()
            self._evict()
            if self._semaphore.acquire(timeout=0.2):
                return
            cancel.raise_if_cancelled()

    def try_acquire(self) -> bool:
        """A slot if one is free now, or held by work ahead of need: that work is evicted, and
        its child gone within moments (a stage asks this for a second slot as it starts, and
        does not ask again)."""
        if self._semaphore.acquire(blocking=False):
            return True
        if not self._evict():
            return False
        return self._semaphore.acquire(timeout=TERMINATE_GRACE_SECONDS + 1)

    def release(self) -> None:
        self._semaphore.release()

    def _wanted(self) -> None:
        with self._lock:
            self._wanted_at = time.monotonic()

    def _evict(self) -> bool:
        """Evict the oldest background holder, if any: its child dies and its slot is released
        within moments, for the stage that wanted it. False if there was none."""
        with self._lock:
            victim = self._background[0] if self._background else None
            if victim is not None:
                self._wanted_at = time.monotonic()
        if victim is not None:
            victim.cancel()
        return victim is not None


# Loaded here, not between fork and exec: loading a library in a freshly forked child of a
# threaded process can deadlock on the loader's lock.
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:
    _LIBC = None


# Renders run at a lower priority than the server: they use every idle cycle, but a WebSocket
# message is answered at once, however busy the cores are.
CHILD_NICENESS = 10
# Work done ahead of a stage, on the chance it is needed, yields to every stage's children.
AHEAD_NICENESS = 19


def die_with_parent(death_signal: int, niceness: int = CHILD_NICENESS) -> Callable[[], None]:
    def arrange() -> None:
        # Runs in the child between fork and exec: if the server dies (even by SIGKILL) the
        # kernel signals this child too, so no render outlives the service that asked for it.
        # The signal is tied to the thread that forked; that thread always waits for its child.
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, death_signal)
        os.nice(niceness)
        # Linux's autogroup scheduling (on by default) ranks by nice only within a session's
        # group, and each child starts a session of its own: without the group's nice too, a
        # niced child gets the same share as the server or any other child. Raw os calls: this
        # runs between fork and exec, where buffered I/O could block on a lock another thread held.
        with contextlib.suppress(OSError):
            group = os.open("/proc/self/autogroup", os.O_WRONLY)
            try:
                os.write(group, str(niceness).encode())
            finally:
                os.close(group)

    return arrange


def terminate(child: subprocess.Popen[str]) -> None:
    """SIGTERM the child's whole process group, then SIGKILL it if it lingers."""
    if child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except ProcessLookupError:
        return

    def kill_if_alive() -> None:
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)

    timer = threading.Timer(TERMINATE_GRACE_SECONDS, kill_if_alive)
    timer.daemon = True
    timer.start()


def spawn(
    command: Sequence[str],
    *,
    cancel: CancelToken,
    stderr_path: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: int | None = subprocess.DEVNULL,
    death_signal: int = signal.SIGKILL,
    niceness: int = CHILD_NICENESS,
) -> subprocess.Popen[str]:
    """Start a child in its own process group, registered for cancellation.

    `death_signal` is what the child gets if the server dies: SIGKILL, unless the child must
    clean up after itself (the Remotion worker closes its browser on SIGTERM). `niceness`:
    how far below the server it runs.
    """
    cancel.raise_if_cancelled()
    stderr_path.parent.mkdir(parents=True, exist_ok=True)
    with open(stderr_path, "w", encoding="utf-8") as stderr_file:
        child = subprocess.Popen(
            list(command),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            cwd=cwd,
            env=env,
            text=True,
            bufsize=1,
            start_new_session=True,
            preexec_fn=die_with_parent(death_signal, niceness),
        )
    cancel.register(child)
    return child


def finish(child: subprocess.Popen[str], *, cancel: CancelToken, stderr_path: Path, what: str) -> None:
    """Wait for a child, then turn cancellation or failure into the matching exception."""
    try:
        returncode = child.wait()
    finally:
        cancel.unregister(child)
    if cancel.cancelled:
        raise StageCancelled()
    if returncode != 0:
        raise ChildProcessFailed(f"{what} failed (exit code {returncode}): {stderr_tail(stderr_path)}")


def run_child(
    command: Sequence[str],
    *,
    cancel: CancelToken,
    slots: ProcessSlots | None,
    stderr_path: Path,
    what: str,
    on_line: Callable[[str], None] | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    death_signal: int = signal.SIGKILL,
    background: bool = False,
) -> None:
    """Run one child to completion under a process slot, feeding its stdout lines to `on_line`.

    `slots=None`: the caller already holds a slot for this child. `background`: work ahead of
    need (creator_service/ahead.py), at the lowest priority, in a slot it gives up when asked.
    """
    niceness = AHEAD_NICENESS if background else CHILD_NICENESS
    holding = slots.hold(cancel, background=background) if slots is not None else contextlib.nullcontext(cancel)
    with holding as held:
        started = time.monotonic()
        logger.debug("%s: %s", what, shlex.join(command))
        child = spawn(
            command, cancel=held, stderr_path=stderr_path, cwd=cwd, env=env,
            death_signal=death_signal, niceness=niceness,
        )
        follow(child, cancel=held, stderr_path=stderr_path, what=what, on_line=on_line)
        logger.debug("%s took %.2f s", what, time.monotonic() - started)


def follow(child: subprocess.Popen[str], *, cancel: CancelToken, stderr_path: Path, what: str,
           on_line: Callable[[str], None] | None = None) -> None:
    """Feed a running child's stdout lines to `on_line` until it exits, then `finish` it."""
    assert child.stdout is not None
    for line in child.stdout:
        if on_line is not None:
            on_line(line.rstrip("\n"))
    finish(child, cancel=cancel, stderr_path=stderr_path, what=what)


def stderr_tail(path: Path, lines: int = 6, limit: int = 800) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            tail = deque((line.rstrip() for line in handle if line.strip()), maxlen=lines)
    except OSError:
        return "no error output"
    text = " | ".join(tail) or "no error output"
    return text[-limit:]


def python_command(module: str, *args: str) -> list[str]:
    """A command running one of our modules with this interpreter (the one in the venv)."""
    return [sys.executable, "-m", module, *args]
