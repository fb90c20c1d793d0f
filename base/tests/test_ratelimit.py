"""The token buckets behind the API's rate limit: exact under many threads, cheap, refilled by the clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from base import clock, ratelimit
from base.ratelimit import TokenBuckets

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_a_burst_then_the_rate():
    buckets = TokenBuckets()
    with clock.frozen(T0):
        assert [buckets.take("k", rate=2, burst=3) for _ in range(3)] == [0, 0, 0]
        assert buckets.take("k", rate=2, burst=3) == 0.5  # one request is back in half a second
        assert buckets.take("other", rate=2, burst=3) == 0  # each key has its own bucket
    with clock.frozen(T0 + timedelta(seconds=0.5)):
        assert buckets.take("k", rate=2, burst=3) == 0
        assert buckets.take("k", rate=2, burst=3) > 0
    with clock.frozen(T0 + timedelta(hours=1)):  # an idle hour refills up to the burst, not beyond
        assert [buckets.take("k", rate=2, burst=3) == 0 for _ in range(4)] == [True, True, True, False]


def test_many_threads_at_once_get_exactly_the_burst():
    """gunicorn runs several threads per process: a lost update would let more through."""
    buckets = TokenBuckets()
    allowed: list[int] = []
    start = threading.Barrier(16)

    def hammer() -> None:
        start.wait()
        with clock.frozen(T0):
            allowed.append(sum(buckets.take("shared", rate=1, burst=500) == 0 for _ in range(100)))

    threads = [threading.Thread(target=hammer) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 500


def test_full_buckets_are_dropped_when_there_are_many(monkeypatch):
    monkeypatch.setattr(ratelimit, "PRUNE_ABOVE", 10)
    buckets = TokenBuckets()
    with clock.frozen(T0):
        for number in range(11):
            buckets.take(f"old{number}", rate=100, burst=10)
    with clock.frozen(T0 + timedelta(seconds=1)):  # all refilled: as good as new
        buckets.take("busy", rate=100, burst=10)
        for _ in range(5):
            buckets.take("busy", rate=100, burst=10)
        buckets.take("new", rate=100, burst=10)
    assert set(buckets._buckets) == {"busy", "new"}
