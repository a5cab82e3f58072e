"""Contact-center events in: stored before their webhook is answered, applied in order, exactly once.

A verified event is stored (with its application, in the usual case, in the same write) and applied before
the webhook's 2xx, so whatever the customer does after the answer comes after the event in the transcript.
An event that cannot be applied now (another instance holds the chat's lease, the chat is not known yet)
stays stored and is applied in the background; ``start`` picks up what a previous run left.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Hashable
from dataclasses import replace

import structlog

from gateway.relay.commits import Commits
from gateway.relay.errors import DuplicateEvent, IllegalTransition
from gateway.relay.events import AgentRead, AgentSaid, InboundEvent, Queued, SystemNotice
from gateway.relay.files import new_file_key
from gateway.relay.model import (
    Author,
    CcConversationId,
    Conversation,
    ConversationId,
    MessageEntry,
    OutboxKind,
)
from gateway.relay.policy import ConversationPolicy
from gateway.relay.ports import Leases, SoleInstance, Store, StoredFile, Telemetry
from gateway.relay.tasks import Coalescer, KeyedLocks

logger = structlog.get_logger(__name__)

APPLY_WAIT_S = 2.0
"""How long a webhook's answer waits for another instance that is applying the same chat's events."""
_APPLY_RETRY_S = 0.01


HELD_READS_LIMIT = 2000
"""Conversations whose agent read receipt waits for a line's delivery to be recorded, at most (oldest dropped)."""


