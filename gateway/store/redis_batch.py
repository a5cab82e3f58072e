"""Automatic pipelining: the Redis commands that the store's callers issue in one turn of the event loop go
to Redis together, as one pipeline (one write, one read of all the answers), instead of one round trip each.

With many conversations under way, a turn of the loop typically handles several sockets and webhooks, and
each of them issues a command (a read, a commit script, a lease claim). Sent one by one, every command pays
redis-py's whole per-call cost (a pooled connection taken and given back, a socket write, a timeout, a
read); in a pipeline most of that is paid once per batch. What each caller sees is unchanged: its command's
answer, or its error (``raise_on_error=False``: one failing command does not fail the others).

Nothing about ordering changes either. A caller awaits each command before it issues the next, and
commands of different callers were never ordered among themselves (the pool sent them on different
connections). A batch whose connection breaks is retried whole by redis-py (the client's ``Retry``), as a
single command was: the store's scripts are safe to repeat (a commit is recognised by its change id).
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError


class CommandBatcher:
    """Collects commands during one turn of the loop and sends them as one pipeline at its end."""

    def __init__(self, client: aioredis.Redis, *, timeout_s: float) -> None:
        """``client``: one of the batcher's own, without a timeout per answer read: each batch is timed
        as a whole (``timeout_s``), which costs one timer per batch instead of one per command."""
        self._client = client
        self._timeout_s = timeout_s
        self._queue: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self.commands = 0
        """Commands sent so far (for tests and the bench)."""
        self.batches = 0
        """Round trips to Redis they took."""

    def call(self, *args: Any) -> asyncio.Future[Any]:
        """Send ``args`` (a command and its arguments) with whatever else is issued in this turn."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        self._queue.append((args, answer))
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

    async def _send(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        try:
            try:
                async with asyncio.timeout(self._timeout_s):
                    if len(batch) == 1:
                        results: list[Any] = [await self._single(batch[0][0])]
                    else:
                        async with self._client.pipeline(transaction=False) as pipe:
                            for args, _answer in batch:
                                pipe.execute_command(*args)
                            results = await pipe.execute(raise_on_error=False)
            except TimeoutError as exc:  # the connection was dropped (redis-py does on a cancelled read)
                raise RedisTimeoutError(f"no answer from Redis within {self._timeout_s} s") from exc
        except BaseException as exc:  # the connection (after redis-py's retries), or cancelled at shutdown
            for _args, answer in batch:
                if answer.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    answer.cancel()
                else:
                    answer.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_args, answer), result in zip(batch, results, strict=True):
            if answer.done():  # its caller was cancelled
                continue
            if isinstance(result, Exception):
                answer.set_exception(result)
            else:
                answer.set_result(result)

    async def _single(self, args: tuple[Any, ...]) -> Any:
        try:
            return await self._client.execute_command(*args)  # type: ignore[no-untyped-call]
        except ResponseError as exc:  # the command's own error: to its caller, as in a pipeline
            return exc
