"""Patients encoded on worker threads come back in order, a bounded number in flight, and
a failure is raised where its result would have been."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from clinic_app.exchange.pipeline import default_workers, ordered_map


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_results_come_in_the_items_order(workers: int) -> None:
    threads: set[str] = set()

    def square(x: int) -> int:
        threads.add(threading.current_thread().name)
        return x * x

    assert list(ordered_map(square, range(200), workers=workers)) == [x * x for x in range(200)]
    assert (threads == {threading.current_thread().name}) is (workers == 1)


def test_at_most_ahead_items_are_taken_before_a_result_is_given() -> None:
    taken: list[int] = []

    def items() -> Iterator[int]:
        for i in range(100):
            taken.append(i)
            yield i

    results = ordered_map(lambda x: x, items(), workers=2, ahead=3)
    assert next(results) == 0
    assert len(taken) == 3
    assert list(results) == list(range(1, 100))


def test_a_failure_is_raised_in_order_and_stops_the_rest() -> None:
    done: list[int] = []

    def work(x: int) -> int:
        if x == 5:
            raise ValueError("bad item 5")
        done.append(x)
        return x

    results = ordered_map(work, range(1000), workers=2, ahead=4)
    assert [next(results) for _ in range(5)] == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="bad item 5"):
        next(results)
    assert len(done) < 20  # the items after the failure were not all worked on


def test_default_workers_is_between_one_and_four() -> None:
    assert 1 <= default_workers() <= 4
