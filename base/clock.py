"""The one clock of Soglasie.

Every due date, timer, schedule and "now" in Soglasie asks :func:`now` for the time, never
``datetime.now`` or ``timezone.now`` directly, so that ``run_timers --until`` can fire timers
"as of" a future instant (:func:`frozen`) and tests can move time instead of sleeping.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

_local = threading.local()


def now() -> datetime:
    """Return the current instant as an aware UTC datetime.

    Reads ``datetime.now(UTC)`` at call time (not a reference captured at import), so that
    time-machine, which patches it, moves the engine's clock too. Inside :func:`frozen` the
    overridden instant is returned instead.
    """
    stack = getattr(_local, "stack", None)
    if stack:
        return stack[-1]
    return datetime.now(UTC)


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Make :func:`now` return ``at`` (converted to UTC) inside the ``with`` block.

    Used by ``run_timers --until`` to fire what is due as of a future instant. Thread-local and
    nestable, so a worker thread that freezes its clock does not move the web threads' clocks.
    A naive ``at`` is refused: an instant without an offset is ambiguous.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("frozen() needs an aware datetime")
    at = at.astimezone(UTC)
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(at)
    try:
        yield at
    finally:
        stack.pop()
