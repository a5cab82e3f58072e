"""The relay's core loop: per conversation, lock, load, decide, commit in one write, then act.

For every event: take the conversation's lock, load it, ``decide``, commit the decision (entries, outbox
items, inbox marks) in one store transaction, release the lock, then publish the new entries to the
customer's sockets, ring the outbox and hand the effects (bot turns) on. Nothing is acknowledged to anyone
before its commit; a commit made from a stale copy is refused by the store and decided again.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace

import structlog

from gateway.relay.decision import Decision, Effect
from gateway.relay.errors import StaleConversation, UnknownSession
from gateway.relay.events import Event, InboundEvent
from gateway.relay.machine import decide
from gateway.relay.model import Conversation, ConversationId
from gateway.relay.ports import Change, Fanout, Store
from gateway.relay.tasks import KeyedLocks

logger = structlog.get_logger(__name__)

COMMIT_ATTEMPTS = 5
"""How often a decision is made again on fresh state when another writer got there first."""


class Commits:
    """Applies events to conversations through the pure machine; the one writer of conversation state.

    ``on_outbox`` is called after a commit that queued contact-center work, ``on_effect`` for each effect
    of a stored decision (in order); both must return at once.
    """

    def __init__(
        self,
        *,
        store: Store,
        fanout: Fanout,
        on_outbox: Callable[[ConversationId], None],
        on_effect: Callable[[ConversationId, Effect], None],
    ) -> None:
        self._store = store
        self._fanout = fanout
        self._on_outbox = on_outbox
        self._on_effect = on_effect
        self._locks = KeyedLocks()

    def hold(self, conversation_id: ConversationId) -> AbstractAsyncContextManager[None]:
        """The conversation's lock: one decision at a time, in order."""
        return self._locks.hold(conversation_id)

    async def conversation(self, conversation_id: ConversationId) -> Conversation:
        conv = await self._store.conversation(conversation_id)
        if conv is None:
            raise UnknownSession("unknown session")
        return conv

    async def apply(
        self,
        conversation_id: ConversationId,
        event: Event,
        *,
        origin: str | None = None,
        outbox_done: tuple[str, ...] = (),
        inbound_done: tuple[str, ...] = (),
    ) -> Decision:
        """Decide, store, then act. ``IllegalTransition`` when the event does not apply now."""
        async with self.hold(conversation_id):
            decision = await self.commit(
                conversation_id, event, outbox_done=outbox_done, inbound_done=inbound_done
            )
        await self.after(decision, origin=origin)
        return decision

    async def mark_done(
        self,
        conversation_id: ConversationId,
        *,
        outbox_done: tuple[str, ...] = (),
        inbound_done: tuple[str, ...] = (),
    ) -> None:
        """Record outbox items or inbound events as finished without changing the conversation.

        Outbox items alone are removed without reading or locking the conversation (its row stays as it is);
        an inbound event moves its version on, so that another instance's copy of the same event is
        refused as stale.
        """
        if not inbound_done:  # bookkeeping only: no copy of the conversation, no lock
            await self._store.outbox_delivered(conversation_id, outbox_done)
            return
        async with self.hold(conversation_id):
            for _ in range(COMMIT_ATTEMPTS):
                conv = await self.conversation(conversation_id)
                try:
                    await self._store.commit(
                        Change(
                            conversation=replace(conv, version=conv.version + 1),
                            expected_version=conv.version,
                            outbox_done=outbox_done,
                            inbound_done=inbound_done,
                        )
                    )
                    return
                except StaleConversation:
                    continue
            raise StaleConversation(conversation_id)

    async def commit(
        self,
        conversation_id: ConversationId,
        event: Event,
        *,
        outbox_done: tuple[str, ...] = (),
        inbound_done: tuple[str, ...] = (),
        inbound_add: InboundEvent | None = None,
        known: Conversation | None = None,
    ) -> Decision:
        """Decide and store, the caller holding the conversation's lock; ``after`` is the caller's to call.

        ``known``: a copy just read, tried first (if it is stale, the store refuses it and we read).
        """
        for _ in range(COMMIT_ATTEMPTS):
            conv, known = known or await self._store.conversation(conversation_id), None
            if conv is None:  # (``self.conversation``, written out: on every line)
                raise UnknownSession("unknown session")
            decision = decide(conv, event)
            try:
                await self._store.commit(
                    Change(
                        conversation=decision.conversation,  # version: conv.version + 1
                        expected_version=conv.version,
                        entries=decision.entries,
                        outbox_add=decision.outbox,
                        outbox_done=outbox_done,
                        drop_outbox=decision.drop_outbox,
                        inbound_done=inbound_done,
                        inbound_add=inbound_add,
                    )
                )
            except StaleConversation:
                continue  # another writer (instance) got there first: decide again on fresh state
            if decision.conversation.state is not conv.state:
                logger.info(
                    "state_changed",
                    conversation_id=conversation_id,
                    cc_conversation_id=decision.conversation.cc_conversation_id,
                    trigger=type(event).__name__,
                    state=decision.conversation.state.value,
                    previous=conv.state.value,
                )
            return decision
        raise StaleConversation(conversation_id)

    async def after(self, decision: Decision, *, origin: str | None) -> None:
        """What a stored decision sets going: the customer's sockets, the outbox, the bot."""
        conv = decision.conversation
        if decision.entries:
            await self._fanout.publish(conv.id, decision.entries, origin=origin)
        for signal in decision.signals:
            await self._fanout.signal(conv.id, signal)
        if decision.outbox:
            self._on_outbox(conv.id)
        for effect in decision.effects:
            self._on_effect(conv.id, effect)
