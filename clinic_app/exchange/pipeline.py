"""Encoding patients on worker threads while the next ones are read, in order, bounded.

Compressing recordings (zlib) releases the GIL, so a JSON export with recordings encodes
patients on a few threads while the main thread reads the next patients from the
database; the rest of the encoding holds the GIL and gains nothing from more threads.
At most ``ahead`` patients are in flight, so memory still holds a handful of patients,
whatever the size of the clinic.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4
"""More threads than this only wait for the GIL."""


def default_workers() -> int:
    """Worker threads for this computer: one per processor, at most :data:`MAX_WORKERS`."""
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def ordered_map(
    func: Callable[[T], R], items: Iterable[T], *, workers: int, ahead: int | None = None
) -> Iterator[R]:
    """``map(func, items)`` computed on ``workers`` threads, results in the items' order.

    Parameters
    ----------
    workers : int
        Threads; 1 or fewer computes on the calling thread.
    ahead : int, optional
        Items taken from ``items`` before the first result is given back (default twice
        ``workers``): what bounds memory.

    An exception of ``func`` is raised where its result would have been given; work not
    yet started is cancelled.
    """
    if workers <= 1:
        yield from map(func, items)
        return
    limit = max(1, ahead if ahead is not None else 2 * workers)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="export")
    yield from submitted_in_order(pool, func, items, limit)


def submitted_in_order(
    pool: Executor, func: Callable[[T], R], items: Iterable[T], limit: int
) -> Iterator[R]:
    """``func`` of each item run by ``pool`` (threads or processes), results in the items'
    order, at most ``limit`` items submitted and not yet given back; ``pool`` is shut
    down at the end, work not yet started cancelled (also on an exception or when the
    caller stops early)."""
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
