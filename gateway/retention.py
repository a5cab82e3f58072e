"""Retention: closed conversations are deleted ``GATEWAY_RETENTION__CLOSED_DAYS`` after their last
activity, with everything of theirs (transcript, files, session token hashes, pending work).

Both stores implement ``purge``; every instance runs the sweep (deleting twice is harmless). A chat is
only deleted once closed and quiet for that long, and its token stopped working long before
(``TOKEN_HOURS_AFTER_CLOSE``), so nothing can revive it meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Protocol, runtime_checkable

import structlog
from aiohttp import web

from gateway.relay.model import ConversationId, State

logger = structlog.get_logger(__name__)

BATCH = 500


@runtime_checkable
class Purgeable(Protocol):
    async def idle_conversations(
        self, states: Sequence[State], *, before: float, after: float = 0.0, limit: int = 500
    ) -> list[ConversationId]: ...

    async def purge(self, conversation_ids: Sequence[ConversationId]) -> int: ...


async def purge_expired(store: Purgeable, *, closed_days: float, now: float | None = None) -> int:
    """Delete every conversation closed and quiet for ``closed_days``; returns how many."""
    if closed_days <= 0:
        return 0
    before = (time.time() if now is None else now) - closed_days * 86400
    total = 0
    while ids := await store.idle_conversations([State.CLOSED], before=before, limit=BATCH):
        total += await store.purge(ids)
        if len(ids) < BATCH:
            break
    return total


async def run_retention(store: Purgeable, *, closed_days: float, interval_s: float) -> None:
    """The sweep, now and every ``interval_s``, until cancelled; a failed sweep is retried next time."""
    while True:
        try:
            purged = await purge_expired(store, closed_days=closed_days)
            if purged:
                logger.info("conversations_purged", count=purged, reason="retention")
        except Exception:
            logger.exception("retention_sweep_failed")
        await asyncio.sleep(interval_s)


@asynccontextmanager
async def retention_context(app: web.Application) -> AsyncIterator[None]:
    """The sweep as a background task of the gateway (``GATEWAY_RETENTION__*``)."""
    from gateway.keys import settings_key, store_key

    settings = app[settings_key].retention
    store = app[store_key]
    if settings.closed_days <= 0 or not isinstance(store, Purgeable):
        yield
        return
    task = asyncio.create_task(
        run_retention(store, closed_days=settings.closed_days, interval_s=settings.purge_interval_s)
    )
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
