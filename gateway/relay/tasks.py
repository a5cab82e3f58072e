"""Per-conversation concurrency helpers: locks, ordered job queues and coalesced wake-ups."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

import structlog

logger = structlog.get_logger(__name__)


class KeyedLocks:
    """A lock per key, first come first served; a key is in the map only while someone holds it.

    Cheaper than an ``asyncio.Lock`` per key on every event's path: an uncontended hold is a dict entry (no
    lock object, no coroutine of its own); the waiters, when there are any, queue as futures and each is
    handed the lock in turn by the one before it (as ``asyncio.Lock`` wakes its first waiter).
    """

    def __init__(self) -> None:
        self._held: dict[Hashable, deque[asyncio.Future[None]] | None] = {}  # key -> its waiters, if any

    def hold(self, key: Hashable) -> _Hold:
        """``async with locks.hold(key):`` (a plain class, not a generator: this is on every event's path)."""
        return _Hold(self._held, key)

    def __len__(self) -> int:
        return len(self._held)


class _Hold:
    __slots__ = ("_held", "_key")

    def __init__(self, held: dict[Hashable, deque[asyncio.Future[None]] | None], key: Hashable) -> None:
        self._held = held
        self._key = key

    async def __aenter__(self) -> None:
        held, key = self._held, self._key
        if key not in held:
            held[key] = None  # free: ours now
            return
        waiters = held[key]
        if waiters is None:
            waiters = held[key] = deque()
        turn = asyncio.get_running_loop().create_future()
        waiters.append(turn)
        try:
            await turn  # the holder before us hands the lock over by completing ``turn``
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._release()  # cancelled after being handed the lock: hand it on
            else:
                with contextlib.suppress(ValueError):  # a release may have dropped it already
                    waiters.remove(turn)
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        waiters = self._held[self._key]
        while waiters:
            turn = waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        del self._held[self._key]


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
