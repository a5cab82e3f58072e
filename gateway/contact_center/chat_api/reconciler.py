"""No orphans: finds chats the gateway considers finished whose 8x8 side still holds an interaction.

The outbox already delivers every customer-leave the relay decided on, across restarts. This sweep
catches what drifts anyway: an interaction re-opened on 8x8's side by a stray message (spec gotcha 8),
or a leave 8x8 accepted and then lost. For every recently active conversation that is closed, or back
with the bot after an escalation, with nothing left in its outbox, it asks 8x8 whether the last
interaction is still open and, if so, calls customer-leave so the agent is freed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from gateway.contact_center.chat_api.client import ChatApiClient
from gateway.contact_center.chat_gateway.adapter import is_chat_gateway_id
from gateway.relay.errors import ContactCenterError
from gateway.relay.model import State
from gateway.relay.ports import Store

logger = structlog.get_logger(__name__)


async def reconcile_once(
    store: Store,
    client: ChatApiClient,
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
        if is_chat_gateway_id(conv.cc_conversation_id):
            continue  # opened on Chat Gateway: not this API's to check
        if conv.escalation.outcome is None or await store.outbox(conversation_id):
            continue  # still escalating, or the outbox has the leave in hand
        try:
            remote = await client.get_conversation(conv.cc_conversation_id)
            interactions = remote.get("interactions") or []
            if interactions and "endTime" not in interactions[-1]:
                await client.customer_leave(conv.cc_conversation_id)
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
    client: ChatApiClient,
    *,
    interval_s: float,
    window_s: float,
    clock: Callable[[], float],
    on_fixed: Callable[[], None] | None = None,
) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await reconcile_once(store, client, now=clock(), window_s=window_s, on_fixed=on_fixed)
        except Exception:
            logger.exception("reconcile_failed")
