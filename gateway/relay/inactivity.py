"""Closes conversations whose customer went quiet: the customer "leaves", so an agent is freed.

Only conversations with the bot or with an agent time out; waiting in a queue is not inactivity.
Activity is the time of the conversation's last transcript entry, whoever wrote it.
"""

from __future__ import annotations

import asyncio

import structlog

from gateway.relay.errors import WrongState
from gateway.relay.model import State
from gateway.relay.relay import Relay

logger = structlog.get_logger(__name__)

TIMED_OUT_STATES = (State.BOT, State.AGENT)


async def close_idle(relay: Relay, *, timeout_s: float) -> int:
    """One sweep; returns how many conversations it closed."""
    closed = 0
    before = relay.clock() - timeout_s
    for conversation_id in await relay.store.idle_conversations(TIMED_OUT_STATES, before=before):
        try:
            await relay.leave(conversation_id, reason="inactivity")
        except WrongState:
            continue  # it changed meanwhile
        closed += 1
        logger.info("conversation_timed_out", conversation_id=conversation_id, timeout_s=timeout_s)
    return closed


async def run_inactivity_sweeps(relay: Relay, *, timeout_s: float) -> None:
    interval = max(0.05, min(30.0, timeout_s / 4))
    while True:
        await asyncio.sleep(interval)
        try:
            await close_idle(relay, timeout_s=timeout_s)
        except Exception:
            logger.exception("inactivity_sweep_failed")
