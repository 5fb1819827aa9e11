"""Work done ahead of a stage, while an earlier one is reviewed.

A reviewer listens to the voice for a while before accepting it, and with the voice the render's
work is known: every scene's length and the captions over it. So it can run meanwhile, on cores
that would otherwise be idle, for the voice under review. Such work only fills the caches the
stage reads (content-keyed, written atomically), so it is never wrong, only wasted if another
voice is chosen: it runs at the lowest priority, only in process slots no stage wants (a slot
another session's stage takes back pauses it until one is free again: processes.Evicted), is
cancelled whenever it may no longer be useful, and its failures are logged, never shown to the
reviewer.
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

    def restart(self, work: Callable[[CancelToken], None]) -> None:
        """Start `work`, in place of any work still running: that is cancelled, and `work`
        begins once it has unwound, so two never run at once."""
        with self._lock:
            if self._cancel is not None:
                self._cancel.cancel()
            cancel = CancelToken()
            thread = threading.Thread(target=self._run, args=(work, cancel, self._thread), name=self.name, daemon=True)
            self._cancel, self._thread = cancel, thread
        thread.start()

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

    def _run(self, work: Callable[[CancelToken], None], cancel: CancelToken,
             before: threading.Thread | None) -> None:
        if before is not None:
            before.join()
        try:
            cancel.raise_if_cancelled()
            work(cancel)
        except StageCancelled:
            logger.debug("%s: cancelled", self.name)
        except Exception:  # best effort: the stage itself does the work if this could not
            logger.exception("%s: failed; the stage will do this work itself", self.name)
