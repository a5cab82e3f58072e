"""Background tasks owned by a cleanup context: started on entry, cancelled and awaited on exit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from aiohttp import web


@asynccontextmanager
async def running(*work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run each of ``work`` as a task for the block; cancel them all (in order) when it ends."""
    tasks = [asyncio.create_task(coro) for coro in work]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


CleanupContext = Callable[[web.Application], AbstractAsyncContextManager[None]]
"""What ``app.cleanup_ctx`` takes: one resource's start (before ``yield``) and cleanup (after it)."""
