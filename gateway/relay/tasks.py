"""Per-conversation concurrency helpers: locks, ordered job queues and coalesced wake-ups."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

import structlog

logger = structlog.get_logger(__name__)


class KeyedLocks:
    """One ``asyncio.Lock`` per key, created on demand and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, _KeyLock] = {}

    def hold(self, key: Hashable) -> _Hold:
        """``async with locks.hold(key):`` (a plain class, not a generator: this is on every event's path)."""
        return _Hold(self._locks, key)

    def __len__(self) -> int:
        return len(self._locks)


class _KeyLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class _Hold:
    __slots__ = ("_key", "_locks")

    def __init__(self, locks: dict[Hashable, _KeyLock], key: Hashable) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        entry = self._locks.get(self._key)
        if entry is None:
            entry = self._locks[self._key] = _KeyLock()
        entry.users += 1
        try:
            await entry.lock.acquire()
        except BaseException:
            self._leave(entry)
            raise

    async def __aexit__(self, *exc: object) -> None:
        entry = self._locks[self._key]
        entry.lock.release()
        self._leave(entry)

    def _leave(self, entry: _KeyLock) -> None:
        entry.users -= 1
        if entry.users == 0:
            del self._locks[self._key]


class _TaskOwner:
    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def idle(self) -> None:
        """Wait until no task is running (tests and graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)


class SerialRunner(_TaskOwner):
    """Runs the jobs submitted under one key one after another, in submission order."""

    def __init__(self) -> None:
        super().__init__()
        self._queues: dict[Hashable, deque[Callable[[], Awaitable[None]]]] = {}

    def submit(self, key: Hashable, job: Callable[[], Awaitable[None]]) -> None:
        self._queues.setdefault(key, deque()).append(job)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key))

    async def _run(self, key: Hashable) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue.popleft()
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("job_failed", key=str(key))
        finally:
            self._tasks.pop(key, None)
            if not queue:
                self._queues.pop(key, None)


class Coalescer(_TaskOwner):
    """``kick(key)`` makes sure ``work(key)`` runs at least once, fully, after the kick.

    Kicks that arrive while the work runs fold into one more run, so a burst costs two runs at most.
    """

    def __init__(self, work: Callable[[Hashable], Awaitable[object]]) -> None:
        super().__init__()
        self._work = work
        self._dirty: set[Hashable] = set()

    def kick(self, key: Hashable) -> None:
        self._dirty.add(key)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run(key))

    async def _run(self, key: Hashable) -> None:
        try:
            while key in self._dirty:
                self._dirty.discard(key)
                try:
                    await self._work(key)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("background_work_failed", key=str(key))
        finally:
            self._tasks.pop(key, None)
