"""Delivers the outbox to the contact center: in order per conversation, exactly once, across restarts.

Each item is retried with capped exponential backoff and jitter while the contact center is
unavailable, always with the item's own key as Idempotency-Key, and removed from the store only in
the same transaction that records its result. Creating the conversation gives up after
``open_max_attempts`` (the customer is told and stays with the bot); customer lines and leaves
never give up on a transient error, because they were acknowledged.

With several instances (Redis), a conversation's outbox is delivered by whichever instance holds its
lease (``outbox:<conversation id>``); an instance that finds the lease taken leaves the work to the
holder, which looks for more after releasing it. ``pick_up_abandoned_work`` wakes every conversation with
work now and then, so a dead instance's work moves on once its lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from functools import partial
from typing import TypeVar, assert_never

import structlog

from gateway.relay.errors import (
    ContactCenterGaveUp,
    ContactCenterRejected,
    ContactCenterUnavailable,
    IllegalTransition,
    UnknownSession,
)
from gateway.relay.events import EscalationCreated, EscalationFailed, SystemNotice
from gateway.relay.model import (
    AttachedFile,
    Author,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    LeaveItem,
    MessageEntry,
    OpenItem,
    OutboxItem,
    PostItem,
)
from gateway.relay.ports import (
    Attachment,
    ContactCenter,
    ContactCenterExtras,
    HistoryLine,
    Leases,
    NoTelemetry,
    OpenRequest,
    SoleInstance,
    Store,
    Telemetry,
)
from gateway.relay.relay import Relay
from gateway.relay.tasks import Coalescer

logger = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How the outbox retries and what it tells the customer (from ``RelaySettings``; no defaults here)."""

    open_max_attempts: int
    retry_base_s: float
    retry_cap_s: float
    no_agent_text: str
    undeliverable_text: str


TAKEN_OVER_AFTER_S = 5.0
"""With several instances, an item this process has not tried that is older than this may have been tried
by an instance that died: it is looked for at 8x8 before it is sent."""


CUSTOMER_PREFIX = "customer."


def for_agent(customer: Customer) -> Customer:
    """The customer as the agent sees it: properties the client set are prefixed ``customer.``, so one
    cannot pass for the bot's verified context (``{"Authenticated": "yes"}`` from a page's script)."""
    extra = {f"{CUSTOMER_PREFIX}{key}": value for key, value in customer.extra.items()}
    return replace(customer, extra=extra)


