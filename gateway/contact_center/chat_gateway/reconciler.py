"""No orphans on Chat Gateway: the same sweep as ``chat_api.reconciler``, for the conversations it opened.

For every recently active conversation the gateway considers finished (closed, or back with the bot after
an escalation, nothing left in its outbox) that Chat Gateway opened, it asks for the conversation's
interactions and, if the last one has no ``endTime``, removes the user so the agent is freed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from gateway.contact_center.chat_gateway.adapter import bare, is_chat_gateway_id
from gateway.contact_center.chat_gateway.client import ChatGatewayClient
from gateway.relay.errors import ContactCenterError
from gateway.relay.model import State
from gateway.relay.ports import Store

logger = structlog.get_logger(__name__)


async def reconcile_once(
    store: Store,
    client: ChatGatewayClient,
    *,
    now: float,
    window_s: float,
    on_fixed: Callable[[], None] | None = None,
) -> int:
    """One sweep; returns how many Chat Gateway interactions it closed."""
    fixed = 0
    for conversation_id in await store.idle_conversations(
        (State.CLOSED, State.BOT), before=now, after=now - window_s, limit=200
    ):
        conv = await store.conversation(conversation_id)
        if conv is None or conv.cc_conversation_id is None or conv.escalation is None:
            continue
        if not is_chat_gateway_id(conv.cc_conversation_id):
            continue  # the Chat API's reconciler looks after those
        if conv.escalation.outcome is None or await store.outbox(conversation_id):
            continue  # still escalating, or the outbox has the leave in hand
        try:
            remote_id = bare(conv.cc_conversation_id)
            interactions = await client.interactions(remote_id)
            if interactions and not interactions[-1].get("endTime"):
                await client.user_left(remote_id)
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
    client: ChatGatewayClient,
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
