"""``sqlite3`` connections driven from the event loop: the writer's on its own thread, the reader's on the loop."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

Done = Callable[[Any, BaseException | None], None]
"""Called on the loop with a call's outcome: its result and None, or None and what it raised."""
_Call = tuple[Callable[[Any], Any], Any, asyncio.AbstractEventLoop, Done]


class Connection:
    """One ``sqlite3`` connection: ``run(fn)`` calls ``fn(conn)`` on the connection's own thread.

    The thread is the connection's own, fed by a queue, and hands each result back to the loop with one
    ``call_soon_threadsafe``: half the CPU of a trip through ``run_in_executor`` (a ``concurrent.futures``
    future, chained to an asyncio one), and the writer makes one such trip per transaction.
    """

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[_Call | None] | None = queue.SimpleQueue()
        threading.Thread(target=_serve, args=(self._calls,), name=name, daemon=True).start()
        self._conn: sqlite3.Connection | None = None

    async def connect(self, path: Path, *pragmas: str) -> None:
        self._conn = await self._run(lambda _: connect(path, *pragmas))

    async def _run(self, fn: Callable[[Any], T]) -> T:
        if self._calls is None:
            raise sqlite3.ProgrammingError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.put((fn, self._conn, loop, partial(_settle, future)))
        return await future

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            raise sqlite3.ProgrammingError("the store is closed")
        return await self._run(fn)

    def submit(self, fn: Callable[[sqlite3.Connection], Any], done: Done) -> None:
        """Call ``fn(conn)`` on the connection's thread, then ``done`` with its outcome on this loop (the
        callback form of ``run``, with no future and no coroutine)."""
        if self._conn is None or self._calls is None:
            raise sqlite3.ProgrammingError("the store is closed")
        self._calls.put((fn, self._conn, asyncio.get_running_loop(), done))

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(lambda conn: conn.close())
            self._conn = None
        if self._calls is not None:
            self._calls.put(None)  # the thread ends after what it was given before
            self._calls = None


class Reader:
    """One ``sqlite3`` connection used right here on the event loop, by plain calls: reads of a local file in
    WAL mode take some microseconds and never wait for the writer, less than a trip to a thread would cost
    (and less than a coroutine around each: the store's own async methods are the only ones awaited)."""

    def __init__(self, path: Path, *pragmas: str) -> None:
        self._conn = connect(path, *pragmas)

    def fetchall(self, sql: str, parameters: Sequence[object] = ()) -> list[Any]:
        return self._conn.execute(sql, parameters).fetchall()

    def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return fn(self._conn)

    def close(self) -> None:
        self._conn.close()  # later calls raise sqlite3.ProgrammingError


def connect(path: Path, *pragmas: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in pragmas:
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


def _serve(calls: queue.SimpleQueue[_Call | None]) -> None:
    """The connection's thread: each call in order, its outcome handed to the loop that asked."""
    while (call := calls.get()) is not None:
        fn, conn, loop, done = call
        try:
            result = fn(conn)
        except BaseException as exc:  # handed over, as run_in_executor would
            _hand_over(loop, done, None, exc)
        else:
            _hand_over(loop, done, result, None)


def _hand_over(loop: asyncio.AbstractEventLoop, done: Done, result: Any, exc: BaseException | None) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        loop.call_soon_threadsafe(done, result, exc)


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():  # the caller was cancelled meanwhile
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
