"""Resumes of Rasa conversations that failed (401 for a wrong token, 5xx, timeout), retried with backoff.

A conversation that stays paused in Rasa after its agent left would make the bot answer nothing, silently.
So a failed resume is remembered here and retried in one background task (doubling delays up to a cap, with
jitter) until Rasa takes it; the count and the last error are what ``/readyz`` and the metrics show.
The Rasa adapter also retries at once before it forwards the next customer line of such a conversation.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

import structlog

from gateway.relay.errors import BotUnavailable
from gateway.relay.model import ConversationId

logger = structlog.get_logger(__name__)

ResumeCall = Callable[[ConversationId], Awaitable[None]]
Observe = Callable[[str, int], None]
"""``(result, pending)``: result is ``ok``, ``failed`` or ``retried_ok``; pending the conversations left."""


@dataclass
class _Pending:
    attempts: int
    due: float


class ResumeRetrier:
    """Conversations whose resume failed, retried until Rasa takes them. Call ``close()`` once when done."""

    def __init__(
        self, resume: ResumeCall, *, base_s: float, cap_s: float, observe: Observe | None = None
    ) -> None:
        self._resume = resume
        self._base_s = base_s
        self._cap_s = cap_s
        self._observe = observe or (lambda result, pending: None)
        self._pending: dict[ConversationId, _Pending] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def is_pending(self, conversation_id: ConversationId) -> bool:
        return conversation_id in self._pending

    def succeeded(self, conversation_id: ConversationId, *, retried: bool = False) -> None:
        if self._pending.pop(conversation_id, None) is not None or not retried:
            self._observe("retried_ok" if retried else "ok", len(self._pending))
        if not self._pending:
            self.last_error = None

    def failed(self, conversation_id: ConversationId, error: str) -> None:
        """Remember a failed resume and schedule its retry (the first after about ``base_s``)."""
        entry = self._pending.get(conversation_id)
        attempts = entry.attempts + 1 if entry else 1
        delay = min(self._cap_s, self._base_s * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)
        self._pending[conversation_id] = _Pending(attempts, time.monotonic() + delay)
        self.last_error = error
        self._observe("failed", len(self._pending))
        logger.warning(
            "bot_resume_retry_scheduled",
            conversation_id=conversation_id,
            attempts=attempts,
            retry_in_s=round(delay, 2),
            error=error,
        )
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="rasa-resume-retry")
        self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while self._pending:
            self._wake.clear()
            now = time.monotonic()
            due = [cid for cid, p in self._pending.items() if p.due <= now]
            for conversation_id in due:
                try:
                    await self._resume(conversation_id)
                except BotUnavailable as exc:
                    if conversation_id in self._pending:
                        self.failed(conversation_id, str(exc))
                    continue
                logger.info("bot_resume_retried_ok", conversation_id=conversation_id)
                self.succeeded(conversation_id, retried=True)
            if not self._pending:
                return
            wait = min(p.due for p in self._pending.values()) - time.monotonic()
            if wait > 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
