"""Group commit: every write that arrives while a transaction is being written joins the next one.

Each write is a job ``fn(conn)`` run on the writer connection's thread, so N concurrent writers cost one
fsync instead of N; a job that raises is undone alone (``transaction``). A write's caller resumes only after
the COMMIT that contains it (persist before ack). Writes apply in the order they were asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

from gateway.store.sqlite.connection import Connection

T = TypeVar("T")

WriteJob = Callable[[sqlite3.Connection], Any]
Settled = Callable[[bool], None]
"""Called on the loop as soon as a write's transaction is over: True if the write is committed."""


def transaction(jobs: Sequence[WriteJob], conn: sqlite3.Connection) -> list[tuple[bool, Any]]:
    """Run ``jobs`` in one transaction (one fsync): each job's (True, value), or (False, exception) for a
    job that raised, which is undone alone.

    The usual batch, where no job raises, runs the jobs one after the other with nothing around them. When
    one raises, the batch is rolled back and run again with each job in its own savepoint. A job is a
    function of the database alone (its rows are computed before it is queued), so the jobs before it do
    the same again, and it raises again.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        outcomes: list[tuple[bool, Any]] = []
        for job in jobs:
            try:
                outcomes.append((True, job(conn)))
            except Exception:
                conn.execute("ROLLBACK")
                break
        else:
            conn.execute("COMMIT")
            return outcomes
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return _in_savepoints(jobs, conn)


Checked = tuple[float, int, list[tuple[bool, Any]]]


def checked_transaction(jobs: Sequence[WriteJob], conn: sqlite3.Connection) -> Checked:
    """``transaction``, after the connection's ``PRAGMA data_version``, which changes when another connection
    (another process) has committed since this one last asked: when it asked (monotonic), what it said,
    and the outcomes."""
    asked_at = time.monotonic()
    (data_version,) = conn.execute("PRAGMA data_version").fetchone()
    return asked_at, int(data_version), transaction(jobs, conn)


def _in_savepoints(jobs: Sequence[WriteJob], conn: sqlite3.Connection) -> list[tuple[bool, Any]]:
    outcomes: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for job in jobs:
            conn.execute("SAVEPOINT job")
            try:
                value = job(conn)
            except Exception as exc:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((False, exc))
            else:
                conn.execute("RELEASE job")
                outcomes.append((True, value))
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return outcomes


class OtherWriters(Protocol):
    """Who keeps copies of what the file holds, told when another process has written to it."""

    checked_at: float
    """The monotonic time as of which no other process had written (set after each transaction)."""

    def others_wrote(self) -> None: ...


_Write = tuple[WriteJob, "asyncio.Future[Any]", Settled | None]


class GroupCommit:
    """The write queue of one writer ``Connection``: ``write(job)`` resumes after the commit that holds it.

    Driven by callbacks, with no task of its own: the first write queued while none is being written asks
    the loop to start a transaction once this turn of the loop is over (so the writes asked for in one turn
    share it); the connection's thread hands back each transaction's outcome, which settles its writes'
    futures and starts the next transaction with every write queued meanwhile.
    """

    def __init__(self, writer: Connection, others: OtherWriters) -> None:
        self._writer = writer
        self._others = others
        self._data_version: int | None = None
        self._queued: list[_Write] = []
        self._busy = False  # a transaction is due to start or being written
        self._idle: asyncio.Future[None] | None = None  # for drain()

    async def write(self, job: Callable[[sqlite3.Connection], T], settled: Settled | None = None) -> T:
        """``job``'s value once it is committed; ``settled`` is told first, on the loop, even if the caller
        has been cancelled meanwhile (what the file holds is known then, whoever still waits)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queued.append((job, future, settled))
        if not self._busy:
            self._busy = True
            loop.call_soon(self._next)
        return await future

    async def drain(self) -> None:
        """Wait until no transaction is being written or queued (before closing the connection)."""
        if self._busy:
            if self._idle is None or self._idle.done():
                self._idle = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._idle)

    def _next(self) -> None:
        batch = [write for write in self._queued if not write[1].cancelled()]  # a cancelled one never ran
        self._queued = []
        if not batch:
            self._busy = False
            if self._idle is not None and not self._idle.done():
                self._idle.set_result(None)
            return
        done = partial(self._done, batch)
        try:
            self._writer.submit(partial(checked_transaction, [job for job, _, _ in batch]), done)
        except Exception as exc:  # the connection is closed
            done(None, exc)

    def _done(self, batch: list[_Write], checked: Checked | None, exc: BaseException | None) -> None:
        if checked is None:  # the transaction as a whole failed (disk full, I/O error, ...)
            outcomes: list[tuple[bool, Any]] = [(False, exc)] * len(batch)
        else:
            asked_at, data_version, outcomes = checked
            if data_version != self._data_version:  # another process wrote (or this is the first look)
                self._data_version = data_version
                self._others.others_wrote()
            self._others.checked_at = asked_at
        try:
            for (_, future, settled), (ok, value) in zip(batch, outcomes, strict=True):
                if settled is not None:
                    settled(ok)
                if future.done():  # its caller was cancelled meanwhile
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        finally:
            self._next()