class OutboxDelivery:
    """Delivers each conversation's outbox; ``wake`` is the relay's ``on_outbox``.

    ``relay`` records the results that change the conversation (``apply``) and is told of a conversation's
    new id (``kick_inbound``); ``store`` is read for the items, the conversation, the transcript and the
    files, and told of an item delivered (``outbox_delivered``: bookkeeping only).
    """

    def __init__(
        self,
        relay: Relay,
        contact_center: ContactCenter,
        policy: DeliveryPolicy,
        *,
        store: Store,
        telemetry: Telemetry | None = None,
        redact: Callable[[str], str] = lambda text: text,
        file_url: Callable[[AttachedFile], str] = lambda file: f"/chat/files/{file.key}",
        leases: Leases | None = None,
    ) -> None:
        self._redact = redact
        self._file_url = file_url
        self._leases: Leases = leases or SoleInstance()
        self._relay = relay
        self._store = store
        self._telemetry: Telemetry = telemetry or NoTelemetry()
        self._cc = contact_center
        self._policy = policy
        self._worker = Coalescer(
            self._deliver_queued if isinstance(self._leases, SoleInstance) else self._drain
        )
        self._born = relay.clock()
        self._attempted: set[str] = set()

    def wake(self, conversation_id: ConversationId) -> None:
        self._worker.kick(conversation_id)

    async def start(self) -> None:
        """Wake every conversation with undelivered work (left by a previous run, or by another instance)."""
        for conversation_id in await self._store.conversations_with_outbox():
            self.wake(conversation_id)

    async def stop(self, *, grace_s: float = 0.0) -> None:
        """Let deliveries under way finish for up to ``grace_s``, then cancel the rest (they stay stored)."""
        if grace_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._worker.idle(), grace_s)
        await self._worker.close()

    async def idle(self) -> None:
        await self._worker.idle()

    async def _drain(self, key: Hashable) -> None:
        """With other instances: deliver under the conversation's lease, and look again once it is let go."""
        conversation_id = ConversationId(str(key))
        while True:
            async with self._leases.claim(f"outbox:{conversation_id}") as mine:
                if not mine:
                    return  # another instance delivers it, and looks again once it lets go
                await self._deliver_queued(conversation_id)
            # Work queued by another instance while we held the lease is ours to deliver.
            if not await self._store.outbox(conversation_id):
                return

    async def _deliver_queued(self, key: Hashable) -> None:
        """Deliver the conversation's items in order. Alone (``SoleInstance``) this is the whole work: nobody
        else delivers, and work queued meanwhile has kicked the worker again."""
        conversation_id = ConversationId(str(key))
        store = self._store
        while items := await store.outbox(conversation_id):
            await self._deliver(items[0])
            if len(items) == 1:
                break  # what was queued since the read is looked for by ``_drain`` (or kicked us again)

    async def _deliver(self, item: OutboxItem) -> None:
        started = time.perf_counter()
        # The store itself, not ``Relay.conversation``: two calls that only pass it on, on every line.
        conv = await self._store.conversation(item.conversation_id)
        if conv is None:
            raise UnknownSession("unknown session")
        match item:
            case PostItem():
                await self._post(conv, item)
            case OpenItem():
                await self._open(conv, item)
            case LeaveItem():
                await self._leave(conv, item)
            case _:
                assert_never(item)
        # Customer lines (POST) only at debug: a log line per message costs the hot path.
        (logger.debug if isinstance(item, PostItem) else logger.info)(
            "outbox_delivered",
            conversation_id=conv.id,
            cc_conversation_id=conv.cc_conversation_id,
            outbox=item.kind.value,
            seq=item.seq,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    async def _open(self, conv: Conversation, item: OpenItem) -> None:
        esc = conv.escalation
        stored = conv.cc_conversation_id
        fresh = stored is None or not self._cc.can_reuse(stored)
        # A new conversation (also one replacing a stored one whose API is gone) gets the whole transcript.
        after = 0 if fresh and stored is not None else item.from_seq
        lines = await self._lines(conv.id, after=after, upto=item.seq - 1)
        try:
            if fresh:
                # Another process may have created it already: one that died before it recorded the answer
                # (the item predates this process), or an instance whose work this one took over.
                inherited = item.created_at < self._born or (
                    not isinstance(self._leases, SoleInstance)
                    and self._relay.clock() - item.created_at > TAKEN_OVER_AFTER_S
                )
                handoff = esc.handoff if esc is not None else None
                request = OpenRequest(
                    conversation_id=conv.id,
                    customer=for_agent(conv.customer.merged(handoff.customer) if handoff else conv.customer),
                    queue_id=handoff.queue_id if handoff else None,
                    reason=handoff.reason if handoff else "customer_asked",
                    context=dict(handoff.context) if handoff else {},
                    history=tuple(lines),
                    maybe_created_since=item.created_at if inherited else None,
                )
                cc_id = await self._retry(
                    lambda: self._cc.open_conversation(request, idempotency_key=item.key),
                    max_attempts=self._policy.open_max_attempts,
                )
            else:
                # Reopen: the contact center keeps the conversation; post what it has not seen yet.
                assert stored is not None
                cc_id = stored
                for i, line in enumerate(lines):
                    key = str(uuid.uuid5(uuid.UUID(item.key), str(i)))
                    await self._retry(
                        partial(self._cc.post_message, cc_id, line, idempotency_key=key),
                        max_attempts=self._policy.open_max_attempts,
                    )
        except (ContactCenterRejected, ContactCenterGaveUp) as exc:
            logger.warning("escalation_failed", conversation_id=conv.id, reason=str(exc))
            try:
                await self._relay.apply(
                    conv.id,
                    EscalationFailed(_reason(exc), self._policy.no_agent_text, self._relay.clock()),
                    outbox_done=(item.key,),
                )
            except IllegalTransition:  # the customer cancelled or left meanwhile
                await self._store.outbox_delivered(conv.id, (item.key,))
            return
        replaces = stored if fresh and stored is not None else None
        await self._relay.apply(
            conv.id, EscalationCreated(cc_id, self._relay.clock(), replaces=replaces), outbox_done=(item.key,)
        )
        self._relay.kick_inbound(cc_id)  # events that arrived before we knew the id
        self._telemetry.escalation("reused" if conv.cc_conversation_id else "created")

    async def _post(self, conv: Conversation, item: PostItem) -> None:
        cc_id = conv.cc_conversation_id
        if cc_id is None:
            await self._store.outbox_delivered(conv.id, (item.key,))
            return
        try:
            extras = self._cc.extras(cc_id) if item.attachments else None
            if extras is not None:
                await self._post_files(cc_id, item, extras)
            else:
                text = self._with_links(item.text, item.attachments)
                author = item.author
                sent_before = await self._sent_before(item, author, text) if self._suspect(item) else None
                line = HistoryLine(author=author, text=text, sent_before=sent_before)
                self._attempted.add(item.key)
                await self._retry(lambda: self._cc.post_message(cc_id, line, idempotency_key=item.key))
        except ContactCenterRejected as exc:
            logger.warning("message_undeliverable", conversation_id=conv.id, seq=item.seq, reason=str(exc))
            notice = SystemNotice(self._policy.undeliverable_text, self._relay.clock())
            await self._relay.apply(conv.id, notice, outbox_done=(item.key,))
            return
        await self._store.outbox_delivered(conv.id, (item.key,))
        await self._relay.line_delivered(conv.id)  # a read receipt may have waited for it
        self._attempted.discard(item.key)
        self._telemetry.message_relayed("customer_to_agent", self._relay.clock() - item.created_at)

    def _suspect(self, item: PostItem) -> bool:
        """Whether another process may have sent ``item`` already: one that died before it could record
        the delivery (the item predates this process), or another instance whose work this one took over
        (an item this process has not tried that waited longer than work normally waits)."""
        if item.key in self._attempted:
            return False  # this process's own attempts: the adapter remembers those that were uncertain
        if item.created_at < self._born:
            return True
        taken_over = not isinstance(self._leases, SoleInstance)
        return taken_over and self._relay.clock() - item.created_at > TAKEN_OVER_AFTER_S

    async def _sent_before(self, item: PostItem, author: Author, text: str) -> int:
        """How many lines by ``author`` with this text (as sent) came before ``item`` in the conversation.

        Every line the gateway ever sent for the conversation is among them, so a count at 8x8 above this
        one can only mean ``item`` went through. Counting more here than 8x8 received (files, lines of an
        older 8x8 conversation) errs towards sending again, never towards losing the line.
        """
        entries = await self._store.entries(item.conversation_id, after=0, upto=item.seq - 1, limit=100_000)
        return sum(
            1
            for e in entries
            if isinstance(e, MessageEntry)
            and e.author is author
            and e.text is not None
            and self._with_links(e.text, e.attachments) == text
        )

    async def _post_files(self, cc_id: CcConversationId, item: PostItem, extras: ContactCenterExtras) -> None:
        """The caption as a line, then each file as the customer's attachment (each with its own key)."""
        if item.text.strip():
            line = HistoryLine(author=Author.CUSTOMER, text=self._redact(item.text))
            await self._retry(lambda: self._cc.post_message(cc_id, line, idempotency_key=item.key))
        for file in item.attachments:
            stored = await self._store.attachment(file.key)
            if stored is None or stored.data is None:
                raise ContactCenterRejected(f"file {file.key[:6]}… is not in the store")
            upload = Attachment(filename=file.name, content_type=file.content_type, data=stored.data)
            key = str(uuid.uuid5(uuid.UUID(item.key), f"file-{file.key}"))
            await self._retry(
                partial(extras.post_attachment, cc_id, upload, author=Author.CUSTOMER, idempotency_key=key)
            )

    def _with_links(self, text: str, files: tuple[AttachedFile, ...]) -> str:
        """The degraded form of files (the Chat API takes text only): one line per file with its link."""
        lines = [self._redact(text)] if text.strip() else []
        for file in files:
            shown = replace(file, name=self._redact(file.name))  # the link's name part is only for reading
            lines.append(f"{shown.name} ({file.content_type}, {_size(file.size)}): {self._file_url(shown)}")
        return "\n".join(lines)

    async def _leave(self, conv: Conversation, item: LeaveItem) -> None:
        cc_id: CcConversationId | None = conv.cc_conversation_id
        if cc_id is not None:
            try:
                await self._retry(lambda: self._cc.customer_left(cc_id, idempotency_key=item.key))
            except ContactCenterRejected as exc:
                logger.warning("customer_leave_refused", conversation_id=conv.id, reason=str(exc))
        await self._store.outbox_delivered(conv.id, (item.key,))

    async def _lines(self, conversation_id: ConversationId, *, after: int, upto: int) -> list[HistoryLine]:
        entries = await self._store.entries(conversation_id, after=after, upto=upto, limit=100_000)

        def history() -> list[HistoryLine]:
            return [
                HistoryLine(author=e.author, text=self._with_links(e.text or "", e.attachments))
                for e in entries
                if isinstance(e, MessageEntry)
                and e.author in (Author.CUSTOMER, Author.BOT)
                and (e.text or e.attachments)
            ]

        # Redacting a long history is CPU work: off the event loop, so sockets and /healthz keep answering.
        return await asyncio.to_thread(history)

    async def _retry(self, call: Callable[[], Awaitable[T]], *, max_attempts: int | None = None) -> T:
        attempt = 0
        while True:
            try:
                return await call()
            except ContactCenterUnavailable as exc:
                attempt += 1
                if max_attempts is not None and attempt >= max_attempts:
                    raise ContactCenterGaveUp(f"unavailable after {attempt} attempts: {exc}") from exc
                delay = min(self._policy.retry_cap_s, self._policy.retry_base_s * 2 ** (attempt - 1))
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))


async def pick_up_abandoned_work(relay: Relay, outbox: OutboxDelivery, *, interval_s: float) -> None:
    """Every ``interval_s``: wake each conversation with undelivered or unapplied work.

    Work an instance holds a lease on is left to it; a dead instance's work is taken over once its
    lease has expired. Only needed when several instances share the store.
    """
    while True:
        await asyncio.sleep(interval_s)
        try:
            await outbox.start()
            await relay.kick_pending_inbound()
        except Exception:
            logger.exception("pick_up_failed")


def _size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _reason(exc: Exception) -> str:
    if isinstance(exc, ContactCenterRejected):
        return f"rejected: {exc}"
    return str(exc)
