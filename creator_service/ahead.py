"""Work done ahead of a stage, while an earlier one is reviewed.

A reviewer listens to the voice for a while before accepting it; the render's heaviest work
does not depend on the voice (a Manim scene's animation is the same whatever its length), so
it can run meanwhile, on cores that would otherwise be idle. Such work only fills the caches
the stage reads (content-keyed, written atomically), so it is never wrong, only wasted: it
runs at the lowest priority, one child at a time, is cancelled whenever it may no longer be
useful, and its failures are logged, never shown to the reviewer.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from .processes import CancelToken, StageCancelled

logger = logging.getLogger(__name__)


class WorkAhead:
    """At most one piece of work ahead at a time, in a thread of its own."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._cancel: CancelToken | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def start(self, work: Callable[[CancelToken], None]) -> bool:
        """Start `work` unless some is already running; True if it started."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            cancel = CancelToken()
            thread = threading.Thread(target=self._run, args=(work, cancel), name=self.name, daemon=True)
            self._cancel, self._thread = cancel, thread
        thread.start()
        return True

    def cancel(self) -> None:
        """Stop the work: its children are killed at once; its thread then unwinds by itself."""
        with self._lock:
            cancel = self._cancel
        if cancel is not None:
            cancel.cancel()

    def join(self, timeout: float | None = None) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self, work: Callable[[CancelToken], None], cancel: CancelToken) -> None:
        try:
            work(cancel)
        except StageCancelled:
            logger.debug("%s: cancelled", self.name)
        except Exception:  # best effort: the stage itself does the work if this could not
            logger.exception("%s: failed; the stage will do this work itself", self.name)
