"""The evaluator's limits hold in every thread at once: gunicorn runs several threads per worker, and
an evaluation must not lend its limits to, or borrow them from, another one running beside it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from engine.expressions import MAX_COLLECTION, ExpressionError, evaluate

#: Each limit, exceeded, with what an evaluation under the limit returns: (name, refused, accepted, value).
LIMITS = [
    ("string length", "'a' * 30000", "len('a' * 25000)", 25_000),
    ("joined length", "'a' * 20000 + 'b' * 20000", "len('a' * 10000 + 'b' * 10000)", 20_000),
    ("collection size", "[c for c in 'a' * 5000]", f"len([c for c in 'a' * {MAX_COLLECTION}])", MAX_COLLECTION),
    (
        "comprehensions together",
        "[c for c in 'a' * 600] + [c for c in 'b' * 600]",
        "len([c for c in 'a' * 500] + [c for c in 'b' * 500])",
        1000,
    ),
    ("steps", "[" + " + ".join("c" * 15) + " for c in 'a' * 999]", "len([c + c for c in 'a' * 999])", 999),
    ("exponent", "2 ** 5000", "2 ** 1000 > 0", True),
    ("power size", "99999 ** 999", "len(str(9 ** 999))", 954),
    ("shift", "1 << 100", "1 << 64", 2**64),
    # pause() hands the interpreter to another thread at every item: comprehensions interleave.
    ("interleaved comprehension", "[pause(c) for c in 'a' * 5000]", "len([pause(c) for c in 'a' * 1000])", 1000),
]


def pause(item: str) -> str:
    time.sleep(0)
    return item


FUNCTIONS = {"pause": pause}


def _refused(expression: str, functions: dict[str, Callable[..., Any]] = FUNCTIONS) -> bool:
    try:
        evaluate(expression, {}, functions)
    except ExpressionError:
        return True
    return False


@pytest.mark.parametrize(("name", "refused", "accepted", "value"), LIMITS, ids=[limit[0] for limit in LIMITS])
def test_each_limit_alone(name, refused, accepted, value):
    assert _refused(refused), name
    assert evaluate(accepted, {}, FUNCTIONS) == value, name


def test_a_comprehension_refused_alone_stays_refused_while_another_one_runs():
    """The failure of issue 13, made certain: a short comprehension in a second thread is running when
    the long one starts, and ends while the long one is still running. The limit used to be swapped
    in a module global and put back by whichever evaluation ended: the long one then ran on the
    library's own 10,000 and took 5,000 items."""
    short_inside = threading.Event()
    long_inside = threading.Event()
    short_done = threading.Event()
    errors: list[BaseException] = []
    seen: list[str] = []

    def hold(item: str) -> str:  # the short one waits, inside its comprehension, for the long one
        short_inside.set()
        assert long_inside.wait(10)
        return item

    def tick(item: str) -> str:  # the long one lets the short one end, then goes on
        seen.append(item)
        if len(seen) == 10:
            long_inside.set()
            assert short_done.wait(10)
        return item

    def short() -> None:
        try:
            evaluate("[hold(c) for c in 'ab']", {}, {"hold": hold})
        except BaseException as error:  # judged below, in the test's thread
            errors.append(error)
        finally:
            short_done.set()

    thread = threading.Thread(target=short)
    thread.start()
    try:
        assert short_inside.wait(10)
        refused = _refused("len([tick(c) for c in 'a' * 5000])", {"tick": tick})
    finally:
        long_inside.set()
        thread.join(10)
    assert errors == []
    assert refused and len(seen) == MAX_COLLECTION


def test_every_limit_holds_in_every_thread_at_once():
    """16 threads, released together, each evaluating every limit both exceeded and kept, in turn and
    in a different order, several rounds: each answer is the one it gets alone."""
    threads = 16
    rounds = 5
    barrier = threading.Barrier(threads)
    wrong: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        mine = LIMITS[index % len(LIMITS) :] + LIMITS[: index % len(LIMITS)]
        barrier.wait(10)
        for _round in range(rounds):
            for name, refused, accepted, value in mine:
                try:
                    refused_ok = _refused(refused)
                    accepted_ok = evaluate(accepted, {}, FUNCTIONS) == value
                except ExpressionError as error:  # a kept limit refused: a limit leaked in
                    refused_ok, accepted_ok = True, False
                    name = f"{name} ({error})"
                if not (refused_ok and accepted_ok):
                    with lock:
                        wrong.append(f"thread {index}: {name}")

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(60)
    assert wrong == []
