"""Automatic pipelining: the Redis commands that the store's callers issue in one turn of the event loop go
to Redis together, as one pipeline (one write, one read of all the answers), instead of one round trip each.

With many conversations under way, a turn of the loop typically handles several sockets and webhooks, and
each of them issues a command (a read, a commit script, a lease claim). Sent one by one, every command pays
redis-py's whole per-call cost (a pooled connection taken and given back, a socket write, a timeout, a
read); in a pipeline most of that is paid once per batch. What each caller sees is unchanged: its command's
answer, or its error (one failing command does not fail the others).

Nothing about ordering changes either. A caller awaits each command before it issues the next, and
commands of different callers were never ordered among themselves (the pool sent them on different
connections). A batch whose connection breaks is retried whole by redis-py (the client's ``Retry``), as a
single command was: the store's scripts are safe to repeat (a commit is recognised by its change id).

The batch path is lean: each command is encoded to RESP once, when it is issued (``pack``), and a batch is
one write of those bytes plus one ``read_response`` per answer on a connection the batcher keeps, with
redis-py's connection, parser, error classes and ``Retry``, but not its pipeline object, pool lock and
response callbacks (about a third less CPU per command than a redis-py pipeline).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import DataError, NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError


def pack(args: tuple[Any, ...]) -> bytes:
    """One command in Redis's protocol (RESP), as redis-py's ``Encoder`` would encode its arguments."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            data = arg.encode()
        elif isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, int) and not isinstance(arg, bool):
            data = b"%d" % arg
        elif isinstance(arg, float):
            data = repr(arg).encode()
        else:
            raise DataError(f"invalid input of type {type(arg).__name__!r}: {arg!r}")
        out += (b"$%d\r\n" % len(data), data, b"\r\n")
    return b"".join(out)


class CommandBatcher:
    """Collects commands during one turn of the loop and sends them as one pipeline at its end.

    Each command is encoded once, by ``call``; a batch is one write of those bytes on a connection of the
    batcher's own (kept between batches, taken from the client's pool) and one read per answer. That is
    what a redis-py pipeline does, without its per-batch machinery (pipeline object, command stack, pool
    lock and condition, response callbacks): the answers are Redis's own (``SET`` answers ``"OK"`` or
    ``None``).
    """

    def __init__(self, client: aioredis.Redis, *, timeout_s: float) -> None:
        """``client``: one of the batcher's own, without a timeout per answer read: each batch is timed
        as a whole (``timeout_s``), which costs one timer per batch instead of one per command."""
        self._client = client
        self._timeout_s = timeout_s
        self._queue: list[tuple[bytes, asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._idle: list[AbstractConnection] = []  # connections between batches
        self.commands = 0
        """Commands sent so far (for tests and the bench)."""
        self.batches = 0
        """Round trips to Redis they took."""

    def call(self, *args: Any) -> asyncio.Future[Any]:
        """Send ``args`` (a command and its arguments) with whatever else is issued in this turn."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        self._queue.append((pack(args), answer))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return answer

    async def evalsha(self, script: Any, *args: Any, keys: tuple[str, ...] = ()) -> Any:
        """Run a registered script (``AsyncScript``) by its hash, batched; loaded first where Redis lost it."""
        try:
            return await self.call("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            # loads it, then runs it (a restarted Redis has forgotten the scripts)
            return await script(keys=list(keys), args=list(args))

    async def close(self) -> None:
        """Let the batches under way finish (their callers get answers or errors), then disconnect."""
        while self._in_flight or self._queue:
            if self._queue and not self._flush_scheduled:
                self._flush()
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            await asyncio.sleep(0)
        pool = self._client.connection_pool
        while self._idle:
            await pool.release(self._idle.pop())
        await self._client.aclose()

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._queue = self._queue, []
        if not batch:
            return
        self.commands += len(batch)
        self.batches += 1
        task = asyncio.create_task(self._send(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send(self, batch: list[tuple[bytes, asyncio.Future[Any]]]) -> None:
        try:
            try:
                async with asyncio.timeout(self._timeout_s):
                    results = await self._exchange(
                        b"".join([packed for packed, _answer in batch]), len(batch)
                    )
            except TimeoutError as exc:  # the connection was dropped (redis-py does on a cancelled read)
                raise RedisTimeoutError(f"no answer from Redis within {self._timeout_s} s") from exc
        except BaseException as exc:  # the connection (after redis-py's retries), or cancelled at shutdown
            for _packed, answer in batch:
                if answer.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    answer.cancel()
                else:
                    answer.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_packed, answer), result in zip(batch, results, strict=True):
            if answer.done():  # its caller was cancelled
                continue
            if isinstance(result, Exception):
                answer.set_exception(result)
            else:
                answer.set_result(result)

    async def _exchange(self, packed: bytes, count: int) -> list[Any]:
        """Write the batch and read its ``count`` answers, on a connection of our own; a batch whose
        connection breaks is sent again whole (the client's ``Retry``), as redis-py's pipeline does."""
        if self._idle:
            conn = self._idle.pop()
        else:
            take: Callable[[], Awaitable[AbstractConnection]] = self._client.connection_pool.get_connection
            conn = await take()
        try:
            return await conn.retry.call_with_retry(
                lambda: self._write_read(conn, packed, count),
                lambda error, failures: conn.disconnect(error=error, failure_count=failures),
                with_failure_count=True,
            )
        except BaseException:
            if conn.is_connected:  # redis-py drops it on a broken or cancelled read: never reuse it unread
                await conn.disconnect(nowait=True)
            raise
        finally:
            self._idle.append(conn)

    @staticmethod
    async def _write_read(conn: AbstractConnection, packed: bytes, count: int) -> list[Any]:
        await conn.send_packed_command(packed)
        results: list[Any] = []
        for _ in range(count):
            try:
                results.append(await conn.read_response())
            except ResponseError as exc:  # the command's own error: to its caller alone
                results.append(exc)
        return results
