"""What is shown but never stored: typing indicators both ways and the customer's read receipts.

The customer's typing reaches the agent at most once per ``typing_interval_s`` per chat, and read receipts
never twice for the same seq (latest first when busy), where the conversation's contact center shows them
(``ContactCenter.extras``: Chat Gateway). Both are best effort: a failed call is logged, not retried. The
per-chat marks that throttle them are kept for the most recent chats only (``MARKED_CHATS``).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog

from gateway.relay.errors import ContactCenterError
from gateway.relay.model import Author, CcConversationId, ConversationId, State, Typing
from gateway.relay.policy import ExtrasPolicy
from gateway.relay.ports import ContactCenter, Fanout, Store
from gateway.relay.tasks import Coalescer

logger = structlog.get_logger(__name__)

V = TypeVar("V")

MARKED_CHATS = 10_000
"""How many chats' throttle marks are kept; the least recently marked are forgotten first."""


class _Recent(Generic[V]):
    """A mapping of conversation ids that keeps the ``size`` most recently written keys."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[ConversationId, V] = OrderedDict()

    def get(self, key: ConversationId) -> V | None:
        return self._items.get(key)

    def put(self, key: ConversationId, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass(slots=True)
class _ReadMarks:
    wanted: int = 0  # the customer has read up to this seq
    sent: int = 0  # ... and the contact center knows up to this one


class Indicators:
    def __init__(
        self,
        *,
        store: Store,
        fanout: Fanout,
        contact_center: ContactCenter,
        extras_policy: ExtrasPolicy,
        clock: Callable[[], float],
        marked_chats: int = MARKED_CHATS,
    ) -> None:
        self._store = store
        self._fanout = fanout
        self._cc = contact_center
        self._extras_policy = extras_policy
        self._clock = clock
        self._typing = Coalescer(self._forward_typing)
        self._typed_at: _Recent[float] = _Recent(marked_chats)
        self._receipts = Coalescer(self._forward_read)
        self._reads: _Recent[_ReadMarks] = _Recent(marked_chats)

    async def stop(self) -> None:
        await self._typing.close()
        await self._receipts.close()

    async def idle(self) -> None:
        """Wait until what was kicked has reached the contact center (or failed)."""
        while len(self._typing) or len(self._receipts):
            await self._typing.idle()
            await self._receipts.idle()

    def customer_typing(self, conversation_id: ConversationId) -> None:
        """The customer is typing: tell the agent, at most once per ``typing_interval_s``, if the contact
        center can show it; otherwise, or with no agent, it goes nowhere."""
        now = self._clock()
        last = self._typed_at.get(conversation_id)
        if last is not None and now - last < self._extras_policy.typing_interval_s:
            return
        self._typed_at.put(conversation_id, now)
        self._typing.kick(conversation_id)

    def customer_read(self, conversation_id: ConversationId, upto_seq: int) -> None:
        """The customer has seen the transcript up to ``upto_seq``: tell the agent where the contact center
        shows it, never twice for the same seq, latest first when busy."""
        marks = self._reads.get(conversation_id) or _ReadMarks()
        if upto_seq <= marks.sent or upto_seq <= marks.wanted:
            return
        marks.wanted = upto_seq
        self._reads.put(conversation_id, marks)
        self._receipts.kick(conversation_id)

    async def agent_typing(self, cc_conversation_id: CcConversationId, *, active: bool) -> None:
        """The agent started (or stopped) typing: tell the customer's sockets; nothing is stored."""
        conv = await self._store.conversation_by_cc_id(cc_conversation_id)
        if conv is None or conv.state is not State.AGENT:
            return
        await self._fanout.signal(conv.id, Typing(Author.AGENT, active, conv.agent))

    async def _forward_typing(self, key: Hashable) -> None:
        conv = await self._store.conversation(ConversationId(str(key)))
        if conv is None or conv.state is not State.AGENT or (cc_id := conv.cc_conversation_id) is None:
            return
        extras = self._cc.extras(cc_id)
        if extras is None:
            return
        try:
            async with asyncio.timeout(self._extras_policy.call_timeout_s):
                await extras.customer_typing(cc_id)
        except (ContactCenterError, TimeoutError) as exc:
            # A lost typing indicator is not worth a retry: the next keystroke sends another.
            logger.info("typing_not_forwarded", conversation_id=conv.id, error=type(exc).__name__)

    async def _forward_read(self, key: Hashable) -> None:
        conversation_id = ConversationId(str(key))
        marks = self._reads.get(conversation_id)
        conv = await self._store.conversation(conversation_id)
        if marks is None or conv is None or conv.state is not State.AGENT:
            return
        cc_id = conv.cc_conversation_id
        extras = self._cc.extras(cc_id) if cc_id is not None else None
        if cc_id is None or extras is None:
            return
        wanted = marks.wanted
        seq = min(wanted, conv.last_seq)
        upto = await self._store.entries(conversation_id, after=seq - 1, upto=seq)
        if not upto:
            return
        try:
            async with asyncio.timeout(self._extras_policy.call_timeout_s):
                # Everything the agent said was stored here after 8x8 had it: its time covers them all.
                await extras.customer_read(cc_id, read_at=upto[-1].ts)
        except (ContactCenterError, TimeoutError) as exc:
            logger.info(
                "read_receipt_not_forwarded", conversation_id=conversation_id, error=type(exc).__name__
            )
            return
        marks.sent = max(marks.sent, wanted)
