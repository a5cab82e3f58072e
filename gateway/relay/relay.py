"""The orchestrator: applies events to conversations through the pure machine, stores, then acts.

For every event: take the conversation's lock, load it, ``decide``, commit the decision (entries,
outbox items, inbox marks) in one store transaction, release the lock, then publish the new entries
to the customer's sockets and perform the effects (bot turns in order per conversation, outbox
delivery by ``OutboxDelivery``). Nothing is acknowledged to anyone before its commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import replace

import structlog

from gateway.relay.errors import (
    BotUnavailable,
    ContactCenterError,
    DuplicateEvent,
    StaleConversation,
    UnknownSession,
    WrongState,
)
from gateway.relay.events import (
    AgentRead,
    AgentSaid,
    BotMessage,
    BotSaid,
    CancelRequested,
    CustomerLeft,
    CustomerSaid,
    Event,
    HandoffRequested,
    InboundEvent,
    Queued,
    SystemNotice,
)
from gateway.relay.machine import AskBot, Decision, IllegalTransition, ResumeBot, decide
from gateway.relay.model import (
    AttachedFile,
    Author,
    Button,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Handback,
    Handoff,
    OutboxKind,
    State,
    Typing,
)
from gateway.relay.policy import BotPolicy, ConversationPolicy, ExtrasPolicy
from gateway.relay.ports import (
    Bot,
    BotReply,
    BotTurn,
    Change,
    ContactCenter,
    Fanout,
    Feature,
    Leases,
    NoTelemetry,
    SoleInstance,
    Store,
    StoredFile,
    Telemetry,
)
from gateway.relay.tasks import Coalescer, KeyedLocks, SerialRunner
from gateway.relay.thinking import while_thinking

logger = structlog.get_logger(__name__)

_COMMIT_ATTEMPTS = 5
_APPLY_WAIT_S = 2.0
"""How long a webhook's answer waits for another instance that is applying the same chat's events."""
_APPLY_RETRY_S = 0.01


FILE_STATES = (State.ESCALATING, State.QUEUED, State.AGENT)
"""Files go to agents: a customer may send them while waiting for or talking to one."""


def new_file_key() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Relay:
    def __init__(
        self,
        *,
        store: Store,
        bot: Bot,
        fanout: Fanout,
        bot_policy: BotPolicy,
        policy: ConversationPolicy,
        telemetry: Telemetry | None = None,
        leases: Leases | None = None,
        clock: Callable[[], float] = time.time,
        contact_center: ContactCenter | None = None,
        extras_policy: ExtrasPolicy,
    ) -> None:
        self.store = store
        self.leases: Leases = leases or SoleInstance()
        """Who may apply a contact-center conversation's events when several instances share the store."""
        self.telemetry: Telemetry = telemetry or NoTelemetry()
        self._bot = bot
        self._fanout = fanout
        self._policy = bot_policy
        self.policy = policy
        self.clock = clock
        self._locks = KeyedLocks()
        self._bot_jobs = SerialRunner()
        self._inbound = Coalescer(self._apply_pending_inbound)
        self._inbound_locks = KeyedLocks()  # one applier per contact-center conversation in this process
        self._empty_replies: dict[ConversationId, int] = {}
        self.contact_center = contact_center
        self.extras_policy = extras_policy
        self._typing = Coalescer(self._forward_typing)
        self._typing_sent: dict[ConversationId, float] = {}
        self._receipts = Coalescer(self._forward_read)
        self._read_wanted: dict[ConversationId, int] = {}  # the customer has read up to this seq
        self._read_sent: dict[ConversationId, int] = {}  # ... and the contact center knows up to this one
        self.on_outbox: Callable[[ConversationId], None] = lambda _cid: None
        """Set by the outbox delivery: called after a commit that queued contact-center work."""

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Pick up what a previous run left: stored-but-unapplied contact-center events."""
        for cc_id in {ev.cc_conversation_id for ev in await self.store.pending_inbound()}:
            self._inbound.kick(cc_id)

    async def recover_bot_turns(self, *, settled_before: float, since: float) -> int:
        """Ask the bot again where a customer's line was stored and acked but the bot's turn was lost (the
        process died between the two: bot turns live in memory). Looks at chats with the bot whose last
        activity lies in [since, settled_before) and whose last entry is still the customer's line.
        ``settled_before`` must leave any turn still running elsewhere (another instance) time to finish.
        Returns how many turns it asked for again."""
        asked = 0
        for conversation_id in await self.store.idle_conversations(
            (State.BOT,), before=settled_before, after=since, limit=1000
        ):
            conv = await self.store.conversation(conversation_id)
            if conv is None or conv.state is not State.BOT or conv.last_seq == 0:
                continue
            last = await self.store.entries(conversation_id, after=conv.last_seq - 1)
            if not last or last[-1].author is not Author.CUSTOMER or not last[-1].text:
                continue
            text = last[-1].text
            logger.info("bot_turn_recovered", conversation_id=conversation_id, seq=last[-1].seq)
            self._bot_jobs.submit(conversation_id, lambda c=conversation_id, t=text: self._bot_turn(c, t))  # type: ignore[misc]
            asked += 1
        return asked

    async def stop(self) -> None:
        await self._bot_jobs.close()
        await self._inbound.close()
        await self._typing.close()
        await self._receipts.close()

    async def idle(self) -> None:
        """Wait until no bot turn and no inbound work is running (for tests and shutdown)."""
        while len(self._bot_jobs) or len(self._inbound):
            await self._bot_jobs.idle()
            await self._inbound.idle()

    # --- sessions --------------------------------------------------------------------------------

    async def start_session(self, customer: Customer) -> tuple[str, Conversation]:
        token = secrets.token_urlsafe(32)
        conv = Conversation(
            id=ConversationId(uuid.uuid4().hex), state=State.BOT, customer=customer, created_at=self.clock()
        )
        await self.store.create_conversation(conv, hash_token(token))
        logger.info("session_started", conversation_id=conv.id)
        return token, conv

    async def resume_session(self, token: str) -> Conversation:
        token_hash = hash_token(token)
        conv = await self.store.conversation_by_token(token_hash)
        if conv is None:
            raise UnknownSession("unknown session")
        return conv

    async def conversation(self, conversation_id: ConversationId) -> Conversation:
        conv = await self.store.conversation(conversation_id)
        if conv is None:
            raise UnknownSession("unknown session")
        return conv

    # --- customer --------------------------------------------------------------------------------

    async def customer_says(
        self,
        conversation_id: ConversationId,
        text: str,
        client_id: str,
        *,
        origin: str | None = None,
        attachments: tuple[AttachedFile, ...] = (),
    ) -> tuple[int, bool]:
        """Store the customer's line; return its seq and whether it is new (False for a repeated client_id).

        While waiting for an agent, the keep-waiting and back-to-the-bot payloads (the buttons of a queue
        offer) are for the gateway: stored and acked, but not sent to the agent. ``attachments`` (files
        stored already) are accepted only in ``FILE_STATES``, else ``WrongState``.
        """
        back_to_bot = False
        async with self._locks.hold(conversation_id):
            seq = await self.store.seq_of_client_id(conversation_id, client_id)
            if seq is not None:
                return seq, False
            if attachments and (await self.conversation(conversation_id)).state not in FILE_STATES:
                raise WrongState("files can be sent to an agent only: ask for one first")
            forward = True
            stripped = text.strip()
            if stripped in (self.policy.back_to_bot_payload, self.policy.keep_waiting_payload):
                waiting = (await self.conversation(conversation_id)).state in (State.ESCALATING, State.QUEUED)
                forward = not waiting
                back_to_bot = waiting and stripped == self.policy.back_to_bot_payload
            event = CustomerSaid(text, client_id, self.clock(), forward=forward, attachments=attachments)
            decision = await self._commit(conversation_id, event)
        await self._after(decision, origin=origin)
        if back_to_bot:
            with contextlib.suppress(WrongState):
                await self.cancel(conversation_id)
        return next(e.seq for e in decision.entries if e.client_id == client_id), True

    async def cancel(self, conversation_id: ConversationId) -> None:
        await self._customer_event(conversation_id, CancelRequested(self.clock()))

    async def leave(self, conversation_id: ConversationId, *, reason: str = "customer") -> None:
        await self._customer_event(conversation_id, CustomerLeft(self.clock(), reason=reason))

    async def customer_typing(self, conversation_id: ConversationId) -> None:
        """The customer is typing: tell the agent, at most once per ``typing_interval_s``, if the contact
        center can show it (Chat Gateway); otherwise, or with no agent, it goes nowhere."""
        if self.contact_center is None:
            return
        now = self.clock()
        last = self._typing_sent.get(conversation_id)
        if last is not None and now - last < self.extras_policy.typing_interval_s:
            return
        self._typing_sent[conversation_id] = now
        if len(self._typing_sent) > 10_000:  # forget chats that stopped typing long ago
            horizon = now - self.extras_policy.typing_interval_s
            self._typing_sent = {k: v for k, v in self._typing_sent.items() if v >= horizon}
        self._typing.kick(conversation_id)

    async def _forward_typing(self, key: Hashable) -> None:
        conv = await self.conversation(ConversationId(str(key)))
        cc, cc_id = self.contact_center, conv.cc_conversation_id
        if (
            cc is None
            or conv.state is not State.AGENT
            or cc_id is None
            or not cc.supports(Feature.TYPING, cc_id)
        ):
            return
        try:
            async with asyncio.timeout(self.extras_policy.call_timeout_s):
                await cc.customer_typing(cc_id)
        except (ContactCenterError, TimeoutError) as exc:
            # A lost typing indicator is not worth a retry: the next keystroke sends another.
            logger.info("typing_not_forwarded", conversation_id=conv.id, error=type(exc).__name__)

    async def customer_read(self, conversation_id: ConversationId, upto_seq: int) -> None:
        """The customer has seen the transcript up to ``upto_seq``: tell the agent where the contact center
        shows it (Chat Gateway read receipts), never twice for the same seq, latest first when busy."""
        if self.contact_center is None or upto_seq <= self._read_sent.get(conversation_id, 0):
            return
        if upto_seq > self._read_wanted.get(conversation_id, 0):
            self._read_wanted[conversation_id] = upto_seq
            if len(self._read_wanted) > 10_000:  # forget the oldest chats' marks
                for stale in list(self._read_wanted)[:5_000]:
                    self._read_wanted.pop(stale, None)
                    self._read_sent.pop(stale, None)
            self._receipts.kick(conversation_id)

    async def _forward_read(self, key: Hashable) -> None:
        conversation_id = ConversationId(str(key))
        wanted = self._read_wanted.get(conversation_id, 0)
        conv = await self.conversation(conversation_id)
        cc, cc_id = self.contact_center, conv.cc_conversation_id
        if cc is None or conv.state is not State.AGENT or cc_id is None:
            return
        if not cc.supports(Feature.READ_RECEIPTS, cc_id):
            return
        seq = min(wanted, conv.last_seq)
        upto = await self.store.entries(conversation_id, after=seq - 1, upto=seq)
        if not upto:
            return
        try:
            async with asyncio.timeout(self.extras_policy.call_timeout_s):
                # Everything the agent said was stored here after 8x8 had it: its time covers them all.
                await cc.customer_read(cc_id, read_at=upto[-1].ts)
        except (ContactCenterError, TimeoutError) as exc:
            logger.info(
                "read_receipt_not_forwarded", conversation_id=conversation_id, error=type(exc).__name__
            )
            return
        self._read_sent[conversation_id] = max(self._read_sent.get(conversation_id, 0), wanted)

    async def open_file(self, key: str) -> StoredFile | None:
        """A stored file by key; a contact-center file is fetched (and kept) on first use.

        ``None``: no such file. ``ContactCenterError``/``TimeoutError``: the agent's file cannot be had now.
        """
        file = await self.store.attachment(key)
        if file is None or file.data is not None:
            return file
        conv = await self.store.conversation(file.conversation_id)
        if self.contact_center is None or conv is None or conv.cc_conversation_id is None:
            return None
        async with asyncio.timeout(self.extras_policy.call_timeout_s):
            content_type, data = await self.contact_center.fetch_attachment(
                conv.cc_conversation_id, file.attachment
            )
        if not file.attachment.content_type or file.attachment.content_type == "application/octet-stream":
            file = replace(file, attachment=replace(file.attachment, content_type=content_type))
        file = replace(file, data=data)
        await self.store.put_attachment(file)
        return file

    async def _customer_event(self, conversation_id: ConversationId, event: Event) -> None:
        try:
            await self.apply(conversation_id, event)
        except IllegalTransition as exc:
            raise WrongState(str(exc)) from exc

    # --- contact center --------------------------------------------------------------------------

    async def accept_cc_event(self, inbound: InboundEvent) -> bool:
        """Store a verified contact-center event and apply it; then the webhook may be answered.

        It is applied before the answer, so whatever the customer does after the answer comes after the
        event in the transcript. If another instance is applying the chat's events, this waits for it (up
        to ``_APPLY_WAIT_S``) and applies what is left. An event that cannot be applied now stays stored
        (the answer is still 2xx) and is applied in the background.
        """
        ev = inbound.event
        if isinstance(ev, AgentSaid) and any(not a.key for a in ev.attachments):
            # Keys are chosen once, here, so every later application of the event serves the same links.
            files = tuple(a if a.key else replace(a, key=new_file_key()) for a in ev.attachments)
            inbound = replace(inbound, event=replace(ev, attachments=files))
        if self._applies_as_it_is(inbound):
            fresh = await self._record_applied(inbound)
            if fresh is not None:
                return fresh
        fresh = await self.store.record_inbound(inbound)
        if fresh:
            await self._apply_before_answer(inbound.cc_conversation_id)
        return fresh

    def _applies_as_it_is(self, inbound: InboundEvent) -> bool:
        """Events that ``_apply_inbound`` applies without work of its own (files, read marks, notices)."""
        ev = inbound.event
        if isinstance(ev, AgentSaid):
            return not ev.attachments
        return not isinstance(ev, AgentRead) and not (
            isinstance(ev, Queued) and self.policy.queue_notice_text
        )

    async def _record_applied(self, inbound: InboundEvent) -> bool | None:
        """The usual case in one write: store the event and its application together.

        Whether it was new, or None when this does not fit and the event must be recorded first: another
        instance holds the chat's lease, an earlier event still waits, the chat is not known yet, or the
        machine refuses the event (it is then recorded and marked as ignored by the usual path).
        """
        cc_id = inbound.cc_conversation_id
        async with self._inbound_locks.hold(cc_id), self.leases.claim(f"inbound:{cc_id}") as mine:
            if not mine:
                return None
            conv = await self.store.conversation_by_cc_id(cc_id)
            if conv is None or await self.store.pending_inbound(cc_id):
                return None
            try:
                async with self._locks.hold(conv.id):
                    decision = await self._commit(conv.id, inbound.event, inbound_add=inbound, known=conv)
            except DuplicateEvent:
                return False
            except IllegalTransition:
                return None
            await self._after(decision, origin=None)
        if isinstance(inbound.event, AgentSaid):
            self.telemetry.message_relayed("agent_to_customer", self.clock() - inbound.received_at)
        return True

    async def _apply_before_answer(self, cc_id: CcConversationId) -> None:
        deadline = time.monotonic() + _APPLY_WAIT_S
        try:
            while not await self._apply_pending_inbound(cc_id):
                if time.monotonic() >= deadline:
                    logger.info("cc_event_apply_deferred", cc_conversation_id=cc_id, why="lease_held")
                    break
                await asyncio.sleep(_APPLY_RETRY_S)
            else:
                return
        except Exception:
            logger.exception("cc_event_apply_deferred", cc_conversation_id=cc_id)
        self._inbound.kick(cc_id)

    async def agent_typing(self, cc_conversation_id: CcConversationId, *, active: bool) -> None:
        """The agent started (or stopped) typing: tell the customer's sockets; nothing is stored."""
        conv = await self.store.conversation_by_cc_id(cc_conversation_id)
        if conv is None or conv.state is not State.AGENT:
            return
        await self._fanout.signal(conv.id, Typing(Author.AGENT, active, conv.agent))

    async def _read_upto(self, conversation_id: ConversationId, read_at: float) -> int:
        """The customer's last entry the agent can have read by ``read_at``: stored by then and delivered."""
        conv = await self.conversation(conversation_id)
        undelivered = [o.seq for o in await self.store.outbox(conversation_id) if o.kind is OutboxKind.POST]
        limit = min(undelivered, default=conv.last_seq + 1) - 1
        entries = await self.store.entries(
            conversation_id, after=conv.agent_read_seq, upto=limit, limit=100_000
        )
        read = [e.seq for e in entries if e.author is Author.CUSTOMER and e.ts <= read_at]
        return max(read, default=0)

    def kick_inbound(self, cc_conversation_id: CcConversationId) -> None:
        self._inbound.kick(cc_conversation_id)

    async def _apply_pending_inbound(self, key: Hashable) -> bool:
        """Apply the chat's stored events in order; False if another instance holds its lease (and so
        applies them, looking again once it lets go)."""
        cc_id = CcConversationId(str(key))
        while True:
            async with self._inbound_locks.hold(cc_id), self.leases.claim(f"inbound:{cc_id}") as mine:
                if not mine:
                    return False
                conv = await self.store.conversation_by_cc_id(cc_id)
                if conv is None:
                    return True  # parked until the create call returns and records the id (QUEUED can come first)
                await self._apply_inbound(conv, cc_id)
            # Events stored by another instance while we held the lease are ours to apply. (Alone, an
            # event stored meanwhile is applied by its own webhook, which waited for the lock.)
            if isinstance(self.leases, SoleInstance) or not await self.store.pending_inbound(cc_id):
                return True

    async def _apply_inbound(self, conv: Conversation, cc_id: CcConversationId) -> None:
        for inbound in await self.store.pending_inbound(cc_id):
            event = inbound.event
            if isinstance(event, AgentSaid):
                for file in event.attachments:
                    await self.store.put_attachment(StoredFile(conv.id, file, None, inbound.received_at))
            elif isinstance(event, AgentRead):
                event = replace(event, upto_seq=await self._read_upto(conv.id, event.read_at))
            try:
                # The queue notice goes in right after QUEUED, before anything the customer does meanwhile.
                async with self._locks.hold(conv.id):
                    decisions = [await self._commit(conv.id, event, inbound_done=(inbound.event_id,))]
                    if isinstance(inbound.event, Queued) and self.policy.queue_notice_text:
                        name = inbound.event.queue.name or inbound.event.queue.id
                        notice = self.policy.queue_notice_text.replace("{queue}", name)
                        with contextlib.suppress(IllegalTransition):
                            decisions.append(await self._commit(conv.id, SystemNotice(notice, self.clock())))
            except IllegalTransition as exc:
                # A late event (e.g. AGENT_JOINED after the customer cancelled): recorded, ignored.
                logger.info(
                    "cc_event_ignored",
                    conversation_id=conv.id,
                    cc_conversation_id=cc_id,
                    event_id=inbound.event_id,
                    why=str(exc),
                )
                await self.mark_done(conv.id, inbound_done=(inbound.event_id,))
                continue
            for decision in decisions:
                await self._after(decision, origin=None)
            if isinstance(inbound.event, AgentSaid):
                self.telemetry.message_relayed("agent_to_customer", self.clock() - inbound.received_at)

    # --- the core loop ---------------------------------------------------------------------------

    async def apply(
        self,
        conversation_id: ConversationId,
        event: Event,
        *,
        origin: str | None = None,
        outbox_done: tuple[str, ...] = (),
        inbound_done: tuple[str, ...] = (),
    ) -> Decision:
        async with self._locks.hold(conversation_id):
            decision = await self._commit(
                conversation_id, event, outbox_done=outbox_done, inbound_done=inbound_done
            )
        await self._after(decision, origin=origin)
        return decision

    async def mark_done(
        self,
        conversation_id: ConversationId,
        *,
        outbox_done: tuple[str, ...] = (),
        inbound_done: tuple[str, ...] = (),
    ) -> None:
        """Record outbox items or inbound events as finished without changing the conversation.

        Outbox items alone keep the conversation's version (the store leaves its row as it is); an inbound
        event moves it on, so that another instance's copy of the same event is refused as stale.
        """
        bump = 1 if inbound_done else 0
        async with self._locks.hold(conversation_id):
            for _ in range(_COMMIT_ATTEMPTS):
                conv = await self.conversation(conversation_id)
                try:
                    await self.store.commit(
                        Change(
                            conversation=replace(conv, version=conv.version + bump),
                            expected_version=conv.version,
                            outbox_done=outbox_done,
                            inbound_done=inbound_done,
                        )
                    )
                    return
                except StaleConversation:
                    continue
            raise StaleConversation(conversation_id)

    async def _commit(
        self,
        conversation_id: ConversationId,
        event: Event,
        *,
        outbox_done: tuple[str, ...] = (),
        inbound_done: tuple[str, ...] = (),
        inbound_add: InboundEvent | None = None,
        known: Conversation | None = None,
    ) -> Decision:
        """``known``: a copy just read, tried first (if it is stale, the store refuses it and we read)."""
        for _ in range(_COMMIT_ATTEMPTS):
            conv, known = known or await self.conversation(conversation_id), None
            decision = decide(conv, event)
            try:
                await self.store.commit(
                    Change(
                        conversation=replace(decision.conversation, version=conv.version + 1),
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

    async def _after(self, decision: Decision, *, origin: str | None) -> None:
        conv = decision.conversation
        if decision.entries:
            await self._fanout.publish(conv.id, decision.entries, origin=origin)
        for signal in decision.signals:
            await self._fanout.signal(conv.id, signal)
        if decision.outbox:
            self.on_outbox(conv.id)
        for effect in decision.effects:
            match effect:
                case AskBot(text=text):
                    self.telemetry.message_relayed("customer_to_bot")
                    self._bot_jobs.submit(conv.id, lambda t=text: self._bot_turn(conv.id, t))  # type: ignore[misc]
                case ResumeBot(handback=handback):
                    self.telemetry.escalation(handback.outcome.value, handback.reason or "")
                    self._bot_jobs.submit(conv.id, lambda h=handback: self._bot_resume(conv.id, h))  # type: ignore[misc]

    # --- bot -------------------------------------------------------------------------------------

    async def _bot_turn(self, conversation_id: ConversationId, text: str) -> None:
        conv = await self.conversation(conversation_id)
        if conv.state is not State.BOT:
            return  # escalated meanwhile: the bot must not answer while an agent owns the conversation
        if text.strip() == self._policy.agent_request_payload:
            await self.request_handoff(conversation_id, Handoff(reason="customer_asked"))
            return
        started = time.perf_counter()
        try:
            reply = await while_thinking(
                self._bot.respond(BotTurn(conversation_id, text, conv.customer)),
                lambda active: self._thinking(conv, active),
                after_s=self._policy.thinking_after_s,
            )
            result = "handoff" if reply.handoff else "answered" if reply.messages else "empty"
        except BotUnavailable as exc:
            logger.warning("bot_unavailable", conversation_id=conversation_id, error=str(exc))
            reply = BotReply(messages=(self._offer_agent(self._policy.unavailable_text),))
            result = "unavailable"
        self.telemetry.bot_answered(result, time.perf_counter() - started)
        logger.info(
            "bot_answered",
            conversation_id=conversation_id,
            messages=len(reply.messages),
            handoff=reply.handoff is not None,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        if not reply.messages and reply.handoff is None:
            reply = self._count_empty_reply(conversation_id)
        else:
            self._empty_replies.pop(conversation_id, None)
        await self._say(conversation_id, reply)

    async def _thinking(self, conv: Conversation, active: bool) -> None:
        """The customer sees the assistant typing; inside 8x8's conversation (post-agent) 8x8 is told too."""
        await self._fanout.signal(conv.id, Typing(Author.BOT, active))
        cc, cc_id = self.contact_center, conv.cc_conversation_id
        window = conv.cc_bot
        if (
            active
            and cc is not None
            and cc_id is not None
            and window is not None
            and window.open_at(self.clock())
        ):
            # short: the answer waits for this call
            async with asyncio.timeout(min(2.0, self.extras_policy.call_timeout_s)):
                await cc.bot_thinking(cc_id)

    async def _bot_resume(self, conversation_id: ConversationId, handback: Handback) -> None:
        conv = await self.conversation(conversation_id)
        try:
            reply = await self._bot.resume(conversation_id, conv.customer, handback)
        except BotUnavailable as exc:
            logger.warning("bot_resume_failed", conversation_id=conversation_id, error=str(exc))
            return
        if handback.speak:
            await self._say(conversation_id, reply)

    async def _say(self, conversation_id: ConversationId, reply: BotReply) -> None:
        if reply.messages:
            try:
                await self.apply(conversation_id, BotSaid(reply.messages, self.clock()))
            except IllegalTransition:
                logger.info("bot_reply_dropped", conversation_id=conversation_id)
                return
            for _ in reply.messages:
                self.telemetry.message_relayed("bot_to_customer")
        if reply.handoff is not None:
            await self.request_handoff(conversation_id, reply.handoff)

    async def request_handoff(self, conversation_id: ConversationId, handoff: Handoff) -> None:
        now = self.clock()
        hours = self.policy.hours
        closed = self.policy.closed_text if hours is not None and not hours.open_at(now) else None
        try:
            await self.apply(
                conversation_id, HandoffRequested(handoff, str(uuid.uuid4()), now, closed_notice=closed)
            )
        except IllegalTransition:
            # Already escalating (or closed): two triggers never open two conversations.
            logger.info("handoff_ignored", conversation_id=conversation_id)

    def _count_empty_reply(self, conversation_id: ConversationId) -> BotReply:
        count = self._empty_replies.get(conversation_id, 0) + 1
        limit = self._policy.empty_replies_before_offer
        if limit and count >= limit:
            self._empty_replies.pop(conversation_id, None)
            return BotReply(messages=(self._offer_agent(None),))
        self._empty_replies[conversation_id] = count
        logger.info("bot_said_nothing", conversation_id=conversation_id, in_a_row=count)
        return BotReply()

    def _offer_agent(self, text: str | None) -> BotMessage:
        return BotMessage(
            text=text or "I could not answer that.",
            buttons=(Button(self._policy.offer_agent_title, self._policy.agent_request_payload),),
        )
