"""Typing and read receipts to the agent: throttled per chat, never twice, and forgetting old chats.

A keystroke arrives several times a second per customer; the agent's console should hear of it at most once
per interval. The marks that throttle it are bounded, so a busy gateway's memory does not grow with every
chat it has ever seen. These tests use a real SQLite store and a contact center that records the calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gateway.channels.web.hub import Hub
from gateway.relay.indicators import Indicators
from gateway.relay.model import (
    AttachedFile,
    Author,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    MessageEntry,
    State,
)
from gateway.relay.policy import ExtrasPolicy
from gateway.relay.ports import Attachment, Change, ContactCenterExtras, HistoryLine, NotReady, OpenRequest
from gateway.relay.relay import hash_token
from gateway.store.sqlite import SqliteStore
from tests.support.policies import policies_for_tests


@dataclass
class Console:
    """Chat Gateway as far as typing and receipts go: records what reached the agent's console."""

    typing: list[CcConversationId] = field(default_factory=list)
    read: list[tuple[CcConversationId, float]] = field(default_factory=list)

    async def readiness(self) -> NotReady | None:
        return None

    async def open_conversation(self, request: OpenRequest, *, idempotency_key: str) -> CcConversationId:
        raise AssertionError("not used")

    async def post_message(
        self, cc_conversation_id: CcConversationId, line: HistoryLine, *, idempotency_key: str
    ) -> None:
        raise AssertionError("not used")

    async def customer_left(self, cc_conversation_id: CcConversationId, *, idempotency_key: str) -> None:
        raise AssertionError("not used")

    def can_reuse(self, cc_conversation_id: CcConversationId) -> bool:
        return True

    def extras(self, cc_conversation_id: CcConversationId | None = None) -> ContactCenterExtras | None:
        return self

    async def customer_typing(self, cc_conversation_id: CcConversationId) -> None:
        self.typing.append(cc_conversation_id)

    async def customer_read(self, cc_conversation_id: CcConversationId, *, read_at: float) -> None:
        self.read.append((cc_conversation_id, read_at))

    async def bot_thinking(self, cc_conversation_id: CcConversationId) -> None: ...

    async def move_to_queue(self, cc_conversation_id: CcConversationId, queue_id: str) -> None: ...

    async def post_attachment(
        self,
        cc_conversation_id: CcConversationId,
        attachment: Attachment,
        *,
        author: Author,
        idempotency_key: str,
    ) -> None: ...

    async def fetch_attachment(
        self, cc_conversation_id: CcConversationId, attachment: AttachedFile
    ) -> tuple[str, bytes]:
        raise AssertionError("not used")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "store.db")
    yield opened
    await opened.close()


async def _with_agent(store: SqliteStore, n: int, lines: int = 0) -> ConversationId:
    cid = ConversationId(f"c{n}")
    conv = Conversation(
        cid, State.AGENT, Customer(), created_at=1.0, cc_conversation_id=CcConversationId(f"cgw:{n}")
    )
    await store.create_conversation(conv, hash_token(cid))
    if lines:
        entries = tuple(
            MessageEntry(seq=i, ts=float(i), author=Author.AGENT, text="hi") for i in range(1, lines + 1)
        )
        stored = await store.conversation(cid)
        assert stored is not None
        await store.commit(
            Change(
                conversation=Conversation(
                    cid,
                    State.AGENT,
                    Customer(),
                    1.0,
                    last_seq=lines,
                    version=stored.version + 1,
                    cc_conversation_id=conv.cc_conversation_id,
                ),
                expected_version=stored.version,
                entries=entries,
            )
        )
    return cid


async def _drained(indicators: Indicators) -> None:
    await indicators.idle()
    await indicators.stop()


async def test_typing_reaches_the_agent_at_most_once_per_interval(store: SqliteStore) -> None:
    console, clock = Console(), Clock()
    indicators = Indicators(
        store=store,
        fanout=Hub(store),
        contact_center=console,
        extras_policy=ExtrasPolicy(typing_interval_s=2.0, call_timeout_s=10.0),
        clock=clock,
    )
    cid = await _with_agent(store, 1)
    for _ in range(5):
        indicators.customer_typing(cid)
        await indicators.idle()
    clock.now += 2.0
    indicators.customer_typing(cid)
    await indicators.idle()
    await _drained(indicators)
    assert console.typing == ["cgw:1", "cgw:1"]


async def test_the_throttle_forgets_the_least_recent_chats_first(store: SqliteStore) -> None:
    console, clock = Console(), Clock()
    indicators = Indicators(
        store=store,
        fanout=Hub(store),
        contact_center=console,
        extras_policy=policies_for_tests().extras,
        clock=clock,
        marked_chats=2,
    )
    chats = [await _with_agent(store, n) for n in (1, 2, 3)]
    for cid in chats:
        indicators.customer_typing(cid)
        await indicators.idle()
    indicators.customer_typing(chats[0])  # forgotten: goes through again within the interval
    indicators.customer_typing(chats[2])  # remembered: throttled
    await indicators.idle()
    await _drained(indicators)
    assert console.typing == ["cgw:1", "cgw:2", "cgw:3", "cgw:1"]


async def test_a_read_receipt_is_sent_once_per_seq(store: SqliteStore) -> None:
    console = Console()
    indicators = Indicators(
        store=store,
        fanout=Hub(store),
        contact_center=console,
        extras_policy=policies_for_tests().extras,
        clock=Clock(),
    )
    cid = await _with_agent(store, 1, lines=3)
    indicators.customer_read(cid, 2)
    await indicators.idle()
    indicators.customer_read(cid, 2)
    indicators.customer_read(cid, 1)
    indicators.customer_read(cid, 3)
    await indicators.idle()
    await _drained(indicators)
    assert console.read == [("cgw:1", 2.0), ("cgw:1", 3.0)]
