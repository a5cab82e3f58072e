"""No orphans: finds chats the gateway considers finished whose 8x8 side still holds an interaction.

The outbox already delivers every customer-leave the relay decided on, across restarts. This sweep
catches what drifts anyway: an interaction re-opened on 8x8's side by a stray message (spec gotcha 8),
or a leave 8x8 accepted and then lost. For every recently active conversation that is closed, or back
with the bot after an escalation, with nothing left in its outbox, it asks the API that opened it whether
the last interaction is still open and, if so, makes the customer leave so the agent is freed.

Each API supplies an ``OrphanCheck`` (``chat_api.reconciler``, ``chat_gateway.reconciler``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

import structlog

from gateway.relay.errors import ContactCenterError
from gateway.relay.model import CcConversationId, State
from gateway.relay.ports import Store

logger = structlog.get_logger(__name__)


class OrphanCheck(Protocol):
    def owns(self, cc_conversation_id: CcConversationId) -> bool:
        """Whether this API opened the conversation (each API checks only its own)."""
        ...

    async def still_open(self, cc_conversation_id: CcConversationId) -> bool: ...

    async def free(self, cc_conversation_id: CcConversationId) -> None:
        """Customer-leave, so the agent is freed."""
        ...


async def reconcile_once(
    store: Store,
    check: OrphanCheck,
    *,
    now: float,
    window_s: float,
    on_fixed: Callable[[], None] | None = None,
) -> int:
    """One sweep; returns how many 8x8 interactions it closed."""
    fixed = 0
    for conversation_id in await store.idle_conversations(
        (State.CLOSED, State.BOT), before=now, after=now - window_s, limit=200
    ):
        conv = await store.conversation(conversation_id)
        if conv is None or conv.cc_conversation_id is None or conv.escalation is None:
            continue
        if not check.owns(conv.cc_conversation_id):
            continue  # the other API's reconciler looks after it
        if conv.escalation.outcome is None or await store.outbox(conversation_id):
            continue  # still escalating, or the outbox has the leave in hand
        try:
            if await check.still_open(conv.cc_conversation_id):
                await check.free(conv.cc_conversation_id)
                fixed += 1
                if on_fixed is not None:
                    on_fixed()
                logger.warning(
                    "orphan_freed", conversation_id=conv.id, cc_conversation_id=conv.cc_conversation_id
                )
        except ContactCenterError as exc:
            logger.info("reconcile_skipped", conversation_id=conv.id, error=str(exc))
    return fixed


async def run_reconciler(
    store: Store,
    check: OrphanCheck,
    *,
    interval_s: float,
    window_s: float,
    clock: Callable[[], float],
    on_fixed: Callable[[], None] | None = None,
) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await reconcile_once(store, check, now=clock(), window_s=window_s, on_fixed=on_fixed)
        except Exception:
            logger.exception("reconcile_failed")
