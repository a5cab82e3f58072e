"""What happens with time: quiet chats are warned, then closed; long waits are offered a way out, then ended.

- Inactivity: a conversation with the bot or an agent whose last entry (system notices aside) is older
  than the timeout is closed as if the customer left (customer-leave frees the agent); a warning comes
  ``inactivity_warning_s`` before, once per quiet spell.
- Queue: after ``queue_offer_after_s`` in a queue the customer is offered to keep waiting or go back to
  the assistant; after ``max_queue_wait_s`` the chat leaves the queue and the bot takes over with the
  offline message. Waiting in a queue is never "inactivity".
- Overflow: with an ``overflow_queue_id``, a chat that waited ``overflow_after_s`` is moved there once (where
  the contact center can move it: Chat Gateway's conversation update), the customer is told, and its wait
  starts again, so the bot takes over only after the overflow queue's wait too. A move that fails is tried
  again at the next sweep; meanwhile the first queue's limits still apply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass

import structlog

from gateway.relay.errors import ContactCenterError, IllegalTransition, WrongState
from gateway.relay.events import InactivityWarning, QueueOverflowed, QueueTimedOut, QueueWaitOffer
from gateway.relay.model import Button, Conversation, ConversationId, QueueRef, State
from gateway.relay.ports import ContactCenter, Leases, Store
from gateway.relay.relay import Relay

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TimerPolicy:
    """When the timers act and what they say (from ``RelaySettings``; no defaults here)."""

    inactivity_timeout_s: float
    inactivity_warning_s: float
    inactivity_warning_text: str
    queue_offer_after_s: float
    queue_offer_text: str
    offer_buttons: tuple[Button, ...]
    max_queue_wait_s: float
    queue_timeout_text: str
    overflow_queue_id: str
    overflow_after_s: float
    overflow_text: str

    @property
    def interval_s(self) -> float:
        shortest = min(
            t
            for t in (
                self.inactivity_timeout_s,
                self.queue_offer_after_s or 1e9,
                self.max_queue_wait_s or 1e9,
                self.overflow_after_s if self.overflow_queue_id else 1e9,
            )
            if t > 0
        )
        return max(0.05, min(30.0, shortest / 4))


@dataclass(frozen=True, slots=True)
class Timers:
    """What the sweep works with: the relay applies what it decides, the store says which chats are idle,
    the contact center moves chats to the overflow queue, the leases pick the one instance that sweeps."""

    relay: Relay
    store: Store
    contact_center: ContactCenter
    leases: Leases
    policy: TimerPolicy


async def sweep(timers: Timers) -> None:
    relay, store, policy = timers.relay, timers.store, timers.policy
    now = relay.clock()
    timeout, warning = policy.inactivity_timeout_s, policy.inactivity_warning_s
    warns = 0 < warning < timeout
    before = now - (timeout - warning if warns else timeout)
    for conversation_id in await store.idle_conversations((State.BOT, State.AGENT), before=before):
        conv = await relay.conversation(conversation_id)
        if conv.active_at < now - timeout:
            await _try(relay.leave(conversation_id, reason="inactivity"), conversation_id, "inactive")
        elif warns and (conv.warned_at is None or conv.warned_at < conv.active_at):
            event = InactivityWarning(policy.inactivity_warning_text, now)
            await _try(relay.apply(conversation_id, event), conversation_id, "inactivity_warning")
    if not (policy.queue_offer_after_s or policy.max_queue_wait_s or policy.overflow_queue_id):
        return
    for conversation_id in await store.idle_conversations((State.QUEUED,), before=now + 1):
        conv = await relay.conversation(conversation_id)
        esc = conv.escalation
        if esc is None:
            continue
        waited = now - (esc.queued_at or esc.started_at)
        if await _overflow(timers, conv, waited, now):
            continue
        if policy.max_queue_wait_s and waited >= policy.max_queue_wait_s:
            event_out = QueueTimedOut(policy.queue_timeout_text, now)
            await _try(relay.apply(conversation_id, event_out), conversation_id, "queue_timeout")
        elif policy.queue_offer_after_s and waited >= policy.queue_offer_after_s and esc.offered_at is None:
            offer = QueueWaitOffer(policy.queue_offer_text, policy.offer_buttons, now)
            await _try(relay.apply(conversation_id, offer), conversation_id, "queue_offer")


async def _overflow(timers: Timers, conv: Conversation, waited: float, now: float) -> bool:
    """Move a chat that waited long enough to the overflow queue; True once it is moved."""
    relay, policy = timers.relay, timers.policy
    esc, cc_id, target = conv.escalation, conv.cc_conversation_id, policy.overflow_queue_id
    if not target or esc is None or esc.overflowed_at is not None or waited < policy.overflow_after_s:
        return False
    if cc_id is None or (conv.queue is not None and conv.queue.id == target):
        return False
    extras = timers.contact_center.extras(cc_id)
    if extras is None:
        return False  # Chat API v2: said at start-up; the first queue's limits apply
    try:
        await extras.move_to_queue(cc_id, target)
    except ContactCenterError as exc:
        logger.warning("overflow_move_failed", conversation_id=conv.id, queue_id=target, error=str(exc))
        return False
    event = QueueOverflowed(QueueRef(target), policy.overflow_text, now)
    await _try(relay.apply(conv.id, event), conv.id, "queue_overflow")
    return True


async def _try(action: Awaitable[object], conversation_id: ConversationId, what: str) -> None:
    try:
        await action
    except (WrongState, IllegalTransition):
        return  # it changed meanwhile
    logger.info("timer_fired", conversation_id=conversation_id, timer=what)


async def run_timers(timers: Timers) -> None:
    """Sweep every ``interval_s``; with several instances, only the one holding the ``timers`` lease does."""
    while True:
        await asyncio.sleep(timers.policy.interval_s)
        try:
            async with timers.leases.claim("timers") as mine:
                if mine:
                    await sweep(timers)
        except Exception:
            logger.exception("timer_sweep_failed")