class Inbound:
    def __init__(
        self,
        *,
        commits: Commits,
        store: Store,
        leases: Leases,
        telemetry: Telemetry,
        conversation_policy: ConversationPolicy,
        clock: Callable[[], float],
    ) -> None:
        self._commits = commits
        self._store = store
        self._leases = leases
        self._telemetry = telemetry
        self._conversation_policy = conversation_policy
        self._clock = clock
        self._worker = Coalescer(self._apply_pending)
        self._locks = KeyedLocks()  # one applier per contact-center conversation in this process
        self._held_reads: dict[ConversationId, float] = {}  # see ``line_delivered``

    async def start(self) -> None:
        """Pick up what a previous run left: stored-but-unapplied contact-center events."""
        await self.kick_pending()

    async def kick_pending(self) -> None:
        for cc_id in {ev.cc_conversation_id for ev in await self._store.pending_inbound()}:
            self.kick(cc_id)

    def kick(self, cc_conversation_id: CcConversationId) -> None:
        """Apply the chat's stored events in the background (e.g. once its id is known)."""
        self._worker.kick(cc_conversation_id)

    async def stop(self) -> None:
        await self._worker.close()

    async def idle(self) -> None:
        await self._worker.idle()

    def __len__(self) -> int:
        return len(self._worker)

    async def accept(self, inbound: InboundEvent) -> bool:
        """Store a verified contact-center event and apply it; then the webhook may be answered.

        If another instance is applying the chat's events, this waits for it (up to ``APPLY_WAIT_S``) and
        applies what is left. Returns whether the event was new.
        """
        ev = inbound.event
        if isinstance(ev, AgentSaid) and ev.attachments and any(not a.key for a in ev.attachments):
            # Keys are chosen once, here, so every later application of the event serves the same links.
            files = tuple(a if a.key else replace(a, key=new_file_key()) for a in ev.attachments)
            inbound = replace(inbound, event=replace(ev, attachments=files))
        if self._applies_as_it_is(inbound):
            fresh = await self._record_applied(inbound)
            if fresh is not None:
                return fresh
        fresh = await self._store.record_inbound(inbound)
        if fresh:
            await self._apply_before_answer(inbound.cc_conversation_id)
        return fresh

    def _applies_as_it_is(self, inbound: InboundEvent) -> bool:
        """Events that ``_apply`` applies without work of its own (files, read marks, notices)."""
        ev = inbound.event
        if isinstance(ev, AgentSaid):
            return not ev.attachments
        return not isinstance(ev, AgentRead) and not (
            isinstance(ev, Queued) and self._conversation_policy.queue_notice_text
        )

    async def _record_applied(self, inbound: InboundEvent) -> bool | None:
        """The usual case in one write: store the event and its application together.

        Whether it was new, or None when this does not fit and the event must be recorded first: another
        instance holds the chat's lease, an earlier event still waits, the chat is not known yet, or the
        machine refuses the event (it is then recorded and marked as ignored by the usual path).
        """
        cc_id = inbound.cc_conversation_id
        async with self._locks.hold(cc_id):
            if isinstance(self._leases, SoleInstance):  # alone: no lease to claim (a claim is two calls)
                fresh = await self._apply_with_record(inbound)
            else:
                async with self._leases.claim(f"inbound:{cc_id}") as mine:
                    fresh = await self._apply_with_record(inbound) if mine else None
        if fresh and isinstance(inbound.event, AgentSaid):
            self._telemetry.message_relayed("agent_to_customer", self._clock() - inbound.received_at)
        return fresh

    async def _apply_with_record(self, inbound: InboundEvent) -> bool | None:
        """``_record_applied`` under the chat's lock and lease."""
        cc_id = inbound.cc_conversation_id
        conv = await self._store.conversation_by_cc_id(cc_id)
        if conv is None or await self._store.pending_inbound(cc_id):
            return None
        try:
            async with self._commits.hold(conv.id):
                decision = await self._commits.commit(conv.id, inbound.event, inbound_add=inbound, known=conv)
        except DuplicateEvent:
            return False
        except IllegalTransition:
            return None
        await self._commits.after(decision, origin=None)
        return True

    async def _apply_before_answer(self, cc_id: CcConversationId) -> None:
        deadline = time.monotonic() + APPLY_WAIT_S
        try:
            while not await self._apply_pending(cc_id):
                if time.monotonic() >= deadline:
                    logger.info("cc_event_apply_deferred", cc_conversation_id=cc_id, why="lease_held")
                    break
                await asyncio.sleep(_APPLY_RETRY_S)
            else:
                return
        except Exception:
            logger.exception("cc_event_apply_deferred", cc_conversation_id=cc_id)
        self.kick(cc_id)

    async def _apply_pending(self, key: Hashable) -> bool:
        """Apply the chat's stored events in order; False if another instance holds its lease (and so
        applies them, looking again once it lets go)."""
        cc_id = CcConversationId(str(key))
        while True:
            async with self._locks.hold(cc_id), self._leases.claim(f"inbound:{cc_id}") as mine:
                if not mine:
                    return False
                conv = await self._store.conversation_by_cc_id(cc_id)
                if conv is None:
                    return True  # parked until the create call returns and records the id (QUEUED can come first)
                await self._apply(conv, cc_id)
            # Events stored by another instance while we held the lease are ours to apply. (Alone, an
            # event stored meanwhile is applied by its own webhook, which waited for the lock.)
            if isinstance(self._leases, SoleInstance) or not await self._store.pending_inbound(cc_id):
                return True

    async def _apply(self, conv: Conversation, cc_id: CcConversationId) -> None:
        for inbound in await self._store.pending_inbound(cc_id):
            event = inbound.event
            if isinstance(event, AgentSaid):
                for file in event.attachments:
                    await self._store.put_attachment(StoredFile(conv.id, file, None, inbound.received_at))
            elif isinstance(event, AgentRead):
                event = replace(event, upto_seq=await self._read_upto(conv.id, event.read_at))
            try:
                # The queue notice goes in right after QUEUED, before anything the customer does meanwhile.
                async with self._commits.hold(conv.id):
                    decisions = [await self._commits.commit(conv.id, event, inbound_done=(inbound.event_id,))]
                    if isinstance(inbound.event, Queued) and self._conversation_policy.queue_notice_text:
                        name = inbound.event.queue.name or inbound.event.queue.id
                        notice = self._conversation_policy.queue_notice_text.replace("{queue}", name)
                        with contextlib.suppress(IllegalTransition):
                            decisions.append(
                                await self._commits.commit(conv.id, SystemNotice(notice, self._clock()))
                            )
            except IllegalTransition as exc:
                # A late event (e.g. AGENT_JOINED after the customer cancelled): recorded, ignored.
                logger.info(
                    "cc_event_ignored",
                    conversation_id=conv.id,
                    cc_conversation_id=cc_id,
                    event_id=inbound.event_id,
                    why=str(exc),
                )
                await self._commits.mark_done(conv.id, inbound_done=(inbound.event_id,))
                continue
            for decision in decisions:
                await self._commits.after(decision, origin=None)
            if isinstance(inbound.event, AgentSaid):
                self._telemetry.message_relayed("agent_to_customer", self._clock() - inbound.received_at)

    async def _read_upto(self, conversation_id: ConversationId, read_at: float) -> int:
        """The customer's last entry the agent can have read by ``read_at``: stored by then and delivered.

        A line stored by then whose delivery is not recorded yet (8x8 may hold it already: it takes a line
        before the gateway has the answer to its POST) holds the receipt back, to be worked out again once
        that delivery is recorded (``line_delivered``)."""
        conv = await self._commits.conversation(conversation_id)
        undelivered = [o.seq for o in await self._store.outbox(conversation_id) if o.kind is OutboxKind.POST]
        first_undelivered = min(undelivered, default=conv.last_seq + 1)
        entries = await self._store.entries(
            conversation_id, after=conv.agent_read_seq, upto=conv.last_seq, limit=100_000
        )
        read = [
            e.seq
            for e in entries
            if isinstance(e, MessageEntry) and e.author is Author.CUSTOMER and e.ts <= read_at
        ]
        if read and read[-1] >= first_undelivered:
            held = self._held_reads.pop(conversation_id, read_at)
            self._held_reads[conversation_id] = max(held, read_at)
            if len(self._held_reads) > HELD_READS_LIMIT:
                del self._held_reads[next(iter(self._held_reads))]
        return max((seq for seq in read if seq < first_undelivered), default=0)

    async def line_delivered(self, conversation_id: ConversationId) -> None:
        """A customer's line is recorded as delivered: a read receipt it held back is worked out again.

        In this process only (a receipt held back on another instance waits for the agent's next read), and
        best effort: a receipt is an indicator, and a failure here must not touch the delivery."""
        read_at = self._held_reads.pop(conversation_id, None)
        if read_at is None:
            return
        try:
            async with self._commits.hold(conversation_id):
                upto = await self._read_upto(conversation_id, read_at)
                decision = await self._commits.commit(
                    conversation_id, AgentRead(read_at=read_at, at=self._clock(), upto_seq=upto)
                )
            await self._commits.after(decision, origin=None)
        except Exception:
            logger.exception("read_receipt_not_updated", conversation_id=conversation_id)
