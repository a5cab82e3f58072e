"""The bot is thinking: a customer sees the assistant typing while a slow bot computes its answer.

Shown only when the answer takes longer than ``after_s`` (a fast bot causes no flicker and no extra
signals), and always ended once the answer (or its failure) is in. Nothing is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

T = TypeVar("T")

logger = structlog.get_logger(__name__)


async def while_thinking(work: Awaitable[T], show: Callable[[bool], Awaitable[None]], *, after_s: float) -> T:
    """``work``'s result; ``show(True)`` if it is not done after ``after_s``, then ``show(False)`` when it is."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=after_s)
        if done:
            return task.result()
        await _quietly(show, True)
        try:
            return await task
        finally:
            await _quietly(show, False)
    finally:
        if not task.done():
            task.cancel()


async def _quietly(show: Callable[[bool], Awaitable[None]], active: bool) -> None:
    try:
        await show(active)
    except Exception as exc:  # an indicator must never cost the answer
        logger.warning("thinking_indicator_failed", error=str(exc))
