"""A token bucket per key, in the memory of this process: a limit for runaway scripts, not a quota.

Each key's bucket holds up to ``burst`` requests and refills at ``rate`` a second; a request takes
one or is refused with the seconds until one is back. It costs a lock and a few float operations,
with no database or cache round trip, which is why it lives in memory: every web server process
(gunicorn worker) keeps its own buckets, so with W workers a key may send up to W times the rate.
That is the documented price of being free; the limit is there to stop a loop gone wrong, and a
factor of two does not change that.

The time is ``base.clock.now()``, so tests move it instead of sleeping.
"""

from __future__ import annotations

import threading

from base import clock

#: Past this many keys, the buckets that have refilled completely (the same as having none) are dropped.
PRUNE_ABOVE = 4096


class TokenBuckets:
    """The buckets of one limit; thread-safe (gunicorn runs several threads per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (requests left, at, in seconds)

    def take(self, key: str, *, rate: float, burst: int) -> float:
        """Take one request from ``key``'s bucket: 0 when it may go, else the seconds to wait."""
        at = clock.now().timestamp()
        with self._lock:
            left, then = self._buckets.get(key, (float(burst), at))
            left = min(float(burst), left + max(0.0, at - then) * rate)
            if left < 1:
                self._buckets[key] = (left, at)
                return (1 - left) / rate
            self._buckets[key] = (left - 1, at)
            if len(self._buckets) > PRUNE_ABOVE:
                self._prune(at, rate, burst)
            return 0.0

    def _prune(self, at: float, rate: float, burst: int) -> None:
        self._buckets = {
            key: (left, then) for key, (left, then) in self._buckets.items() if left + (at - then) * rate < burst
        }
