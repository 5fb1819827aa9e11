"""Rate limits per user and per connection, on top of the server's global caps.

- videos started per hour, per user (`CREATOR_RATE_VIDEOS_PER_HOUR`);
- sessions running at once, per owner (`CREATOR_RATE_RUNNING_SESSIONS`): a session counts while a
  stage runs or waits for a process slot, not while it waits for a reviewer;
- actions per second on one WebSocket connection (`CREATOR_RATE_ACTIONS_PER_SECOND`, with a burst
  of twice that).

A refusal says how long to wait: `retry_after` seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ..store import SessionStore

RUNNING_STATES = ("queued", "running")


class RateLimited(Exception):
    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


class ActionBucket:
    """A token bucket: `rate` actions a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: float | None = None):
        self.rate = rate
        self.burst = burst if burst is not None else 2 * rate
        self._tokens = self.burst
        self._at = time.monotonic()

    def take(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            wait = round((1 - self._tokens) / self.rate, 2)
            raise RateLimited(f"more than {self.rate:g} actions a second on this connection", wait)
        self._tokens -= 1


@dataclass(frozen=True)
class UserQuotas:
    store: SessionStore
    videos_per_hour: int
    running_at_once: int

    def check_new_video(self, owner: str) -> None:
        hour_ago = time.time() - 3600
        made = self.store.count_owned(owner, since=hour_ago)
        if made >= self.videos_per_hour:
            oldest = self.store.query(
                "SELECT MIN(created_at) FROM (SELECT created_at FROM sessions WHERE owner=? AND created_at >= ?"
                " ORDER BY created_at DESC LIMIT ?)", (owner, hour_ago, self.videos_per_hour))[0][0]
            raise RateLimited(f"{owner} started {made} videos in the last hour; the limit is {self.videos_per_hour}",
                              max(1.0, float(oldest) + 3600 - time.time()))
        self.check_running(owner)

    def check_running(self, owner: str, excluding: str | None = None) -> None:
        running = self.store.count_owned(owner, states=RUNNING_STATES, excluding=excluding)
        if running >= self.running_at_once:
            raise RateLimited(f"{owner} has {running} videos running; the limit is {self.running_at_once} at once",
                              30.0)
