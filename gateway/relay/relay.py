"""The relay, as the channels, the webhooks and the workers see it: one object, its parts behind it.

Like a bridge's portal, it is split by job (mautrix/telegram's ``portal`` and ``portal_util``):

- ``commits``: the core loop (lock, load, decide, commit, then publish and act);
- ``bot_turns``: the bot's turns in order per conversation, its thinking and hand-offs;
- ``inbound``: contact-center events, stored before their webhook is answered and applied in order;
- ``indicators``: typing and read receipts, throttled, never stored;
- ``files``: uploads and the agent's files.

This module keeps the customer's sessions and lines and wires the parts; every collaborator comes in
through the constructor. ``on_outbox`` is called after a commit that queued contact-center work (the outbox
delivery's wake-up).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
import uuid
from collections.abc import Callable

import structlog

from gateway.relay.bot_turns import BotTurns
from gateway.relay.commits import Commits
from gateway.relay.decision import Decision, Effect
from gateway.relay.errors import IllegalTransition, InvalidInput, RepeatedClientId, UnknownSession, WrongState
from gateway.relay.events import CancelRequested, CustomerLeft, CustomerSaid, Event, InboundEvent
from gateway.relay.files import FILE_STATES, Files, Upload
from gateway.relay.inbound import Inbound
from gateway.relay.indicators import Indicators
from gateway.relay.model import (
    AttachedFile,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Entry,
    MessageEntry,
    State,
)
from gateway.relay.policy import BotPolicy, ConversationPolicy, ExtrasPolicy
from gateway.relay.ports import (
    Bot,
    ContactCenter,
    Fanout,
    Leases,
    NoTelemetry,
    SoleInstance,
    Store,
    StoredFile,
    Telemetry,
)

logger = structlog.get_logger(__name__)

MAX_CLIENT_ID_CHARS = 128
"""A customer line's ``client_id`` (the widget's id for its retries) is at most this long."""


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Relay:
    def __init__(
        self,
        *,
        store: Store,
        bot: Bot,
        fanout: Fanout,
        contact_center: ContactCenter,
        on_outbox: Callable[[ConversationId], None],
        bot_policy: BotPolicy,
        conversation_policy: ConversationPolicy,
        extras_policy: ExtrasPolicy,
        telemetry: Telemetry | None = None,
        leases: Leases | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self._store = store
        self._conversation_policy = conversation_policy
        telemetry = telemetry or NoTelemetry()
        self._commits = Commits(store=store, fanout=fanout, on_outbox=on_outbox, on_effect=self._on_effect)
        self._bot_turns = BotTurns(
            commits=self._commits,
            store=store,
            bot=bot,
            fanout=fanout,
            contact_center=contact_center,
            telemetry=telemetry,
            bot_policy=bot_policy,
            conversation_policy=conversation_policy,
            extras_policy=extras_policy,
            clock=clock,
        )
        self._inbound = Inbound(
            commits=self._commits,
            store=store,
            leases=leases or SoleInstance(),
            telemetry=telemetry,
            conversation_policy=conversation_policy,
            clock=clock,
        )
        self._indicators = Indicators(
            store=store,
            fanout=fanout,
            contact_center=contact_center,
            extras_policy=extras_policy,
            clock=clock,
        )
        self._files = Files(
            store=store, contact_center=contact_center, extras_policy=extras_policy, clock=clock
        )

    def _on_effect(self, conversation_id: ConversationId, effect: Effect) -> None:
        self._bot_turns.on_effect(conversation_id, effect)

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Pick up what a previous run left: stored-but-unapplied contact-center events."""
        await self._inbound.start()

    async def recover_bot_turns(self, *, settled_before: float, since: float) -> int:
        """See ``BotTurns.recover``: ask the bot again for turns a dead process lost."""
        return await self._bot_turns.recover(settled_before=settled_before, since=since)

    async def stop(self) -> None:
        await self._bot_turns.stop()
        await self._inbound.stop()
        await self._indicators.stop()

    async def idle(self) -> None:
        """Wait until no bot turn and no inbound work is running (for tests and shutdown)."""
        while len(self._bot_turns) or len(self._inbound):
            await self._bot_turns.idle()
            await self._inbound.idle()

    # --- sessions --------------------------------------------------------------------------------

    async def start_session(self, customer: Customer) -> tuple[str, Conversation]:
        token = secrets.token_urlsafe(32)
        conv = Conversation(
            id=ConversationId(uuid.uuid4().hex), state=State.BOT, customer=customer, created_at=self.clock()
        )
        await self._store.create_conversation(conv, hash_token(token))
        logger.info("session_started", conversation_id=conv.id)
        return token, conv

    async def resume_session(self, token: str) -> Conversation:
        conv = await self._store.conversation_by_token(hash_token(token))
        if conv is None:
            raise UnknownSession("unknown session")
        return conv

    async def conversation(self, conversation_id: ConversationId) -> Conversation:
        """``UnknownSession`` if there is none."""
        return await self._commits.conversation(conversation_id)

    async def conversation_by_cc_id(self, cc_conversation_id: CcConversationId) -> Conversation | None:
        return await self._store.conversation_by_cc_id(cc_conversation_id)

    async def entries(
        self, conversation_id: ConversationId, *, after: int = 0, upto: int | None = None, limit: int = 1000
    ) -> list[Entry]:
        """The transcript's entries with ``after < seq <= upto``, oldest first."""
        return await self._store.entries(conversation_id, after=after, upto=upto, limit=limit)

    # --- customer --------------------------------------------------------------------------------

    async def line_seq(self, conversation_id: ConversationId, client_id: str) -> int | None:
        """The seq of the customer's line stored with ``client_id``, if there is one (a retry)."""
        return await self._store.seq_of_client_id(conversation_id, client_id)

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
        policy = self._conversation_policy
        back_to_bot = False
        stripped = text.strip()
        plain = not attachments and stripped not in (policy.back_to_bot_payload, policy.keep_waiting_payload)
        async with self._commits.hold(conversation_id):
            # A plain line is committed straight away: the store refuses a repeated client_id
            # (``RepeatedClientId``), so the usual, new line costs no lookup of its own.
            if not plain and (seq := await self._store.seq_of_client_id(conversation_id, client_id)):
                return seq, False
            # Read once when it is needed here, and decided on (``known``): the commit need not read it again.
            conv = None if plain else await self.conversation(conversation_id)
            if attachments and conv is not None and conv.state not in FILE_STATES:
                raise WrongState("files can be sent to an agent only: ask for one first")
            forward = True
            if conv is not None and stripped in (policy.back_to_bot_payload, policy.keep_waiting_payload):
                waiting = conv.state in (State.ESCALATING, State.QUEUED)
                forward = not waiting
                back_to_bot = waiting and stripped == policy.back_to_bot_payload
            event = CustomerSaid(text, client_id, self.clock(), forward=forward, attachments=attachments)
            try:
                decision = await self._commits.commit(conversation_id, event, known=conv)
            except (RepeatedClientId, IllegalTransition):
                if (seq := await self._store.seq_of_client_id(conversation_id, client_id)) is None:
                    raise
                return seq, False
        await self._commits.after(decision, origin=origin)
        if back_to_bot:
            with contextlib.suppress(WrongState):
                await self.cancel(conversation_id)
        for entry in decision.entries:  # the line is the decision's one message with its client_id
            if isinstance(entry, MessageEntry) and entry.client_id == client_id:
                return entry.seq, True
        raise AssertionError("the decision on a customer line has no entry with its client_id")

    async def check_upload(
        self, conv: Conversation, *, client_id: str | None, upto_bytes: int, quota_bytes: int
    ) -> None:
        """Before an upload's body is read: ``TooLarge`` or ``WrongState`` when it cannot be taken."""
        await self._files.before_upload(
            conv, client_id=client_id, upto_bytes=upto_bytes, quota_bytes=quota_bytes
        )

    async def customer_sends_file(
        self, conversation_id: ConversationId, upload: Upload, *, text: str, client_id: str, quota_bytes: int
    ) -> tuple[int, AttachedFile | None]:
        """Store the customer's file, then the line that carries it; its seq and the file as stored.

        A repeated ``client_id`` is answered with the line stored first. ``InvalidInput`` for a
        ``client_id`` over ``MAX_CLIENT_ID_CHARS``, ``WrongState`` unless an agent is asked for or there,
        ``TooLarge`` beyond the conversation's quota.
        """
        if len(client_id) > MAX_CLIENT_ID_CHARS:
            raise InvalidInput(f"client_id: at most {MAX_CLIENT_ID_CHARS} characters")
        seq = await self.line_seq(conversation_id, client_id)
        if seq is None:
            file = await self._files.store_upload(
                conversation_id, upload, quota_bytes=quota_bytes
            )  # before ack
            seq, _ = await self.customer_says(conversation_id, text.strip(), client_id, attachments=(file,))
        files = await self._files.files_of(conversation_id, seq)
        return seq, files[0] if files else None

    async def cancel(self, conversation_id: ConversationId) -> None:
        await self._customer_event(conversation_id, CancelRequested(self.clock()))

    async def leave(self, conversation_id: ConversationId, *, reason: str = "customer") -> None:
        await self._customer_event(conversation_id, CustomerLeft(self.clock(), reason=reason))

    async def customer_typing(self, conversation_id: ConversationId) -> None:
        """The customer is typing: see ``Indicators.customer_typing``."""
        self._indicators.customer_typing(conversation_id)

    async def customer_read(self, conversation_id: ConversationId, upto_seq: int) -> None:
        """The customer has seen the transcript up to ``upto_seq``: see ``Indicators.customer_read``."""
        self._indicators.customer_read(conversation_id, upto_seq)

    async def open_file(self, key: str) -> StoredFile | None:
        """See ``Files.open_file``."""
        return await self._files.open_file(key)

    async def _customer_event(self, conversation_id: ConversationId, event: Event) -> None:
        try:
            await self._commits.apply(conversation_id, event)
        except IllegalTransition as exc:
            raise WrongState(str(exc)) from exc

    # --- contact center --------------------------------------------------------------------------

    async def accept_cc_event(self, inbound: InboundEvent) -> bool:
        """Store a verified contact-center event and apply it; then the webhook may be answered (2xx).
        Whether it was new (False: its event id was seen before)."""
        return await self._inbound.accept(inbound)

    async def agent_typing(self, cc_conversation_id: CcConversationId, *, active: bool) -> None:
        await self._indicators.agent_typing(cc_conversation_id, active=active)

    def kick_inbound(self, cc_conversation_id: CcConversationId) -> None:
        self._inbound.kick(cc_conversation_id)

    async def line_delivered(self, conversation_id: ConversationId) -> None:
        """A customer's line reached the contact center (its delivery is recorded)."""
        await self._inbound.line_delivered(conversation_id)

    async def kick_pending_inbound(self) -> None:
        """Apply every stored-but-unapplied event in the background (another instance's, once its lease
        has expired)."""
        await self._inbound.kick_pending()

    # --- the core loop, for the outbox delivery and the timers -------------------------------------

    async def apply(
        self,
        conversation_id: ConversationId,
        event: Event,
        *,
        origin: str | None = None,
        outbox_done: tuple[str, ...] = (),
        inbound_done: tuple[str, ...] = (),
    ) -> Decision:
        """Decide, store, then act (``Commits.apply``); ``IllegalTransition`` when it does not apply now."""
        return await self._commits.apply(
            conversation_id, event, origin=origin, outbox_done=outbox_done, inbound_done=inbound_done
        )
