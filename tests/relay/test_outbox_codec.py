"""Outbox items stored by an earlier version still load, and today's come back as they went in.

Undelivered items outlive a deploy: the new gateway must deliver what the old one stored. Before outbox items
had a class per kind, every item was written with each kind's fields (``from_seq`` always, ``text`` and
``author`` where set); these literals are that shape, as SQLite and Redis hold it.
"""

from __future__ import annotations

import json

import pytest

from gateway.relay.codec import outbox_from_json, outbox_to_json
from gateway.relay.model import (
    AttachedFile,
    Author,
    ConversationId,
    LeaveItem,
    OpenItem,
    OutboxItem,
    PostItem,
)

CID = ConversationId("c1")
PDF = AttachedFile(key="f-key", name="a.pdf", content_type="application/pdf", size=3)

WRITTEN_BEFORE = [
    (
        '{"key": "k-open", "conversation_id": "c1", "kind": "open", "seq": 6, "escalation_id": "esc-1", '
        '"from_seq": 2, "created_at": 20.5}',
        OpenItem("k-open", CID, 6, "esc-1", from_seq=2, created_at=20.5),
    ),
    (
        '{"key": "k-post", "conversation_id": "c1", "kind": "post", "seq": 7, "text": "see attached", '
        '"author": "customer", "from_seq": 0, "created_at": 21.0, "attachments": [{"key": "f-key", '
        '"name": "a.pdf", "content_type": "application/pdf", "size": 3}]}',
        PostItem("k-post", CID, 7, "see attached", Author.CUSTOMER, (PDF,), created_at=21.0),
    ),
    (
        '{"key": "k-bot", "conversation_id": "c1", "kind": "post", "seq": 8, "text": "Rate us", '
        '"author": "bot", "from_seq": 0, "created_at": 22.0}',
        PostItem("k-bot", CID, 8, "Rate us", Author.BOT, created_at=22.0),
    ),
    (
        '{"key": "k-leave", "conversation_id": "c1", "kind": "leave", "seq": 9, "from_seq": 0, "created_at": 23.0}',
        LeaveItem("k-leave", CID, 9, created_at=23.0),
    ),
    (  # the oldest items had no created_at
        '{"key": "k-old", "conversation_id": "c1", "kind": "post", "seq": 3, "text": "hi", "author": "customer", '
        '"from_seq": 0}',
        PostItem("k-old", CID, 3, "hi", Author.CUSTOMER),
    ),
]


@pytest.mark.parametrize(("stored", "item"), WRITTEN_BEFORE, ids=lambda v: getattr(v, "key", ""))
def test_an_item_stored_by_the_previous_version_loads_as_its_kind(stored: str, item: OutboxItem) -> None:
    assert outbox_from_json(json.loads(stored)) == item


@pytest.mark.parametrize(("stored", "item"), WRITTEN_BEFORE, ids=lambda v: getattr(v, "key", ""))
def test_an_item_comes_back_as_it_was_stored(stored: str, item: OutboxItem) -> None:
    written = json.loads(json.dumps(outbox_to_json(item)))
    assert outbox_from_json(written) == item
    assert written["kind"] == item.kind.value  # the previous version reads kind, key, seq the same way
