"""The conversations and outboxes as this process last read or wrote them, served without a read of the file
while no other process has written to it.

One gateway process is the only writer of its SQLite file; the only other writer is an operator's
``chat-gateway purge``. So the copy of a conversation that this process committed last, or read last, is
the stored row, unless another process wrote since. The writer's connection tells that
(``PRAGMA data_version`` changes when another connection committed), and it asks at the start of each of
its transactions (``writer.GroupCommit``). A copy is trusted only while the last such answer, that nobody
else wrote, is at most ``FRESH_S`` old; otherwise (an idle gateway) the read goes to the file as before.
So a read reflects every write of this process at once, and another process's within ``FRESH_S``.

Writes stay compare-and-set on the version: a copy that turned out old only costs a retry.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from gateway.relay.model import CcConversationId, Conversation, ConversationId, OutboxItem
from gateway.store.decoded import DecodedConversations


class CurrentRows(DecodedConversations):
    """Recently used conversations by id (as ``DecodedConversations`` keeps them), their ids by their 8x8
    conversation id, their outboxes, and the 8x8 conversations with no event waiting.

    Bounded: the ones used least recently are dropped first. ``checked_at`` is the monotonic time as of which
    the writer last found that no other process had written (``-inf`` when it has not, or did).
    """

    FRESH_S = 0.1
    """How old the writer's last look may be for a copy to be trusted: under load (when a read costs the most)
    transactions follow each other within milliseconds (one fsync each); an idle gateway reads the file."""

    def __init__(self) -> None:
        super().__init__()
        self._by_cc: dict[str, str] = {}
        self._outboxes: dict[str, dict[str, OutboxItem]] = {}  # by conversation id; items by key, in order
        self._none_pending: dict[str, None] = {}  # 8x8 conversations with no event waiting to be applied
        self.checked_at = float("-inf")

    def _trusted(self) -> bool:
        return time.monotonic() - self.checked_at <= self.FRESH_S

    def others_wrote(self) -> None:
        """Another process wrote to the file: nothing here can be trusted any more."""
        self._by_id.clear()
        self._by_cc.clear()
        self._outboxes.clear()
        self._none_pending.clear()

    def put(self, conv: Conversation) -> None:
        """``conv`` is the stored row now (just read, or just committed)."""
        super().put(conv)
        if conv.cc_conversation_id is not None:
            self._by_cc.pop(conv.cc_conversation_id, None)
            self._by_cc[conv.cc_conversation_id] = conv.id
            if len(self._by_cc) > self.LIMIT:
                del self._by_cc[next(iter(self._by_cc))]

    def forget(self, conversation_id: str) -> None:
        """The stored rows may differ from the copies (a write failed), or are gone (purged)."""
        self._by_id.pop(conversation_id, None)
        self._outboxes.pop(conversation_id, None)

    def get(self, conversation_id: ConversationId) -> Conversation | None:
        """The trusted copy, or None: read the file."""
        known = self._by_id.get(conversation_id) if self._trusted() else None
        return None if known is None else known[1]

    def by_cc(self, cc_conversation_id: CcConversationId) -> Conversation | None:
        """The trusted copy of the conversation whose current 8x8 conversation this is, or None: read the file."""
        conversation_id = self._by_cc.get(cc_conversation_id)
        if conversation_id is None:
            return None
        conv = self.get(ConversationId(conversation_id))
        return conv if conv is not None and conv.cc_conversation_id == cc_conversation_id else None

    def outbox(self, conversation_id: ConversationId) -> list[OutboxItem] | None:
        """The trusted copy of a conversation's outbox, oldest first, or None: read the file."""
        items = self._outboxes.get(conversation_id) if self._trusted() else None
        return None if items is None else list(items.values())

    def put_outbox(self, conversation_id: ConversationId, items: list[OutboxItem]) -> None:
        """A conversation's whole outbox, just read."""
        self._outboxes.pop(conversation_id, None)
        self._outboxes[conversation_id] = {item.key: item for item in items}
        if len(self._outboxes) > self.LIMIT:
            del self._outboxes[next(iter(self._outboxes))]

    def outbox_changed(
        self,
        conversation_id: str,
        *,
        added: Sequence[OutboxItem] = (),
        done: Sequence[str] = (),
        dropped: bool = False,
    ) -> None:
        """A committed change of a conversation's outbox (nothing to do while it has no copy).

        A read may already show this change (the transaction ended before the loop heard of it): adding a
        key that is there, or dropping one that is not, changes nothing.
        """
        items = self._outboxes.get(conversation_id)
        if items is None:
            return
        if dropped:
            items.clear()
        for key in done:
            items.pop(key, None)
        for item in added:
            items.setdefault(item.key, item)

    def none_pending(self, cc_conversation_id: CcConversationId) -> bool:
        """True if it is known that no event of this 8x8 conversation waits to be applied; False: read the file."""
        return self._trusted() and cc_conversation_id in self._none_pending

    def put_none_pending(self, cc_conversation_id: CcConversationId) -> None:
        """No event of this 8x8 conversation waits, as just read (an event is only ever recorded pending by
        this process, which says so with ``events_pending``)."""
        self._none_pending[cc_conversation_id] = None
        if len(self._none_pending) > self.LIMIT:
            del self._none_pending[next(iter(self._none_pending))]

    def events_pending(self, cc_conversation_id: CcConversationId) -> None:
        """An event of this 8x8 conversation was recorded to be applied later (or may have been)."""
        self._none_pending.pop(cc_conversation_id, None)
