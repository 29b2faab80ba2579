"""An asyncio event loop in its own thread, for drivers built on asyncio libraries (bleak).

The application calls drivers from plain threads (the GUI, a worker pool, the CLI);
:class:`LoopThread` runs the coroutines on one private loop and waits for them with a bounded
timeout, turning the library's exceptions into :class:`~drivers.base.DeviceError` in words.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from drivers.base import DeviceError, DeviceTimeoutError

log = logging.getLogger(__name__)
T = TypeVar("T")


class LoopThread:
    """One event loop, one daemon thread.

    Parameters
    ----------
    name : str
        Thread name.
    what : str
        What the coroutines talk to, for messages ("Bluetooth").
    """

    def __init__(self, name: str, what: str) -> None:
        self.name = name
        self.what = what
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop (no-op when running)."""
        if self.loop is not None:
            return
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        ready.wait(5.0)
        self.loop = loop

    def stop(self) -> None:
        """Cancel every task, stop the loop and join the thread (idempotent)."""
        loop = self.loop
        if loop is None:
            return
        try:
            self.run(_cancel_tasks(), 3.0)
        except DeviceError:
            log.debug("%s tasks did not stop in time", self.name, exc_info=True)
        self.loop = None
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5.0)
        self._thread = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` on the loop and wait at most ``timeout`` seconds for its result."""
        loop = self.loop
        if loop is None:
            coro.close()
            raise DeviceError(f"The {self.what} device is not open.")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout)
        except TimeoutError as exc:
            future.cancel()
            raise DeviceTimeoutError(f"The {self.what} device did not answer in time.") from exc
        except DeviceError:
            raise
        except Exception as exc:  # the library's errors, in words
            raise DeviceError(f"{self.what}: {exc}") from exc

    def post(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Schedule ``coro`` without waiting (dropped when the loop is not running)."""
        loop = self.loop
        if loop is None:
            coro.close()
            return
        asyncio.run_coroutine_threadsafe(coro, loop)


async def _cancel_tasks() -> None:
    """Cancel every other task of the running loop and wait for them to finish."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
