"""Decoded records kept by the stores, so a read of an unchanged conversation or outbox item skips its JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from gateway.relay import codec
from gateway.relay.model import Conversation, OutboxItem


class DecodedConversations:
    """The last decoded copy of recently used conversations, by id, valid while the stored ``version`` is
    the one it was decoded (or written) at: a read whose row has that version skips decoding the JSON.

    Conversations are immutable, and the version moves on with every stored change, so a copy is either
    exactly the stored row or not used. Bounded: the oldest entries are dropped first.
    """

    LIMIT = 4096

    def __init__(self) -> None:
        self._by_id: dict[str, tuple[int, Conversation]] = {}

    def put(self, conv: Conversation) -> None:
        self._by_id.pop(conv.id, None)
        self._by_id[conv.id] = (conv.version, conv)
        if len(self._by_id) > self.LIMIT:
            del self._by_id[next(iter(self._by_id))]

    def one(self, rows: list[Any]) -> Conversation | None:
        """The conversation of the first row ``(id, version, data)``, if any."""
        return self.decoded(*rows[0]) if rows else None

    def decoded(self, conversation_id: str, version: int, data: str) -> Conversation:
        known = self._by_id.get(conversation_id)
        if known is not None and known[0] == version:
            self.put(known[1])  # used: the last to be dropped
            return known[1]
        conv = codec.conversation_from_json(json.loads(data))
        self.put(conv)
        return conv


class DecodedOutbox:
    """Outbox items by key, each with the exact JSON it was written as (or decoded from): a read of a row
    whose JSON is that text skips decoding it (items are immutable, and the text is compared, not trusted).

    Items leave when they are delivered (``forget``); bounded, the oldest first, for the rest.
    """

    LIMIT = 4096

    def __init__(self) -> None:
        self._by_key: dict[str, tuple[str, OutboxItem]] = {}

    def put(self, key: str, data: str, item: OutboxItem) -> None:
        self._by_key[key] = (data, item)
        if len(self._by_key) > self.LIMIT:
            del self._by_key[next(iter(self._by_key))]

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._by_key.pop(key, None)

    def decoded(self, key: str, data: str) -> OutboxItem:
        known = self._by_key.get(key)
        if known is not None and known[0] == data:
            return known[1]
        item = codec.outbox_from_json(json.loads(data))
        self.put(key, data, item)
        return item
